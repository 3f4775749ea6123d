// The CLI worker with the standard OTEL_* variables: OpenTelemetry spans over OTLP/HTTP to the
// collector they name, service.name from OTEL_SERVICE_NAME, the queued ones sent before it exits.
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/cli/config.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { connectTemporal, gateClient, paymentRequest, policiesDispatchingTo, testEnv, uniqueId } from '../support/harness.js';
import { startCliWorker, type CliWorker } from '../support/run-cli.js';

let worker: CliWorker | undefined;
let fake: FakeExternalSystem | undefined;
let collector: FakeExternalSystem | undefined;

afterAll(async () => {
  if (worker && worker.process.exitCode === null) worker.process.kill('SIGKILL');
  await fake?.close();
  await collector?.close();
});

describe('when the OTEL_* variables ask for traces', () => {
  it.each([
    [{}, { enabled: false }],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, { enabled: true, serviceName: 'actiongate-worker' }],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'gate-eu' }, { enabled: true, serviceName: 'gate-eu' }],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, { enabled: true, serviceName: 'actiongate-worker' }],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, { enabled: false }],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }, { enabled: false }],
    [{ OTEL_TRACES_EXPORTER: 'console' }, { enabled: false, ignored: expect.stringMatching(/^OTEL_TRACES_EXPORTER=console: only otlp/) }],
  ])('%j resolves to %j', (env, tracing) => {
    expect(resolveConfig(env).tracing).toEqual(tracing);
  });

  it('the worker exports the workflow and activity spans of an action to the OTLP endpoint', async () => {
    fake = await startFakeExternalSystem();
    collector = await startFakeExternalSystem();
    const env = testEnv();
    const taskQueue = uniqueId('traces-cli');
    worker = await startCliWorker({
      TEMPORAL_ADDRESS: env.temporalAddress,
      TEMPORAL_NAMESPACE: env.namespace,
      DATABASE_URL: env.databaseUrl,
      ACTIONGATE_TASK_QUEUE: taskQueue,
      ACTIONGATE_POLICIES: await policiesDispatchingTo(fake),
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url(''),
      OTEL_SERVICE_NAME: 'actiongate-traces-test',
    });
    expect(worker.stderr()).toMatch(/traces exported over OTLP\/HTTP as service actiongate-traces-test/);
    const { client, connection } = await connectTemporal();
    try {
      expect((await gateClient(client, taskQueue).execute(paymentRequest())).dispatch.status).toBe('succeeded');
    } finally {
      await connection.close();
    }
    // The spans still in the batch are sent on the way out.
    const exited = new Promise((resolve) => worker?.process.once('exit', resolve));
    worker.process.kill('SIGTERM');
    expect(await exited).toBe(0);

    const posts = collector.calls.filter((c) => c.path === '/v1/traces');
    expect(posts.length).toBeGreaterThan(0);
    const sent = JSON.stringify(posts.map((c) => c.body));
    for (const name of ['RunWorkflow:governedActionWorkflow', 'RunActivity:decide', 'RunActivity:dispatch']) expect(sent).toContain(`"${name}"`);
    expect(sent).toContain('"actiongate-traces-test"');
    expect(worker.stderr()).not.toMatch(/unregistered external sink/);
  }, 120_000);
});
