import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities/index.js';

/** The workflows module the worker bundles (resolved from this file, wherever the process starts). */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

export interface ActionGateWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Pre-bundled workflow code (tests bundle once per run); otherwise the worker bundles at start. */
  workflowBundle?: { code: string };
  /**
   * Activities registered beside ActionGate's own (the benchmark's bare baseline). Anyone on the
   * namespace can call them: each must check its caller itself, as ActionGate's activities do.
   */
  additionalActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
  /** Extra worker settings, e.g. shutdownGraceTime. */
  workerOptions?: Partial<Pick<WorkerOptions, 'shutdownGraceTime' | 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentLocalActivityExecutions'>>;
}

/**
 * Builds a Temporal worker that runs the governed-action workflow and its activities.
 *
 * @example
 * const worker = await createActionGateWorker({ connection, namespace: 'default', taskQueue: 'actiongate', policies, store, connectors });
 * await worker.run();
 */
export async function createActionGateWorker(options: ActionGateWorkerOptions): Promise<Worker> {
  const { connection, namespace, taskQueue, workflowBundle, workerOptions, additionalActivities, ...deps } = options;
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: { ...additionalActivities, ...createActivities(deps) },
    ...workerOptions,
  });
}
