import type { ActionRequest } from '../request/action-request.js';
import type { Digest } from '../request/digest.js';
import type { Outcome } from '../policy/decision.js';
import type { SignedApproval } from '../identity/operator-approval.js';

/** Body format version. A reader that meets another value fails with UNSUPPORTED_VERSION. */
export const RECEIPT_VERSION = 1 as const;

export type ReceiptKind = 'decision' | 'outcome' | 'approval' | 'override';
export type SurfaceMode = 'enforce' | 'shadow';
export type DispatchStatus = 'succeeded' | 'failed' | 'skipped';

/** Fields every receipt carries: which action, which workflow run, which exact request. */
interface ReceiptSubject {
  v: typeof RECEIPT_VERSION;
  idempotencyKey: string;
  workflowId: string;
  runId: string;
  requestHash: Digest;
  /** Who asked: `keyId` is the key that proved it (the request's signature); null when not proven (a shadow surface's unsigned request, or a refusal made before the actor was checked). */
  actor: { id: string; type: string; keyId: string | null };
  surface: string;
  action: string;
  target: { type: string; id: string };
  /** The workflow's clock when the receipt was issued (ISO 8601, UTC). */
  issuedAt: string;
}

/** What the gate decided, bound to the request hash and the policy set in force. */
export interface DecisionReceiptBody extends ReceiptSubject {
  kind: 'decision';
  outcome: Outcome;
  reasons: string[];
  mode: SurfaceMode;
  /** The policy set in force: its digest, and the bundle's version label (null for a policy directory or none). */
  policy: { digest: Digest | null; version: string | null };
  /** Why a refusal was made, when the reason alone does not say (which field broke the schema, which key failed); at most 2,000 characters. */
  detail: string | null;
  /** Present only when the action waits for operators: a STEP_UP, or a DENY whose request asked for break-glass. */
  operators?: OperatorWait;
}

/**
 * What an action waits for: `approval` (a STEP_UP) or `override` (break-glass on a DENY), from
 * whom, how many, until when. Taken from the pinned policies when the decision is made.
 */
export interface OperatorWait {
  kind: 'approval' | 'override';
  /**
   * All must be met: each needs `quorum` distinct operators, each in one of its `groups`.
   * A step-up has one per group its approval policies name; break-glass one with the grant's groups.
   */
  requirements: Array<{ groups: string[]; quorum: number }>;
  reasonRequired: boolean;
  /** The end of the window: the decision's instant plus the grant's windowMs. */
  until: string;
}

/** Reasons of an approval or override receipt. */
export const OPERATOR_REASONS = {
  approved: 'approved',
  approvalRejected: 'approval_rejected',
  approvalTimeout: 'approval_timeout',
  overridden: 'overridden',
  overrideRejected: 'override_rejected',
  overrideTimeout: 'override_timeout',
} as const;
export type OperatorReason = (typeof OPERATOR_REASONS)[keyof typeof OPERATOR_REASONS];

/**
 * How operators answered a decision that waited for them: `PERMIT` (quorum approved, or the
 * glass was broken) unlocks dispatch; `DENY` (rejected, or the window closed) ends the action.
 * Carries every operator-signed statement that decided it, so a verifier holding the operators'
 * public keys can check them.
 */
export interface OperatorReceiptBody extends ReceiptSubject {
  kind: 'approval' | 'override';
  /** The STEP_UP or DENY decision receipt this answers. */
  decisionReceiptId: Digest;
  outcome: 'PERMIT' | 'DENY';
  reasons: [OperatorReason];
  /** The pinned policy set whose operators and grants were applied (the decision's). */
  policy: { digest: Digest | null; version: string | null };
  /** The signed approvals that decided it, sorted by operator id; empty when the window closed. */
  approvals: SignedApproval[];
}

/** What dispatch did, linked to the decision receipt by that receipt's id. */
export interface OutcomeReceiptBody extends ReceiptSubject {
  kind: 'outcome';
  decisionReceiptId: Digest;
  dispatch: {
    status: DispatchStatus;
    /** sha256 over the canonical JSON of what the connector returned. */
    resultHash: Digest | null;
    error: { code: string; message: string } | null;
  };
}

export type ReceiptBody = DecisionReceiptBody | OutcomeReceiptBody | OperatorReceiptBody;

/**
 * `dispatch.error.code` of an outcome receipt (status `skipped`) whose decision receipt says
 * PERMIT but was committed after the agent had already been told DENY: the PERMIT never applied.
 */
export const SUPERSEDED_ERROR_CODE = 'DECISION_SUPERSEDED';

/** Longest `detail` a decision receipt carries; longer ones are cut with a marker. */
export const MAX_DETAIL_CHARS = 2_000;

/** @example receiptDetail('x'.repeat(5000)).length === MAX_DETAIL_CHARS */
export function receiptDetail(detail: string | undefined | null): string | null {
  if (detail === undefined || detail === null || detail === '') return null;
  if (detail.length <= MAX_DETAIL_CHARS) return detail;
  const marker = ' …(cut)';
  let kept = detail.slice(0, MAX_DETAIL_CHARS - marker.length);
  // Never end on half a surrogate pair: Postgres jsonb refuses a lone surrogate.
  if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1);
  return `${kept}${marker}`;
}

/** The request fields a receipt binds, taken once so every kind binds the same ones. */
export function receiptSubject(
  request: ActionRequest,
  ids: { workflowId: string; runId: string; requestHash: Digest; issuedAt: string; actorKeyId: string | null },
): ReceiptSubject {
  return {
    v: RECEIPT_VERSION,
    idempotencyKey: request.idempotencyKey,
    workflowId: ids.workflowId,
    runId: ids.runId,
    requestHash: ids.requestHash,
    actor: { id: request.actor.id, type: request.actor.type, keyId: ids.actorKeyId },
    surface: request.surface,
    action: request.action,
    target: { type: request.target.type, id: request.target.id },
    issuedAt: ids.issuedAt,
  };
}
