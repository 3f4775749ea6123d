// The CLI worker's /metrics (ACTIONGATE_HTTP_PORT): the gate's metrics and the Temporal SDK's own,
// merged into one scrape target, counting what the worker recorded.
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/devstack/free-port.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { connectTemporal, gateClient, paymentRequest, policiesDispatchingTo, testEnv, uniqueId } from '../support/harness.js';
import { startCliWorker, stopCliWorker, type CliWorker } from '../support/run-cli.js';

let worker: CliWorker | undefined;
let fake: FakeExternalSystem | undefined;

afterAll(async () => {
  await stopCliWorker(worker);
  await fake?.close();
});

describe('when a worker runs with ACTIONGATE_HTTP_PORT', () => {
  it('serves /metrics: decisions and outcomes it recorded, the active policy set, and the Temporal SDK metrics', async () => {
    fake = await startFakeExternalSystem();
    const env = testEnv();
    const port = await freePort();
    const taskQueue = uniqueId('metrics-cli');
    worker = await startCliWorker({
      TEMPORAL_ADDRESS: env.temporalAddress,
      TEMPORAL_NAMESPACE: env.namespace,
      DATABASE_URL: env.databaseUrl,
      ACTIONGATE_TASK_QUEUE: taskQueue,
      ACTIONGATE_POLICIES: await policiesDispatchingTo(fake),
      ACTIONGATE_HTTP_PORT: String(port),
    });
    const { client, connection } = await connectTemporal();
    try {
      const gate = gateClient(client, taskQueue);
      expect((await gate.execute(paymentRequest())).dispatch.status).toBe('succeeded');
      expect((await gate.execute(paymentRequest({ context: { amount: 9_000_000, currency: 'EUR' } }))).outcome).toBe('DENY');
    } finally {
      await connection.close();
    }
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^actiongate_decisions_total\{surface="payments",outcome="PERMIT",reason_class="policy",mode="enforce"\} 1$/m);
    expect(text).toMatch(/^actiongate_decisions_total\{surface="payments",outcome="DENY",reason_class="policy",mode="enforce"\} 1$/m);
    expect(text).toMatch(/^actiongate_dispatch_total\{surface="payments",status="succeeded"\} 1$/m);
    expect(text).toMatch(/^actiongate_policy_bundle_info\{digest="sha256:[0-9a-f]{64}",version="",verification="unsigned"\} 1$/m);
    // The SDK's own worker metrics, from the core's exporter on a loopback port, in the same answer.
    expect(text).toMatch(/^temporal_[a-z_]+(\{[^}]*\})? \d/m);
    // No idempotency key or actor id is a label.
    expect(text).not.toMatch(/pay-[0-9a-f]{8}|agent-42/);
  }, 120_000);
});
