import type { Digest } from '../src/request/digest.js';
import type { DecisionReceiptBody, OutcomeReceiptBody } from '../src/receipt/receipt-body.js';
import type { ReceiptStore } from '../src/store/receipt-store.js';

export interface RecordedDecision {
  receiptId: Digest;
  body: DecisionReceiptBody;
}

export interface RecordedOutcome {
  receiptId: Digest;
  body: OutcomeReceiptBody;
}

/** The committed decision and outcome receipts of one idempotency key (at most one of each). */
export async function receiptsOfKey(store: ReceiptStore, idempotencyKey: string): Promise<{ decision?: RecordedDecision; outcome?: RecordedOutcome }> {
  const rows = await store.findByKey(idempotencyKey);
  let decision: RecordedDecision | undefined;
  let outcome: RecordedOutcome | undefined;
  for (const row of rows) {
    if (row.body.kind === 'decision') decision = { receiptId: row.receiptId, body: row.body };
    else if (row.body.kind === 'outcome') outcome = { receiptId: row.receiptId, body: row.body };
  }
  return { decision, outcome };
}
