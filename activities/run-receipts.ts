import type { Digest } from '../src/request/digest.js';
import type { DecisionReceiptBody, OperatorReceiptBody, OutcomeReceiptBody } from '../src/receipt/receipt-body.js';
import type { ReceiptStore } from '../src/store/receipt-store.js';

export interface RecordedDecision {
  receiptId: Digest;
  body: DecisionReceiptBody;
}

export interface RecordedOutcome {
  receiptId: Digest;
  body: OutcomeReceiptBody;
}

/** An approval (step-up) or override (break-glass) receipt. */
export interface RecordedOperators {
  receiptId: Digest;
  body: OperatorReceiptBody;
}

/** The committed receipts of one idempotency key (at most one of each kind). */
export async function receiptsOfKey(
  store: ReceiptStore,
  idempotencyKey: string,
): Promise<{ decision?: RecordedDecision; outcome?: RecordedOutcome; operators?: RecordedOperators }> {
  const rows = await store.findByKey(idempotencyKey);
  let decision: RecordedDecision | undefined;
  let outcome: RecordedOutcome | undefined;
  let operators: RecordedOperators | undefined;
  for (const row of rows) {
    if (row.body.kind === 'decision') decision = { receiptId: row.receiptId, body: row.body };
    else if (row.body.kind === 'outcome') outcome = { receiptId: row.receiptId, body: row.body };
    else operators = { receiptId: row.receiptId, body: row.body };
  }
  return { decision, outcome, operators };
}

/**
 * Whether what is on record lets the action go out: a decision that allows it by itself, or a
 * decision that waited for operators and their PERMIT of the same run, answering that decision.
 */
export function operatorsPermit(decision: RecordedDecision, operators: RecordedOperators | undefined): boolean {
  const wait = decision.body.operators;
  if (!wait || !operators) return false;
  const body = operators.body;
  return (
    body.kind === wait.kind &&
    body.outcome === 'PERMIT' &&
    body.runId === decision.body.runId &&
    body.workflowId === decision.body.workflowId &&
    body.requestHash === decision.body.requestHash &&
    body.decisionReceiptId === decision.receiptId
  );
}
