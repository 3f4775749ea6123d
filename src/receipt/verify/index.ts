/**
 * The stand-alone receipt verifier: public keys in, problems out. Depends on canonical JSON,
 * SHA-256 and Ed25519 in pure JS only (no Postgres, Temporal, Cedar or `node:crypto`), so it can
 * check an export years later, anywhere. For Node's built-in crypto, import `nodeBackend` from
 * `./node-backend.js` or call {@link defaultBackend}.
 */
export { decodeBase64url, encodeBase64url } from './base64url.js';
export { defaultBackend } from './default-backend.js';
export type { Ed25519Backend } from './ed25519-backend.js';
export { passesStrictEncodingChecks } from './ed25519-strict.js';
export { nobleBackend } from './noble-backend.js';
export { parseExportLine, type ParsedCheckpoint, type ParsedLine, type ParsedReceipt } from './parse-line.js';
export { approvalSigningInput, APPROVAL_SIGNING_DOMAIN } from './check-approvals.js';
export { formatNote, formatProblem, type Note, type NoteCode, type Problem, type ProblemCode } from './problem.js';
export { requirePermit, type PermitAnswer, type PermitAnswerCode } from './require-permit.js';
export { verifyLog, type LogVerification, type VerifyLogOptions } from './verify-log.js';
export { checkpointNote, checkTrustedCheckpoint, openReceiptCheckpoint, receiptCheckpointNote, receiptLeafHash } from './trusted-checkpoint.js';
export { verifyInclusionBundle, type InclusionBundle, type InclusionBundleOptions, type InclusionVerification } from './inclusion-bundle.js';
export { verifyConsistencyBundle, type ConsistencyBundle, type ConsistencyBundleOptions, type ConsistencyVerification } from './consistency-bundle.js';
export {
  checkWitnessCosignatures,
  parseWitnessPolicy,
  type ParsedWitnessPolicy,
  type WitnessCosignatureCheck,
  type WitnessPolicy,
} from './witness-cosignatures.js';
export { verifyReceipt, type ReceiptVerification } from './verify-receipt.js';
export { checkpointSigningInput, CHECKPOINT_SIGNING_DOMAIN, type SignedCheckpoint } from '../checkpoint.js';
export { receiptHash, receiptSigningInput, RECEIPT_SIGNING_DOMAIN, type SignedReceipt } from '../signed-receipt.js';
