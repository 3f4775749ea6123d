import type { ReceiptBody } from '../receipt/receipt-body.js';
import type { ActionRequest } from '../request/action-request.js';
import type { AppendResult, ReceiptStore, StoredReceipt } from '../store/receipt-store.js';
import type { GateMetrics } from './gate-metrics.js';

/**
 * A receipt store that reports to {@link GateMetrics}: every append's time or failure, and each
 * receipt it inserted (never one it found already there), which is what the decision, outcome and
 * operator counters count. Reads pass through.
 *
 * @example createActionGateWorker({ store: new MeteredReceiptStore(new PgReceiptStore(pool), metrics), ... })
 */
export class MeteredReceiptStore implements ReceiptStore {
  constructor(
    private readonly inner: ReceiptStore,
    private readonly metrics: GateMetrics,
  ) {}

  async append(body: ReceiptBody, options?: { request?: ActionRequest }): Promise<AppendResult> {
    const started = performance.now();
    let result: AppendResult;
    try {
      result = await this.inner.append(body, options);
    } catch (error) {
      this.metrics.receiptAppend(body.kind, (performance.now() - started) / 1_000, false);
      throw error;
    }
    this.metrics.receiptAppend(body.kind, (performance.now() - started) / 1_000, true);
    if (result.inserted) this.metrics.receiptInserted(result.receipt.body);
    return result;
  }

  findByKey(idempotencyKey: string): Promise<StoredReceipt[]> {
    return this.inner.findByKey(idempotencyKey);
  }
}
