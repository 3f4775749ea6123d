// The workflow's wire contract, defined once: names here are stable, clients and tools depend on them.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ActionDecision } from '../src/action/action-result.js';
import type { ActionRequest } from '../src/request/action-request.js';
import type { RequestSignature } from '../src/identity/request-signature.js';

export const WORKFLOW_TYPE = 'governedActionWorkflow';

export interface GovernedActionInput {
  request: ActionRequest;
  /** The actor's detached signature over the request hash (`actiongate/request/v1`); the gate checks it. */
  signature?: RequestSignature;
}

/**
 * Update-With-Start: hands the request over and answers with the decision once it is on record.
 * The signature is not part of the request (it signs the request's hash); a repeat may carry another.
 */
export const submitActionUpdate = defineUpdate<ActionDecision, [ActionRequest, RequestSignature?]>('submit-action');

/** The decision so far, or null before it is made. */
export const decisionQuery = defineQuery<ActionDecision | null>('decision');

/**
 * An operator's signed approval, rejection or override (a `SignedApproval`, src/identity/operator-approval.ts)
 * for an action that waits for operators. A signal, so that `temporal workflow signal` can send it
 * and it is kept in the history even while no worker runs; `actiongate approve` then reads
 * {@link operatorsQuery} to tell the operator whether it counted. Anything else sent here is
 * checked, refused and logged; it changes nothing.
 */
export const operatorApprovalSignal = defineSignal<[unknown]>('operator-approval');

/** Where an action that waits for operators stands. */
export interface OperatorsView {
  kind: 'approval' | 'override';
  decisionReceiptId: string;
  requirements: Array<{ groups: string[]; quorum: number }>;
  reasonRequired: boolean;
  until: string;
  /** Operators whose approval counts so far (valid at the last check). */
  counted: Array<{ operatorId: string; verdict: string; expiresAt: string }>;
  /** Approvals that did not count, most recent last (at most 20 kept here; all are logged). */
  refused: Array<{ operatorId: string | null; rejection: string; detail: string }>;
  /** Set once the approval or override receipt is on record. */
  resolution: { outcome: 'PERMIT' | 'DENY'; reasons: string[]; receiptId: string } | null;
}

/** null when the action never waited for operators. */
export const operatorsQuery = defineQuery<OperatorsView | null>('operators');

export const SEARCH_ATTRIBUTES = {
  surface: defineSearchAttributeKey('ActionSurface', SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey('ActionOutcome', SearchAttributeType.KEYWORD),
  actor: defineSearchAttributeKey('ActionActor', SearchAttributeType.KEYWORD),
  policyDigest: defineSearchAttributeKey('PolicyDigest', SearchAttributeType.KEYWORD),
  /**
   * Set only on actions that waited for operators: `approval-pending`, `approved`,
   * `approval-rejected`, `approval-timeout`; `break-glass-pending`, `overridden` (break-glass was
   * used), `override-rejected`, `override-timeout`.
   */
  operators: defineSearchAttributeKey('ActionOperators', SearchAttributeType.KEYWORD),
  /**
   * The dispatch: `pending` while a permitted action is being dispatched, then the outcome's status,
   * `succeeded`, `failed` or `skipped` (`unknown`: answered from an earlier run that left no outcome).
   */
  dispatch: defineSearchAttributeKey('ActionDispatch', SearchAttributeType.KEYWORD),
  /** The decision's reasons: policy ids, or the gate's reason for a refusal (`gate_timeout`, ...). Never free text. */
  reasons: defineSearchAttributeKey('ActionReasons', SearchAttributeType.KEYWORD_LIST),
} as const;

/** Application failure types the workflow raises; clients map them to typed errors. */
export const FAILURE_TYPES = {
  idempotencyConflict: 'IDEMPOTENCY_CONFLICT',
  invalidRequest: 'INVALID_REQUEST',
} as const;
