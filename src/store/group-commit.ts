/**
 * Group commit: concurrent submissions are queued and written together, one batch at a time.
 *
 * - A submission that finds nothing in flight is written at once, alone: no added latency without
 *   contention.
 * - While a batch is in flight, new submissions queue. When it finishes, its callers are answered
 *   and, one turn of the event loop later (so that those that submit again at once join in), the
 *   queue (up to `maxBatch` of it, oldest first) goes as the next batch; an empty queue ends the run.
 * - When a batch of more than one fails, the failure may be one item's (a value the database
 *   refuses): when `retryAlone(err)` says so, each item is written again alone, in order, so only
 *   the bad one fails, with its own error. Otherwise (e.g. a lost connection, which every item
 *   would meet again) every item of the batch fails with the batch's error, so each caller's own
 *   retry applies.
 *
 * @example
 * const commits = new GroupCommit<Body, Result>((bodies) => writeAllInOneTransaction(bodies), { maxBatch: 100 });
 * const result = await commits.submit(body);
 */
export class GroupCommit<T, R> {
  private readonly queue: Array<Entry<T, R>> = [];
  private draining = false;
  private readonly counters = { batches: 0, items: 0, largestBatch: 0, retriedAlone: 0 };

  constructor(
    /** Writes a batch; resolves with one result per item, in order, or rejects for the whole batch. */
    private readonly write: (items: readonly T[]) => Promise<R[]>,
    private readonly options: { maxBatch: number; retryAlone: (err: unknown) => boolean },
  ) {
    if (!Number.isSafeInteger(options.maxBatch) || options.maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, not ${options.maxBatch}`);
  }

  /** Queues `item` and resolves with its own result once its batch has been written. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  /** How many batches were written (retries alone not counted), how many items they held, the largest, and how many items were retried alone. */
  get stats(): GroupCommitStats {
    const { batches, items, largestBatch, retriedAlone } = this.counters;
    return { batches, items, largestBatch, retriedAlone, meanBatch: batches === 0 ? 0 : items / batches };
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (;;) {
        const batch = this.queue.splice(0, this.options.maxBatch);
        if (batch.length === 0) return;
        this.counters.batches += 1;
        this.counters.items += batch.length;
        this.counters.largestBatch = Math.max(this.counters.largestBatch, batch.length);
        await this.writeBatch(batch);
        // The callers just answered (and anything else ready in this turn of the event loop) may
        // append again at once: one turn for them to queue, so they go together as the next batch
        // rather than one alone and the rest behind it.
        if (this.queue.length < this.options.maxBatch) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.draining = false;
    }
  }

  private async writeBatch(batch: Array<Entry<T, R>>): Promise<void> {
    let results: R[];
    try {
      results = await this.write(batch.map((entry) => entry.item));
      if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} gave ${results.length} results`);
    } catch (err) {
      if (batch.length === 1 || !this.options.retryAlone(err)) {
        for (const entry of batch) entry.reject(err);
        return;
      }
      await this.retryAlone(batch);
      return;
    }
    batch.forEach((entry, i) => entry.resolve(results[i] as R));
  }

  private async retryAlone(batch: Array<Entry<T, R>>): Promise<void> {
    this.counters.retriedAlone += batch.length;
    for (let i = 0; i < batch.length; i++) {
      const entry = batch[i] as Entry<T, R>;
      try {
        const [result] = await this.write([entry.item]);
        if (result === undefined) throw new Error('a batch of 1 gave no result');
        entry.resolve(result);
      } catch (err) {
        entry.reject(err);
        if (!this.options.retryAlone(err)) {
          // The rest would meet the same (a lost database): they fail with it, and their callers retry.
          for (const rest of batch.slice(i + 1)) rest.reject(err);
          return;
        }
      }
    }
  }
}

export interface GroupCommitStats {
  batches: number;
  items: number;
  largestBatch: number;
  retriedAlone: number;
  meanBatch: number;
}

interface Entry<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}
