import type { Outcome } from '../policy/decision.js';
import type { Digest } from '../request/digest.js';
import type { DispatchStatus, OperatorWait, SurfaceMode } from '../receipt/receipt-body.js';

/** Refusal reasons the gate itself produces (policy ids come from the policies). */
export const GATE_REASONS = {
  unknownSurface: 'unknown_surface',
  evaluationError: 'evaluation_error',
  policyUnavailable: 'policy_unavailable',
  gateTimeout: 'gate_timeout',
  receiptStoreUnavailable: 'receipt_store_unavailable',
  noMatchingPermit: 'no_matching_permit',
  schemaViolation: 'schema_violation',
  unknownActor: 'unknown_actor',
  badSignature: 'bad_signature',
  targetMismatch: 'target_mismatch',
  expired: 'expired',
} as const;

/**
 * Refusals that hold even in shadow mode: the gate could not decide in time, could not record,
 * had no policies, or could not tell who asks or whether the agent still wants it.
 */
export const HELD_REFUSAL_REASONS: readonly string[] = [
  'gate_timeout',
  'receipt_store_unavailable',
  'policy_unavailable',
  'unknown_actor',
  'bad_signature',
  'target_mismatch',
  'expired',
] satisfies Array<(typeof GATE_REASONS)[keyof typeof GATE_REASONS]>;

/**
 * Whether break-glass may override this decision: a DENY the policies made (policy ids, or no
 * permit matched) in enforce mode. Never a SILENCE, a STEP_UP, or a refusal the gate made itself
 * (timeouts, store faults, expiry, identity): those say nothing about what the policies want.
 */
export function overridable(body: { outcome: Outcome; mode: SurfaceMode; reasons: readonly string[] }): boolean {
  if (body.outcome !== 'DENY' || body.mode !== 'enforce' || body.reasons.length === 0) return false;
  const gateReasons: readonly string[] = Object.values(GATE_REASONS);
  return body.reasons.every((reason) => reason === GATE_REASONS.noMatchingPermit || !gateReasons.includes(reason));
}

/**
 * Whether a recorded decision lets its action go out: a PERMIT, or a policy outcome in shadow
 * mode, never a held refusal. The workflow asks it to decide whether to dispatch; the dispatch
 * activity asks it again of the receipt in Postgres.
 */
export function allowsDispatch(body: { outcome: Outcome; mode: SurfaceMode; reasons: readonly string[] }): boolean {
  if (body.outcome === 'PERMIT') return true;
  return body.mode === 'shadow' && !body.reasons.some((reason) => HELD_REFUSAL_REASONS.includes(reason));
}

/** The decision, as an agent gets it in one round trip (the Update-With-Start result). */
export interface ActionDecision {
  idempotencyKey: string;
  workflowId: string;
  runId: string;
  /** sha256 over the RFC 8785 form of the request that was decided. */
  requestHash: Digest;
  outcome: Outcome;
  /** Policy ids or gate reasons, sorted. */
  reasons: string[];
  mode: SurfaceMode;
  policy: { digest: Digest | null; version: string | null };
  /** Id of the decision receipt; null only while a refusal's receipt is still waiting for the store. */
  receipts: { decision: Digest | null };
  /** true when this answer came from the receipts of an earlier run of the same key. */
  fromReceipts: boolean;
  /**
   * Why a refusal was made when the reason alone does not say (which field broke the schema, what
   * failed in evaluation, which key did not verify): the decision receipt's `detail`; null otherwise.
   */
  detail: string | null;
  /**
   * Present when the action waits for operators (a STEP_UP, or a DENY whose request asked for
   * break-glass): which groups, how many operators, until when. The final result says how they answered.
   */
  waitsFor?: OperatorWait;
}

export interface DispatchReport {
  status: DispatchStatus | 'unknown';
  resultHash: Digest | null;
  error: { code: string; message: string } | null;
  /**
   * What the external system answered (the connector's JSON), when it succeeded, the answer was at
   * most 64 KiB as canonical JSON, and it hashes to `resultHash`. Absent otherwise, and in answers
   * rebuilt from receipts (which keep only the hash).
   */
  result?: unknown;
}

/** How operators answered an action that waited for them (a STEP_UP, or a DENY under break-glass). */
export interface OperatorResolution {
  kind: 'approval' | 'override';
  /** PERMIT: approved or overridden, dispatch followed. DENY: rejected or the window closed. */
  outcome: 'PERMIT' | 'DENY';
  reasons: string[];
  /** The operators whose signed statements decided it. */
  operators: string[];
  /** The approval or override receipt; null only if it could not be recorded. */
  receiptId: Digest | null;
}

/** The end of a governed action: the decision, what dispatch did, and both receipts. */
export interface ActionResult extends Omit<ActionDecision, 'receipts'> {
  receipts: { decision: Digest | null; outcome: Digest | null };
  dispatch: DispatchReport;
  /** Present when the action waited for operators. */
  operators?: OperatorResolution;
}
