import { createRequire } from 'node:module';
import type { WorkerOptions } from '@temporalio/worker';
import type { ActionGateTracing } from '../tracing/tracing.js';

/**
 * The OpenTelemetry workflow interceptors module. It has to be inside the workflow bundle, so a
 * tracing worker bundles its workflows at start (see createActionGateWorker): the prebuilt bundle
 * leaves it out, because without the exporter sink every workflow span would be an
 * "unregistered external sink" error in the worker's log.
 */
export function tracingWorkflowInterceptorModules(): string[] {
  return [createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors.js')];
}

/**
 * The worker settings that trace: a span per activity execution (decide, record, dispatch, ...)
 * under the workflow's span, and the sink the workflow sandbox exports its spans through.
 */
export async function tracingWorkerOptions(tracing: ActionGateTracing): Promise<Pick<WorkerOptions, 'sinks'> & { activityInterceptors: NonNullable<NonNullable<WorkerOptions['interceptors']>['activity']> }> {
  const { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, makeWorkflowExporter } = await import('@temporalio/interceptors-opentelemetry/lib/worker/index.js');
  return {
    activityInterceptors: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing.tracer }),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}
