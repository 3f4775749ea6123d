// OpenTelemetry traces: one trace from the agent's submit (client) through the workflow to the
// decide and dispatch activities, exported by a tracing worker and client to an in-memory exporter.
import { readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionGateClient } from '../../src/client/actiongate-client.js';
import { loadStaticPolicySource } from '../../src/policy/policy-source.js';
import { PgReceiptStore } from '../../src/store/receipt-store.js';
import { registerTracing, tracingClientInterceptors, type ActionGateTracing } from '../../src/tracing/tracing.js';
import { createActionGateWorker } from '../../src/worker/actiongate-worker.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { connectorsTo, demoSignerFor, openPool, paymentRequest, testEnv, uniqueId } from '../support/harness.js';
import { POLICIES_DIR } from '../support/paths.js';

const exporter = new InMemorySpanExporter();
const sinkErrors: string[] = [];
let tracing: ActionGateTracing;
let fake: FakeExternalSystem;
let pool: pg.Pool;
let nativeConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let connection: Connection;
let gate: ActionGateClient;

beforeAll(async () => {
  const logger = new DefaultLogger('WARN', (entry) => {
    if (/sink/i.test(entry.message)) sinkErrors.push(entry.message);
  });
  Runtime.install({ logger });
  tracing = await registerTracing({ spanProcessor: new SimpleSpanProcessor(exporter) });
  fake = await startFakeExternalSystem();
  pool = openPool();
  const { source, error } = await loadStaticPolicySource(POLICIES_DIR);
  expect(error).toBeUndefined();
  const env = testEnv();
  const taskQueue = uniqueId('tracing');
  nativeConnection = await NativeConnection.connect({ address: env.temporalAddress });
  // No workflowBundle: a tracing worker bundles the workflows with the OpenTelemetry interceptors.
  worker = await createActionGateWorker({
    connection: nativeConnection,
    namespace: env.namespace,
    taskQueue,
    policies: source,
    connectors: connectorsTo(fake),
    store: new PgReceiptStore(pool),
    tracing,
    workerOptions: { shutdownGraceTime: '2s' },
  });
  running = worker.run();
  connection = await Connection.connect({ address: env.temporalAddress });
  const client = new Client({ connection, namespace: env.namespace, interceptors: { workflow: await tracingClientInterceptors(tracing) } });
  gate = new ActionGateClient({ client, taskQueue, signer: demoSignerFor });
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await nativeConnection?.close();
  await connection?.close();
  await tracing?.shutdown();
  await pool?.end();
  await fake?.close();
});

describe('when tracing is on', () => {
  it('exports one trace from the submit through the workflow to decide and dispatch', async () => {
    const request = paymentRequest();
    const { decision, result } = await gate.submit(request);
    expect(decision.outcome).toBe('PERMIT');
    expect((await result()).dispatch.status).toBe('succeeded');
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);

    // The workflow's own spans arrive through the sink when its task completes: wait for its run span.
    const spans = await eventually(() => {
      const finished = exporter.getFinishedSpans();
      return finished.some((s) => s.name.startsWith('RunWorkflow:')) && finished.some((s) => s.name.startsWith('RunActivity:')) ? finished : undefined;
    });
    const ofThisAction = spans.filter((s) => s.spanContext().traceId === traceOf(spans, 'UpdateWithStartWorkflow:'));
    const names = ofThisAction.map((s) => s.name);
    console.log('spans of the trace:', [...new Set(names)].sort().join(', '));

    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    // Names per @temporalio/interceptors-opentelemetry: client, workflow, then each activity
    // scheduled by the workflow (StartActivity, decide is a local one) and run by the worker (RunActivity).
    expect(names).toEqual(expect.arrayContaining([
      'UpdateWithStartWorkflow:submit-action',
      'RunWorkflow:governedActionWorkflow',
      'HandleUpdate:submit-action',
      'StartActivity:decide',
      'RunActivity:decide',
      'StartActivity:dispatch',
      'RunActivity:dispatch',
    ]));
    const root = ofThisAction.find((s) => s.name === 'UpdateWithStartWorkflow:submit-action') as ReadableSpan;
    expect(ofThisAction.find((s) => s.name === 'RunWorkflow:governedActionWorkflow')?.parentSpanId).toBe(root.spanContext().spanId);
    expect(spans.every((s) => s.resource.attributes['service.name'] === 'actiongate-worker')).toBe(true);
    expect(sinkErrors).toEqual([]);
  });
});

describe('when tracing is off', () => {
  it('the prebuilt workflow bundle other workers load carries no OpenTelemetry interceptors', async () => {
    const code = await readFile(testEnv().workflowBundlePath, 'utf8');
    expect(code).not.toContain('OpenTelemetryInboundInterceptor');
  });
});

function traceOf(spans: ReadableSpan[], prefix: string): string {
  const span = spans.find((s) => s.name.startsWith(prefix));
  expect(span, `a span named ${prefix}...`).toBeDefined();
  return (span as ReadableSpan).spanContext().traceId;
}

async function eventually<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out; spans so far: ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
