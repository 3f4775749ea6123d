// OpenTelemetry for ActionGate's Temporal calls (client → workflow → activities), through
// @temporalio/interceptors-opentelemetry. Every OpenTelemetry module is imported here, dynamically,
// and only once tracing is asked for: `--help` and the client-only entry load none of them.
import type { Tracer } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';

/** Default `service.name` of the spans (OTEL_SERVICE_NAME overrides it in the CLI). */
export const DEFAULT_TRACING_SERVICE_NAME = 'actiongate-worker';

export interface TracingOptions {
  /** Where finished spans go, e.g. `new BatchSpanProcessor(new OTLPTraceExporter())`. */
  spanProcessor: SpanProcessor;
  /** Resource of every span (default: the SDK's default resource, service.name `actiongate-worker`). */
  resource?: Resource;
}

/** Tracing registered for this process, see {@link registerTracing}. */
export interface ActionGateTracing {
  readonly spanProcessor: SpanProcessor;
  readonly resource: Resource;
  readonly tracer: Tracer;
  /** Flushes the spans still queued and unregisters the process-wide tracer, context and propagator. */
  shutdown(): Promise<void>;
}

/**
 * Registers OpenTelemetry for this process: a tracer provider exporting to `spanProcessor`, an
 * AsyncLocalStorage context manager and the W3C trace-context propagator (the Temporal interceptors
 * use the global context and propagator to carry the trace across client, workflow and activities).
 * Once per process: call `shutdown()` before registering again. In a process that registered
 * OpenTelemetry itself, its context manager and propagator are used and left in place.
 *
 * @example
 * const tracing = await registerTracing({ spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter()) });
 * const worker = await createActionGateWorker({ ...options, tracing });
 * await worker.run();
 * await tracing.shutdown();
 */
export async function registerTracing(options: TracingOptions): Promise<ActionGateTracing> {
  const [otel, { BasicTracerProvider }, { Resource }, { AsyncLocalContextManager }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('./async-local-context-manager.js'),
  ]);
  const resource = options.resource ?? Resource.default().merge(new Resource({ 'service.name': DEFAULT_TRACING_SERVICE_NAME }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [options.spanProcessor] });
  // register() also installs the propagator OTEL_PROPAGATORS names (default W3C trace context and baggage).
  provider.register({ contextManager: new AsyncLocalContextManager() });
  // A process that registered OpenTelemetry already (its own SDK) keeps its globals: ActionGate's
  // spans still go to `spanProcessor` (the interceptors get this tracer), and shutdown leaves them.
  const owned = (otel.trace.getTracerProvider() as InstanceType<typeof otel.ProxyTracerProvider>).getDelegate() === provider;
  return {
    spanProcessor: options.spanProcessor,
    resource,
    tracer: provider.getTracer('actiongate'),
    async shutdown() {
      try {
        await provider.shutdown();
      } finally {
        if (owned) {
          otel.trace.disable();
          otel.context.disable();
          otel.propagation.disable();
        }
      }
    },
  };
}

/**
 * The Temporal client interceptors that open a span per client call (the submit's update-with-start)
 * and pass its context to the workflow in the headers.
 *
 * @example
 * const client = new Client({ connection, interceptors: { workflow: await tracingClientInterceptors(tracing) } });
 */
export async function tracingClientInterceptors(tracing: ActionGateTracing): Promise<WorkflowClientInterceptor[]> {
  const { OpenTelemetryWorkflowClientInterceptor } = await import('@temporalio/interceptors-opentelemetry/lib/client/index.js');
  return [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer })];
}

/** Settings resolved from the standard OTEL_* variables (see the CLI's config). */
export interface OtlpTracingSettings {
  serviceName: string;
}

/**
 * Tracing to an OTLP/HTTP collector: the exporter reads OTEL_EXPORTER_OTLP_* (endpoint, headers,
 * timeout) itself; spans are sent in batches.
 */
export async function registerOtlpTracing(settings: OtlpTracingSettings): Promise<ActionGateTracing> {
  const [{ BatchSpanProcessor }, { Resource }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  return registerTracing({
    spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter()),
    resource: Resource.default().merge(new Resource({ 'service.name': settings.serviceName })),
  });
}
