/**
 * C2SP signed notes, tlog checkpoints and tlog cosignatures (Ed25519) in pure JS: no `node:`
 * built-in, no `Buffer`; @noble/ed25519 and @noble/hashes only, with the receipt verifier's strict
 * Ed25519 checks. Verification takes the receipt verifier's `Ed25519Backend` (noteVerifier,
 * cosignatureVerifier, verifyCosignature, verifyEd25519): the pure-JS noble one by default, or
 * `nodeBackend` (../verify/node-backend.js), which this module never imports itself.
 * Specifications: https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint,
 * https://c2sp.org/tlog-cosignature; reference implementation: golang.org/x/mod/sumdb/note.
 */
export { decodeBase64, encodeBase64 } from './base64.js';
export {
  CHECKPOINT_ROOT_HASH_BYTES,
  formatCheckpoint,
  MAX_CHECKPOINT_LENGTH,
  parseCheckpoint,
  type Checkpoint,
  type CheckpointFields,
} from './checkpoint-note.js';
export {
  cosign,
  COSIGNATURE_V1_BYTES,
  COSIGNATURE_V1_HEADER,
  cosignatureMessage,
  cosignatureTimestamp,
  cosignatureVerifier,
  verifyCosignature,
  type VerifiedCosignature,
} from './cosignature.js';
export { MAX_NOTE_SIGNATURES, NoteError, type NoteErrorCode } from './note-error.js';
export {
  addSignatureLines,
  COSIGNATURE_V1_SIGNATURE_TYPE,
  ED25519_SIGNATURE_TYPE,
  formatVerifierKey,
  isValidKeyName,
  keyHash,
  noteVerifier,
  openNote,
  parseSignatureLine,
  parseVerifierKey,
  SIGNATURE_LINE_PREFIX,
  signatureLine,
  signNote,
  splitNote,
  verifyEd25519,
  type Ed25519SignatureType,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
  type OpenedNote,
  type SplitNote,
  type VerifierKey,
} from './signed-note.js';
