import type { Outcome } from '../policy/decision.js';
import type { Digest } from '../request/digest.js';
import type { DispatchStatus, SurfaceMode } from '../receipt/receipt-body.js';

/** Refusal reasons the gate itself produces (policy ids come from the policies). */
export const GATE_REASONS = {
  unknownSurface: 'unknown_surface',
  evaluationError: 'evaluation_error',
  policyUnavailable: 'policy_unavailable',
  gateTimeout: 'gate_timeout',
  receiptStoreUnavailable: 'receipt_store_unavailable',
  noMatchingPermit: 'no_matching_permit',
} as const;

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
}

export interface DispatchReport {
  status: DispatchStatus | 'unknown';
  resultHash: Digest | null;
  error: { code: string; message: string } | null;
}

/** The end of a governed action: the decision, what dispatch did, and both receipts. */
export interface ActionResult extends Omit<ActionDecision, 'receipts'> {
  receipts: { decision: Digest | null; outcome: Digest | null };
  dispatch: DispatchReport;
}
