import { z } from 'zod';
import { GATE_REASONS } from '../src/action/action-result.js';
import type { ActionRequest } from '../src/request/action-request.js';
import { requestHash } from '../src/request/request-hash.js';
import { receiptDetail, receiptSubject, type DecisionReceiptBody } from '../src/receipt/receipt-body.js';
import type { ReceiptStore } from '../src/store/receipt-store.js';
import { governedCall, parseInput, type RefusedCallSink } from './caller.js';
import { commitDecision, existingDecision, type DecideResult } from './decide.js';

/** The refusals the workflow itself may put on record, when the decide step could not answer. */
export const REFUSAL_REASONS = {
  [GATE_REASONS.gateTimeout]: 'DENY',
  [GATE_REASONS.receiptStoreUnavailable]: 'DENY',
} as const;

export type WorkflowRefusalReason = keyof typeof REFUSAL_REASONS;

export interface RecordRefusalInput {
  request: ActionRequest;
  reason: WorkflowRefusalReason;
  detail?: string;
  /** When the workflow decided to refuse (its clock), so the agent's answer and the receipt agree. */
  issuedAt: string;
}

const InputSchema = z.object({
  reason: z.enum(Object.keys(REFUSAL_REASONS) as [WorkflowRefusalReason, ...WorkflowRefusalReason[]]),
  detail: z.string().max(2_000).optional(),
  issuedAt: z.iso.datetime(),
});

/**
 * Puts a refusal on record for the calling run when the decide step did not answer in time (or
 * the store did not take it). It can only ever write DENY or SILENCE, never a PERMIT, and never
 * over a decision already on record: that one is returned instead (first write wins).
 */
export async function recordRefusal(
  deps: { store: ReceiptStore; onRefusedCall?: RefusedCallSink },
  input: RecordRefusalInput,
): Promise<DecideResult> {
  const { request, caller } = governedCall('recordRefusal', deps.onRefusedCall, input);
  const data = parseInput('recordRefusal', deps.onRefusedCall, InputSchema, input);
  const earlier = await existingDecision(deps.store, request, caller);
  if (earlier) return earlier;
  const { reason, detail, issuedAt } = data;
  const body: DecisionReceiptBody = {
    ...receiptSubject(request, {
      workflowId: caller.workflowId,
      runId: caller.runId,
      requestHash: requestHash(request),
      issuedAt: new Date(issuedAt).toISOString(),
      actorKeyId: null,
    }),
    kind: 'decision',
    outcome: REFUSAL_REASONS[reason],
    reasons: [reason],
    mode: 'enforce',
    // No policy set decided this refusal (the gate did not answer), so it cites none.
    policy: { digest: null, version: null },
    detail: receiptDetail(detail),
  };
  return commitDecision(deps.store, request, caller, body);
}
