import { z } from 'zod';
import { digestsEqual } from '../src/request/digest.js';
import type { ActionRequest } from '../src/request/action-request.js';
import { requestHash } from '../src/request/request-hash.js';
import type { ReceiptStore } from '../src/store/receipt-store.js';
import { governedCall, parseInput, refuse, type RefusedCallSink } from './caller.js';
import { outcomeBody } from './dispatch.js';
import { receiptsOfKey, type RecordedOutcome } from './run-receipts.js';
import { rethrowStoreError } from './store-errors.js';

export interface RecordOutcomeInput {
  request: ActionRequest;
  /**
   * What the workflow saw when dispatch did not record an outcome itself: `failed` (retries
   * exhausted, timed out) or `skipped` (not dispatched). Never `succeeded`: only the dispatch
   * activity, which performed the effect, records a success.
   */
  dispatch: { status: 'failed' | 'skipped'; error: { code: string; message: string } | null };
  issuedAt: string;
}

const InputSchema = z.object({
  dispatch: z.strictObject({
    status: z.enum(['failed', 'skipped']),
    error: z.strictObject({ code: z.string().min(1).max(200), message: z.string().max(2_000) }).nullable(),
  }),
  issuedAt: z.iso.datetime(),
});

/**
 * Settles the outcome of the calling run's action: the outcome already on record (the dispatch
 * activity writes its own), or else the failure or skip the workflow reports. Only for a decision
 * that exists and belongs to the calling run, with the same request hash.
 */
export async function recordOutcome(
  deps: { store: ReceiptStore; onRefusedCall?: RefusedCallSink },
  input: RecordOutcomeInput,
): Promise<RecordedOutcome> {
  const { request, caller } = governedCall('recordOutcome', deps.onRefusedCall, input);
  const data = parseInput('recordOutcome', deps.onRefusedCall, InputSchema, input);
  const { decision, outcome } = await receiptsOfKey(deps.store, request.idempotencyKey).catch(rethrowStoreError);
  if (!decision || decision.body.runId !== caller.runId || decision.body.workflowId !== caller.workflowId) {
    refuse('recordOutcome', deps.onRefusedCall, 'CALLER_REFUSED', `no decision of run ${caller.runId} is on record for ${request.idempotencyKey}`);
  }
  if (!digestsEqual(decision.body.requestHash, requestHash(request))) {
    refuse('recordOutcome', deps.onRefusedCall, 'CALLER_REFUSED', `the request does not hash to the decision's ${decision.body.requestHash}`);
  }
  if (outcome) return outcome;
  const body = outcomeBody(request, decision, new Date(data.issuedAt).toISOString(), {
    status: data.dispatch.status,
    resultHash: null,
    error: data.dispatch.error,
  });
  const { receipt } = await deps.store.append(body).catch(rethrowStoreError);
  return { receiptId: receipt.receiptId, body: receipt.body as RecordedOutcome['body'] };
}

export type { ActionRequest };
