import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { Signer } from '../keys/signer.js';
import { canonicalJson } from '../request/canonical-json.js';
import { DIGEST_PATTERN, type Digest } from '../request/digest.js';
import { ReceiptError } from './receipt-error.js';
import { encodeBase64url } from './verify/base64url.js';

/** Checkpoint format version. */
export const CHECKPOINT_VERSION = 1 as const;

/** Domain-separation prefix of a checkpoint's signing input. */
export const CHECKPOINT_SIGNING_DOMAIN = 'actiongate/checkpoint/v1\n';

/** What a checkpoint asserts: the log had `size` receipts, the last one hashing to `headHash`, at `issuedAt`. */
export interface CheckpointStatement {
  /** Number of receipts in the log = seq of its last receipt (at least 1). */
  size: number;
  /** {@link receiptHash} of the receipt with seq `size`. */
  headHash: Digest;
  /** ISO 8601 UTC instant the checkpoint was signed; the signing key must be valid at it. */
  issuedAt: string;
}

/**
 * A signed checkpoint, version 1: `{ v: 1, kind: 'checkpoint', size, headHash, issuedAt, keyId, sig }`,
 * one line of the JSONL export (its canonical JSON), among the receipts. Signed by a key with
 * purpose `receipt`. A verifier holding a checkpoint detects a truncated tail and a rewritten
 * history up to `size`, which a hash chain alone cannot show.
 *
 * What is signed: UTF-8 of `"actiongate/checkpoint/v1\n"` followed by the RFC 8785 canonical JSON
 * of `{ headHash, issuedAt, keyId, size }`.
 */
export interface SignedCheckpoint extends CheckpointStatement {
  v: typeof CHECKPOINT_VERSION;
  kind: 'checkpoint';
  keyId: string;
  /** Ed25519 signature, base64url without padding. */
  sig: string;
}

/** The exact bytes a checkpoint signature covers. */
export function checkpointSigningInput(statement: CheckpointStatement & { keyId: string }): Uint8Array {
  const payload = { size: statement.size, headHash: statement.headHash, issuedAt: statement.issuedAt, keyId: statement.keyId };
  return utf8ToBytes(CHECKPOINT_SIGNING_DOMAIN + canonicalJson(payload));
}

/**
 * Signs a checkpoint of the log's current head.
 *
 * @throws ReceiptError `INVALID_CHECKPOINT` for a size below 1 or a head hash that is not a digest.
 * @example const cp = signCheckpoint({ size: 3, headHash: receiptHash(third), issuedAt: now.toISOString() }, signer);
 */
export function signCheckpoint(statement: CheckpointStatement, signer: Signer): SignedCheckpoint {
  if (!Number.isSafeInteger(statement.size) || statement.size < 1) {
    throw new ReceiptError('INVALID_CHECKPOINT', `a checkpoint covers at least one receipt, not ${statement.size}`, { size: statement.size });
  }
  if (!DIGEST_PATTERN.test(statement.headHash)) {
    throw new ReceiptError('INVALID_CHECKPOINT', 'headHash must be sha256: and 64 lower-case hex digits', { size: statement.size });
  }
  const unsigned = { size: statement.size, headHash: statement.headHash, issuedAt: statement.issuedAt, keyId: signer.keyId };
  const sig = encodeBase64url(signer.sign(checkpointSigningInput(unsigned)));
  return { v: CHECKPOINT_VERSION, kind: 'checkpoint', ...unsigned, sig };
}
