import type { ActionRequest } from '../src/request/action-request.js';
import type { Digest } from '../src/request/digest.js';
import type { ReceiptBody } from '../src/receipt/receipt-body.js';
import type { ReceiptStore } from '../src/store/receipt-store.js';

export interface RecordReceiptInput {
  body: ReceiptBody;
  /** Decision receipts archive the full request beside the body, for replay. */
  request?: ActionRequest;
}

export interface RecordedReceipt {
  receiptId: Digest;
  seq: string;
  /** The stored body: ours, or the first one recorded for this key and kind. */
  body: ReceiptBody;
  inserted: boolean;
}

/** Commits one receipt. Returns only once the row is durable; idempotent across retries. */
export async function recordReceipt(deps: { store: ReceiptStore }, input: RecordReceiptInput): Promise<RecordedReceipt> {
  const { receipt, inserted } = await deps.store.append(
    input.body,
    input.request === undefined ? {} : { request: input.request },
  );
  return { receiptId: receipt.receiptId, seq: receipt.seq, body: receipt.body, inserted };
}
