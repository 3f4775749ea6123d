// Messages between bench/run.ts and the worker child (Node IPC), defined once for both sides.
import type { StoreCall } from './timed-receipt-store.js';

export interface BenchWorkerConfig {
  temporalAddress: string;
  namespace: string;
  databaseUrl: string;
  policiesDir: string;
  /**
   * One Temporal worker per entry, all in this process. Usually one: bench/workflows.ts (both
   * variants) on one task queue. Workflow code is bundled by the parent (webpack in the child
   * would inflate its memory figures).
   */
  queues: Array<{ taskQueue: string; workflowBundlePath: string }>;
}

export type ToWorker =
  | { type: 'start'; config: BenchWorkerConfig }
  /** Send back (and reset) the receipt-store timings collected since the last request. */
  | { type: 'drain-timings' }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; policyDigest: string; surfaces: string[] }
  | { type: 'timings'; timings: Record<StoreCall, number[]>; rss: number }
  | { type: 'failed'; message: string };
