import type { KeySet } from '../../keys/key-set.js';
import type { Digest } from '../../request/digest.js';
import type { SignedReceipt } from '../signed-receipt.js';
import { checkApprovals } from './check-approvals.js';
import { checkReceiptSignature } from './check-signature.js';
import type { Ed25519Backend } from './ed25519-backend.js';
import { parseExportLine } from './parse-line.js';
import type { Note, Problem } from './problem.js';

export type ReceiptVerification =
  | { ok: true; receipt: SignedReceipt; hash: Digest; problems: []; notes: Note[] }
  | { ok: false; problems: Problem[]; notes: Note[] };

/**
 * Verifies one receipt on its own (version, shape, canonical form, key and its validity at the
 * receipt's issue time, signature) and, for an approval or override receipt, the operator
 * statements it carries on their own (bound to it, verdicts, operator signatures whose keys are in
 * the set). Says nothing about its place in the log (nor whether an approval answers a decision
 * that waited for it): use {@link verifyLog} for that.
 *
 * @example
 * const result = verifyReceipt(line, keys, nobleBackend);
 * if (result.ok) console.log(result.receipt.body.outcome);
 */
export function verifyReceipt(text: string, keys: KeySet, backend: Ed25519Backend): ReceiptVerification {
  const parsed = parseExportLine(text, undefined, backend);
  if (!parsed.ok) return { ok: false, problems: parsed.problems, notes: [] };
  if (parsed.entry.kind !== 'receipt') {
    return { ok: false, problems: [{ code: 'MALFORMED', seq: parsed.entry.checkpoint.size, message: 'a checkpoint, not a receipt' }], notes: [] };
  }
  const { envelope, hash } = parsed.entry;
  const approvals = checkApprovals([parsed.entry], keys, backend);
  const problems = [...checkReceiptSignature(envelope, keys, backend, undefined, parsed.entry.signingInput), ...approvals.problems];
  if (problems.length > 0) return { ok: false, problems, notes: approvals.notes };
  return { ok: true, receipt: envelope, hash, problems: [], notes: approvals.notes };
}
