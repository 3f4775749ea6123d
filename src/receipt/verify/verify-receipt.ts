import type { KeySet } from '../../keys/key-set.js';
import type { Digest } from '../../request/digest.js';
import type { SignedReceipt } from '../signed-receipt.js';
import { checkReceiptSignature } from './check-signature.js';
import type { Ed25519Backend } from './ed25519-backend.js';
import { parseExportLine } from './parse-line.js';
import type { Problem } from './problem.js';

export type ReceiptVerification =
  | { ok: true; receipt: SignedReceipt; hash: Digest; problems: [] }
  | { ok: false; problems: Problem[] };

/**
 * Verifies one receipt on its own (version, shape, canonical form, key and its validity at the
 * receipt's issue time, signature). Says nothing about its place in the log: use
 * {@link verifyLog} for that.
 *
 * @example
 * const result = verifyReceipt(line, keys, nobleBackend);
 * if (result.ok) console.log(result.receipt.body.outcome);
 */
export function verifyReceipt(text: string, keys: KeySet, backend: Ed25519Backend): ReceiptVerification {
  const parsed = parseExportLine(text);
  if (!parsed.ok) return { ok: false, problems: parsed.problems };
  if (parsed.entry.kind !== 'receipt') {
    return { ok: false, problems: [{ code: 'MALFORMED', seq: parsed.entry.checkpoint.size, message: 'a checkpoint, not a receipt' }] };
  }
  const { envelope, hash } = parsed.entry;
  const problems = checkReceiptSignature(envelope, keys, backend);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, receipt: envelope, hash, problems: [] };
}
