// A ReceiptStore that times each call of the real one, so the bench can say how much of a
// governed action is Postgres. Adds two clock reads per call, nothing else.
import type { ActionRequest } from '../src/request/action-request.js';
import type { ReceiptBody } from '../src/receipt/receipt-body.js';
import type { AppendResult, ReceiptStore, StoredReceipt } from '../src/store/receipt-store.js';

export type StoreCall = 'append' | 'findByKey';

export class TimedReceiptStore implements ReceiptStore {
  /** Milliseconds per call, by method, since the last drain(). */
  private timings: Record<StoreCall, number[]> = { append: [], findByKey: [] };

  constructor(private readonly inner: ReceiptStore) {}

  async append(body: ReceiptBody, options?: { request?: ActionRequest }): Promise<AppendResult> {
    const started = performance.now();
    try {
      return await this.inner.append(body, options);
    } finally {
      this.timings.append.push(performance.now() - started);
    }
  }

  async findByKey(idempotencyKey: string): Promise<StoredReceipt[]> {
    const started = performance.now();
    try {
      return await this.inner.findByKey(idempotencyKey);
    } finally {
      this.timings.findByKey.push(performance.now() - started);
    }
  }

  /** Returns the timings collected so far and starts afresh. */
  drain(): Record<StoreCall, number[]> {
    const out = this.timings;
    this.timings = { append: [], findByKey: [] };
    return out;
  }
}
