import type { ActionRequest } from '../request/action-request.js';
import type { DecisionReceiptBody } from '../receipt/receipt-body.js';
import { GATE_REASONS } from '../action/action-result.js';
import type { Outcome } from './decision.js';
import type { CompiledPolicySet } from './policy-set.js';

/** A recorded decision with the request it decided (decision receipts archive both). */
export interface RecordedDecision {
  body: DecisionReceiptBody;
  request: ActionRequest;
}

export interface DecisionChange {
  idempotencyKey: string;
  surface: string;
  before: { outcome: Outcome; reasons: string[] };
  after: { outcome: Outcome; reasons: string[] };
}

export interface DecisionDiff {
  checked: number;
  /** Refusals the gate made itself (timeouts, store, no policies): no policy decided them. */
  skipped: number;
  changes: DecisionChange[];
}

const GATE_REFUSALS: ReadonlySet<string> = new Set([
  GATE_REASONS.gateTimeout,
  GATE_REASONS.receiptStoreUnavailable,
  GATE_REASONS.policyUnavailable,
  GATE_REASONS.expired,
]);

/** True when the recorded decision came from the gate, not from evaluating policies. */
export function isGateRefusal(body: DecisionReceiptBody): boolean {
  return body.reasons.some((r) => GATE_REFUSALS.has(r));
}

/**
 * Evaluates each recorded request against `candidate` at the instant it was first decided, and
 * lists the decisions whose outcome or reasons would change. Pure: same inputs, same diff.
 *
 * @example diffDecisions(lastThousand, compilePolicySet(files)).changes.length
 */
export function diffDecisions(records: readonly RecordedDecision[], candidate: CompiledPolicySet): DecisionDiff {
  const changes: DecisionChange[] = [];
  let skipped = 0;
  for (const { body, request } of records) {
    if (isGateRefusal(body)) {
      skipped++;
      continue;
    }
    // The receipt names the key that proved the actor; a signature was checked then, so assume it here.
    const after = candidate.evaluate(request, { now: new Date(body.issuedAt), assumeSigned: (body.actor.keyId ?? null) !== null });
    const before = { outcome: body.outcome, reasons: [...body.reasons].sort() };
    const afterReasons = [...after.reasons].sort();
    if (before.outcome !== after.outcome || before.reasons.join('\n') !== afterReasons.join('\n')) {
      changes.push({
        idempotencyKey: body.idempotencyKey,
        surface: body.surface,
        before,
        after: { outcome: after.outcome, reasons: afterReasons },
      });
    }
  }
  return { checked: records.length - skipped, skipped, changes };
}
