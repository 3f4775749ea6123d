import { ActionGateError } from '../../errors.js';

/**
 * What is wrong with a verifier key, a signed note, a checkpoint or a cosignature.
 *
 * - `INVALID_NAME`: a key name that is empty, not well-formed, or has a Unicode space or a `+`.
 * - `MALFORMED_KEY`: a verifier key not of the form `<name>+<8 lower-case hex>+<base64>`, or whose
 *   key material is not a type byte and 32 bytes.
 * - `KEY_HASH_MISMATCH`: a verifier key whose hex key hash is not the hash of its name and key.
 * - `UNSUPPORTED_KEY_TYPE`: a signature type other than the one the call handles (Ed25519 0x01
 *   for notes, Ed25519 cosignature/v1 0x04 for cosignatures).
 * - `WEAK_KEY`: an Ed25519 public key that is not a canonical point encoding, or is of small order
 *   (under which a forged signature verifies); such a key never verifies anything here.
 * - `MALFORMED_NOTE`: not the signed-note format (details.reason says where).
 * - `TOO_MANY_SIGNATURES`: more than {@link MAX_NOTE_SIGNATURES} signature lines.
 * - `AMBIGUOUS_KEY`: more than one of the given verifiers has a signature line's name and key hash.
 * - `BAD_SIGNATURE`: a signature line by a known key that does not verify.
 * - `UNVERIFIED`: a well-formed note with no signature by a known key.
 * - `SIGNER_MISMATCH`: a signer whose signature does not verify under the public key it states.
 * - `MALFORMED_CHECKPOINT`: a note text that is not a tlog-checkpoint, or checkpoint fields that
 *   cannot be formatted as one.
 * - `MALFORMED_COSIGNATURE`: a cosignature not of 8 timestamp bytes and 64 signature bytes, or with
 *   a timestamp beyond 2^53 - 1.
 * - `KEY_MISMATCH`: a cosignature line whose name or key hash is not the witness key's.
 */
export type NoteErrorCode =
  | 'INVALID_NAME'
  | 'MALFORMED_KEY'
  | 'KEY_HASH_MISMATCH'
  | 'UNSUPPORTED_KEY_TYPE'
  | 'WEAK_KEY'
  | 'MALFORMED_NOTE'
  | 'TOO_MANY_SIGNATURES'
  | 'AMBIGUOUS_KEY'
  | 'BAD_SIGNATURE'
  | 'UNVERIFIED'
  | 'SIGNER_MISMATCH'
  | 'MALFORMED_CHECKPOINT'
  | 'MALFORMED_COSIGNATURE'
  | 'KEY_MISMATCH';

/** At most this many signature lines in a note (as Go's golang.org/x/mod/sumdb/note). */
export const MAX_NOTE_SIGNATURES = 100;

/**
 * A verifier key, signed note, checkpoint or cosignature refused, or one that cannot be made.
 *
 * @example
 * try {
 *   openNote(text, [logVerifier]);
 * } catch (error) {
 *   if (error instanceof NoteError && error.code === 'BAD_SIGNATURE') alarm(error.details);
 * }
 */
export class NoteError extends ActionGateError<NoteErrorCode> {}
