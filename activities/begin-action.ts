import type { PolicySource } from '../src/policy/policy-source.js';
import type { ReceiptStore } from '../src/store/receipt-store.js';
import type { ActionRequest } from '../src/request/action-request.js';
import { governedCall, type RefusedCallSink } from './caller.js';
import { receiptsOfKey, type RecordedDecision, type RecordedOperators, type RecordedOutcome } from './run-receipts.js';

export interface BeginActionInput {
  request: ActionRequest;
}

/** Default gate budget when no policy set is at hand (the decision is a refusal then anyway). */
export const DEFAULT_BUDGET_MS = 2_000;

export type BeginActionResult =
  /** An earlier run of this key decided (its workflow history may be gone): answer from its receipts. */
  | { kind: 'prior'; decision: RecordedDecision; outcome: RecordedOutcome | null; operators?: RecordedOperators }
  /** This very run decided already (a retried first workflow task runs its local activities again). */
  | { kind: 'own'; decision: RecordedDecision }
  /** Nothing decided yet: the gate's budget for the surface, from the active policy set. */
  | { kind: 'new'; budgetMs: number };

/**
 * The first step of workflow code before the one-step gate (decide now does this itself): what is
 * already on record for the key, told apart by run. Kept registered so that runs started by that
 * code, still in flight when a worker is upgraded, finish. Reads only; the budget it returns bounds
 * the next step and nothing else.
 */
export async function beginAction(
  deps: { store: ReceiptStore; policies: PolicySource; onRefusedCall?: RefusedCallSink },
  input: BeginActionInput,
): Promise<BeginActionResult> {
  const { request, caller } = governedCall('beginAction', deps.onRefusedCall, input);
  const { decision, outcome, operators } = await receiptsOfKey(deps.store, request.idempotencyKey);
  if (decision) {
    if (decision.body.runId === caller.runId && decision.body.workflowId === caller.workflowId) return { kind: 'own', decision };
    return { kind: 'prior', decision, outcome: outcome ?? null, ...(operators ? { operators } : {}) };
  }
  let budgetMs = DEFAULT_BUDGET_MS;
  try {
    budgetMs = (await deps.policies.active()).surface(request.surface)?.budgetMs ?? DEFAULT_BUDGET_MS;
  } catch {
    // No policies: the decide step refuses (policy_unavailable) within the default budget.
  }
  return { kind: 'new', budgetMs };
}
