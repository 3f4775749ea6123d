import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { Signer } from '../keys/signer.js';
import { canonicalJson } from '../request/canonical-json.js';
import { DIGEST_PATTERN, sha256Text, type Digest } from '../request/digest.js';
import type { ReceiptBody } from './receipt-body.js';
import { ReceiptError } from './receipt-error.js';
import { encodeBase64url } from './verify/base64url.js';

/** Envelope format version. A reader that meets another value fails with UNSUPPORTED_VERSION. */
export const SIGNED_RECEIPT_VERSION = 1 as const;

/** Domain-separation prefix of a receipt's signing input: no receipt signature verifies as anything else. */
export const RECEIPT_SIGNING_DOMAIN = 'actiongate/receipt/v1\n';

/**
 * Where a receipt sits in the append-only log: `seq` counts from 1 with no gaps, `prevHash` is
 * the {@link receiptHash} of the receipt at `seq - 1` (null only for seq 1).
 */
export interface ReceiptLogPosition {
  seq: number;
  prevHash: Digest | null;
}

/**
 * A signed receipt, version 1. One per line in a JSONL export, each line being exactly
 * `canonicalJson(envelope)`:
 *
 * ```
 * { v: 1, body: ReceiptBody, log: { seq, prevHash }, keyId, sig }
 * ```
 *
 * - `keyId`: `ed25519:` + first 32 hex of sha256(raw public key) of the signing key.
 * - `sig`: the 64-byte Ed25519 signature (RFC 8032, pure Ed25519) over {@link receiptSigningInput},
 *   base64url without padding (86 characters).
 *
 * What is signed: UTF-8 of `"actiongate/receipt/v1\n"` followed by the RFC 8785 canonical JSON of
 * `{ body, keyId, log: { prevHash, seq } }` — everything in the envelope except `v` (fixed by the
 * domain prefix) and `sig`.
 *
 * The chain link is {@link receiptHash}: sha256 over the canonical JSON of the whole envelope,
 * `sig` included, so the next receipt commits to this one's exact bytes.
 */
export interface SignedReceipt {
  v: typeof SIGNED_RECEIPT_VERSION;
  body: ReceiptBody;
  log: ReceiptLogPosition;
  keyId: string;
  sig: string;
}

/**
 * The exact bytes an Ed25519 receipt signature covers. Shared by the signer and every verifier.
 *
 * @example receiptSigningInput({ body, log: { seq: 1, prevHash: null }, keyId }) // Uint8Array
 */
export function receiptSigningInput(unsigned: { body: ReceiptBody; log: ReceiptLogPosition; keyId: string }): Uint8Array {
  const payload = { body: unsigned.body, log: { seq: unsigned.log.seq, prevHash: unsigned.log.prevHash }, keyId: unsigned.keyId };
  return utf8ToBytes(RECEIPT_SIGNING_DOMAIN + canonicalJson(payload));
}

/**
 * The chain link of a receipt: `sha256:` + hex SHA-256 of the canonical JSON of the whole
 * envelope (including `sig`). The next receipt's `log.prevHash` must equal it.
 *
 * @example const next = signReceipt(body2, { seq: 2, prevHash: receiptHash(first) }, signer);
 */
export function receiptHash(envelope: SignedReceipt): Digest {
  return sha256Text(canonicalJson(envelope));
}

/**
 * Signs a receipt body at a position in the log. Pure apart from the signer; Ed25519 is
 * deterministic, so the same body, position and key always give the same envelope.
 *
 * @throws ReceiptError `INVALID_LOG_POSITION` when `seq` is not a positive safe integer, or
 *   `prevHash` is not null exactly for seq 1 and a digest otherwise.
 * @example
 * const first = signReceipt(decisionBody, { seq: 1, prevHash: null }, signer);
 * const line = canonicalJson(first); // one line of the JSONL export
 */
export function signReceipt(body: ReceiptBody, log: ReceiptLogPosition, signer: Signer): SignedReceipt {
  assertLogPosition(log);
  const position: ReceiptLogPosition = { seq: log.seq, prevHash: log.prevHash };
  const sig = encodeBase64url(signer.sign(receiptSigningInput({ body, log: position, keyId: signer.keyId })));
  return { v: SIGNED_RECEIPT_VERSION, body, log: position, keyId: signer.keyId, sig };
}

function assertLogPosition(log: ReceiptLogPosition): void {
  if (!Number.isSafeInteger(log.seq) || log.seq < 1) {
    throw new ReceiptError('INVALID_LOG_POSITION', `seq must be a positive integer, not ${log.seq}`, { seq: log.seq });
  }
  if (log.seq === 1 && log.prevHash !== null) {
    throw new ReceiptError('INVALID_LOG_POSITION', 'the first receipt (seq 1) has no previous hash', { seq: log.seq });
  }
  if (log.seq > 1 && (log.prevHash === null || !DIGEST_PATTERN.test(log.prevHash))) {
    throw new ReceiptError('INVALID_LOG_POSITION', `receipt ${log.seq} needs the previous receipt's hash`, { seq: log.seq });
  }
}
