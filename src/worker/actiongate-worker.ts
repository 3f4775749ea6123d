import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode, type Logger, type WorkerOptions } from '@temporalio/worker';
import { avoidV8DeoptimizerAbort } from './v8-flags.js';
import { createActivities, type ActivityDeps } from '../../activities/index.js';
import type { ActionGateTracing } from '../tracing/tracing.js';
import { tracingWorkerOptions, tracingWorkflowInterceptorModules } from './worker-tracing.js';

/** Running from the TypeScript sources (tests, tsx) rather than from the build in dist/. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

/**
 * The workflows module the worker bundles (resolved from this file, wherever the process starts):
 * workflows/index.ts from the sources, dist/workflows/index.js from the build.
 */
export const WORKFLOWS_PATH = fileURLToPath(new URL(FROM_SOURCE ? '../../workflows/index.ts' : '../../workflows/index.js', import.meta.url));

/**
 * The workflow bundle `npm run build` writes (dist/workflow-bundle.js), when this module runs from
 * dist/ and it is there; from the sources there is none and the worker bundles WORKFLOWS_PATH.
 */
export const PREBUILT_WORKFLOW_BUNDLE_PATH = FROM_SOURCE ? undefined : fileURLToPath(new URL('../../workflow-bundle.js', import.meta.url));

/** Workflow code for Worker.create: a bundle's code, or the path of a bundle file. */
export type WorkflowBundle = { code: string } | { codePath: string };

/**
 * The prebuilt workflow bundle if there is one, else the workflows bundled now (seconds). For
 * several workers in one process (they then share it). With `tracing`, always bundled now, with the
 * OpenTelemetry workflow interceptors (the prebuilt bundle has none).
 */
export async function loadWorkflowBundle(logger?: Logger, options: { tracing?: boolean } = {}): Promise<WorkflowBundle> {
  const prebuilt = options.tracing ? undefined : prebuiltBundle()?.workflowBundle;
  return prebuilt ?? bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    ...(options.tracing ? { workflowInterceptorModules: tracingWorkflowInterceptorModules() } : {}),
    ...(logger ? { logger } : {}),
  });
}

export interface ActionGateWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /**
   * Pre-bundled workflow code or bundle file (tests bundle once per run); otherwise the prebuilt
   * dist/workflow-bundle.js when there is one, else the worker bundles the workflows at start.
   */
  workflowBundle?: WorkflowBundle;
  /**
   * OpenTelemetry traces (off when absent): activity spans, and the workflow's spans through a sink.
   * The workflows are then bundled at start with the OpenTelemetry workflow interceptors, unless
   * `workflowBundle` is given: it must then come from `loadWorkflowBundle(logger, { tracing: true })`.
   */
  tracing?: ActionGateTracing;
  /**
   * Activities registered beside ActionGate's own (the benchmark's bare baseline). Anyone on the
   * namespace can call them: each must check its caller itself, as ActionGate's activities do.
   */
  additionalActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
  /** Extra worker settings, e.g. shutdownGraceTime. */
  workerOptions?: Partial<Pick<WorkerOptions, 'shutdownGraceTime' | 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentLocalActivityExecutions' | 'maxCachedWorkflows'>>;
}

/**
 * Builds a Temporal worker that runs the governed-action workflow and its activities.
 *
 * @example
 * const worker = await createActionGateWorker({ connection, namespace: 'default', taskQueue: 'actiongate', policies, store, connectors });
 * await worker.run();
 */
export async function createActionGateWorker(options: ActionGateWorkerOptions): Promise<Worker> {
  const { connection, namespace, taskQueue, workflowBundle, workerOptions, additionalActivities, tracing, ...deps } = options;
  // Before the first decision: see src/worker/v8-flags.ts.
  avoidV8DeoptimizerAbort();
  const traced = tracing ? await tracingWorkerOptions(tracing) : undefined;
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    ...(workflowBundle ? { workflowBundle } : (!tracing && prebuiltBundle()) || { workflowsPath: WORKFLOWS_PATH }),
    activities: { ...additionalActivities, ...createActivities(deps) },
    ...(traced
      ? {
          // The SDK only reads workflowModules when it bundles (and warns when given a bundle).
          interceptors: { activity: traced.activityInterceptors, ...(workflowBundle ? {} : { workflowModules: tracingWorkflowInterceptorModules() }) },
          sinks: traced.sinks,
        }
      : {}),
    ...workerOptions,
  });
}

function prebuiltBundle(): { workflowBundle: WorkflowBundle } | undefined {
  if (PREBUILT_WORKFLOW_BUNDLE_PATH === undefined || !existsSync(PREBUILT_WORKFLOW_BUNDLE_PATH)) return undefined;
  return { workflowBundle: { codePath: PREBUILT_WORKFLOW_BUNDLE_PATH } };
}
