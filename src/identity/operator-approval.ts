import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { decodeBase64url, encodeBase64url } from '../keys/base64url.js';
import { KEY_ID_PATTERN } from '../keys/key-id.js';
import type { Signer } from '../keys/signer.js';
import { canonicalJson } from '../request/canonical-json.js';
import { DIGEST_PATTERN, digestsEqual, type Digest } from '../request/digest.js';
import type { Ed25519Backend } from '../receipt/verify/ed25519-backend.js';
import { unstorableText } from '../request/action-request.js';
import type { PrincipalRegistry } from './principal-registry.js';

/** Domain separation: an approval signature can never be read as a request, receipt or bundle signature. */
export const APPROVAL_SIGNATURE_DOMAIN = 'actiongate/operator-approval/v1\n';

export const APPROVAL_VERDICTS = ['approve', 'reject', 'override'] as const;
export type ApprovalVerdict = (typeof APPROVAL_VERDICTS)[number];

const Instant = z.iso.datetime({ error: 'must be an ISO 8601 UTC instant, e.g. 2026-11-24T10:15:00.000Z' });

/**
 * What an operator signs: the exact action (workflow ID, run ID, request hash, the decision
 * receipt it answers), the verdict, a reason, until when it holds, and a nonce so it is used once.
 */
export const ApprovalStatementSchema = z.strictObject({
  v: z.literal(1),
  workflowId: z.string().min(1).max(200),
  runId: z.string().min(1).max(200),
  requestHash: z.string().regex(DIGEST_PATTERN),
  decisionReceiptId: z.string().regex(DIGEST_PATTERN),
  verdict: z.enum(APPROVAL_VERDICTS),
  // Stored in a receipt (jsonb): NUL and lone surrogates are refused here, not at the INSERT.
  reason: z.string().max(2_000).refine((text) => unstorableText(text) === undefined, { error: 'must not contain U+0000 or an unpaired surrogate' }),
  operatorId: z.string().min(1).max(200).refine((text) => unstorableText(text) === undefined, { error: 'must not contain U+0000 or an unpaired surrogate' }),
  expiresAt: Instant,
  /** At least 128 bits, base64url: the same approval cannot be counted twice. */
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22,64}$/, { error: 'must be 22 to 64 base64url characters (128 bits or more)' }),
});
export type ApprovalStatement = z.infer<typeof ApprovalStatementSchema>;

/** A statement with the operator's detached Ed25519 signature over {@link approvalSigningInput}. */
export const SignedApprovalSchema = z.strictObject({
  statement: ApprovalStatementSchema,
  keyId: z.string().regex(KEY_ID_PATTERN),
  sig: z.string().refine((text) => decodeBase64url(text, 64) !== undefined, { error: 'must be a 64-byte Ed25519 signature, base64url without padding' }),
});
export type SignedApproval = z.infer<typeof SignedApprovalSchema>;

/** The action a statement is bound to: its run and the decision receipt it answers. */
export interface ApprovalTarget {
  workflowId: string;
  runId: string;
  requestHash: string;
  decisionReceiptId: string;
}

/**
 * A statement answering one action's decision, with a fresh 128-bit nonce: what `actiongate
 * approve` and the demo sign. `validForMs`: how long it holds from now.
 *
 * @example signApproval(approvalStatement(decision, { operatorId: 'olivia', verdict: 'approve', reason: 'vetted', validForMs: 600_000 }), signer)
 */
export function approvalStatement(
  target: ApprovalTarget,
  answer: { operatorId: string; verdict: ApprovalVerdict; reason: string; validForMs: number },
): ApprovalStatement {
  return {
    v: 1,
    workflowId: target.workflowId,
    runId: target.runId,
    requestHash: target.requestHash,
    decisionReceiptId: target.decisionReceiptId,
    verdict: answer.verdict,
    reason: answer.reason,
    operatorId: answer.operatorId,
    expiresAt: new Date(Date.now() + answer.validForMs).toISOString(),
    nonce: randomBytes(16).toString('base64url'),
  };
}

/** The bytes signed: the domain line, then the statement's RFC 8785 canonical JSON. */
export function approvalSigningInput(statement: ApprovalStatement): Uint8Array {
  return new TextEncoder().encode(`${APPROVAL_SIGNATURE_DOMAIN}${canonicalJson(statement)}`);
}

/**
 * Signs a statement with an operator's key (on the operator's machine: the key never reaches a worker).
 *
 * @example const approval = signApproval({ v: 1, workflowId, runId, requestHash, decisionReceiptId, verdict: 'approve', reason, operatorId: 'olivia', expiresAt, nonce }, signer);
 */
export function signApproval(statement: ApprovalStatement, signer: Signer): SignedApproval {
  return { statement, keyId: signer.keyId, sig: encodeBase64url(signer.sign(approvalSigningInput(statement))) };
}

/** Why an approval does not count. */
export type ApprovalRejection =
  | 'malformed'
  | 'unknown_operator'
  | 'not_an_operator_key'
  | 'key_not_valid'
  | 'not_in_group'
  | 'bad_signature'
  | 'wrong_action'
  | 'wrong_verdict'
  | 'expired'
  | 'reason_required';

export type ApprovalCheck =
  | { ok: true; operatorId: string; keyId: string; verdict: ApprovalVerdict; statement: ApprovalStatement }
  | { ok: false; rejection: ApprovalRejection; detail: string };

/** The action an approval must be bound to, and what the grant asks. */
export interface ApprovalExpectation {
  workflowId: string;
  runId: string;
  requestHash: Digest;
  decisionReceiptId: Digest;
  /** Verdicts that count here: approve/reject for a step-up, override for break-glass. */
  verdicts: readonly ApprovalVerdict[];
  /** The grant's groups (surfaces.json). */
  groups: readonly string[];
  reasonRequired: boolean;
}

/**
 * Checks one signed approval against the pinned policy set's principals: a known operator, a key
 * of purpose `operator` valid at `now`, in one of the granted groups, a strict Ed25519 signature
 * (`backend`: the receipt verifier's, which refuses non-canonical and small-order encodings),
 * bound to exactly this workflow, run, request hash and decision receipt, a verdict that counts
 * here, not expired, with a reason when required. Nonce reuse and the quorum's distinct operators
 * are the caller's to track (they need what was counted before).
 *
 * @example
 * const check = checkApproval(set.principals, input, expectation, { now, backend: nodeBackend });
 * if (!check.ok) recordInvalidApproval(check.rejection, check.detail);
 */
export function checkApproval(
  principals: PrincipalRegistry,
  input: unknown,
  expect: ApprovalExpectation,
  options: { now: Date; backend: Ed25519Backend },
): ApprovalCheck {
  const parsed = SignedApprovalSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, rejection: 'malformed', detail: parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ') };
  }
  const { statement, keyId, sig } = parsed.data;
  const operator = Object.hasOwn(principals.principals, statement.operatorId) ? principals.principals[statement.operatorId] : undefined;
  if (!operator) return { ok: false, rejection: 'unknown_operator', detail: `${statement.operatorId} is not in principals.json` };
  const key = operator.keys.find((candidate) => candidate.keyId === keyId);
  if (!key || key.purpose !== 'operator') {
    return { ok: false, rejection: 'not_an_operator_key', detail: `${keyId} is not an operator key of ${statement.operatorId}` };
  }
  const at = options.now.getTime();
  if (!Number.isFinite(at) || (key.validFrom !== undefined && at < Date.parse(key.validFrom)) || (key.validUntil !== undefined && at >= Date.parse(key.validUntil))) {
    return { ok: false, rejection: 'key_not_valid', detail: `key ${keyId} of ${statement.operatorId} is not valid at ${options.now.toISOString()}` };
  }
  if (!operator.groups.some((group) => expect.groups.includes(group))) {
    return { ok: false, rejection: 'not_in_group', detail: `${statement.operatorId} is in none of ${expect.groups.join(', ')}` };
  }
  const publicKey = decodeBase64url(key.publicKey, 32) as Uint8Array;
  if (!options.backend.verify(publicKey, approvalSigningInput(statement), decodeBase64url(sig, 64) as Uint8Array)) {
    return { ok: false, rejection: 'bad_signature', detail: `the signature does not verify with ${keyId}` };
  }
  const bound =
    statement.workflowId === expect.workflowId &&
    statement.runId === expect.runId &&
    digestsEqual(statement.requestHash as Digest, expect.requestHash) &&
    digestsEqual(statement.decisionReceiptId as Digest, expect.decisionReceiptId);
  if (!bound) return { ok: false, rejection: 'wrong_action', detail: 'the approval is for another workflow, run, request or decision' };
  if (!expect.verdicts.includes(statement.verdict)) {
    return { ok: false, rejection: 'wrong_verdict', detail: `verdict ${statement.verdict} does not count here (${expect.verdicts.join(', ')})` };
  }
  if (at >= Date.parse(statement.expiresAt)) return { ok: false, rejection: 'expired', detail: `expired at ${statement.expiresAt}` };
  if (expect.reasonRequired && statement.reason.trim() === '') return { ok: false, rejection: 'reason_required', detail: 'this grant requires a reason' };
  return { ok: true, operatorId: statement.operatorId, keyId, verdict: statement.verdict, statement };
}
