import type { Digest } from '../src/request/digest.js';
import type { DecisionReceiptBody, OutcomeReceiptBody, SurfaceMode } from '../src/receipt/receipt-body.js';
import type { PolicySource } from '../src/policy/policy-source.js';
import type { ReceiptStore } from '../src/store/receipt-store.js';

export interface BeginActionInput {
  idempotencyKey: string;
  surface: string;
}

export type BeginActionResult =
  /** This key was decided before (its workflow history may be gone): answer from the receipts. */
  | {
      kind: 'prior';
      decision: { receiptId: Digest; body: DecisionReceiptBody };
      outcome: { receiptId: Digest; body: OutcomeReceiptBody } | null;
    }
  /** New action: the policy set it is pinned to for its whole life, and its surface's settings. */
  | { kind: 'pinned'; digest: Digest; version: string | null; surface: { mode: SurfaceMode; budgetMs: number } | null }
  /** No usable policy set: the action is refused (SILENCE, policy_unavailable). */
  | { kind: 'policy-unavailable'; detail: string };

/** First step of every action: look for earlier receipts of the key, then pin the active policy set. */
export async function beginAction(
  deps: { store: ReceiptStore; policies: PolicySource },
  input: BeginActionInput,
): Promise<BeginActionResult> {
  const prior = await deps.store.findByKey(input.idempotencyKey);
  const decision = prior.find((r) => r.kind === 'decision');
  if (decision && decision.body.kind === 'decision') {
    const outcome = prior.find((r) => r.kind === 'outcome');
    return {
      kind: 'prior',
      decision: { receiptId: decision.receiptId, body: decision.body },
      outcome: outcome && outcome.body.kind === 'outcome' ? { receiptId: outcome.receiptId, body: outcome.body } : null,
    };
  }
  let set;
  try {
    set = await deps.policies.active();
  } catch (err) {
    return { kind: 'policy-unavailable', detail: (err as Error).message };
  }
  const surface = set.surface(input.surface);
  return {
    kind: 'pinned',
    digest: set.digest,
    version: set.version,
    surface: surface ? { mode: surface.mode, budgetMs: surface.budgetMs } : null,
  };
}
