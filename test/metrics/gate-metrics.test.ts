// The gate's metrics against the real stack: each decision, outcome and refusal is counted once, when
// its receipt is inserted, whatever Temporal replays or retries. The worker here keeps no workflow
// cache, so every workflow task replays the history from its start.
import type { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionGateClient } from '../../src/client/actiongate-client.js';
import { GateMetrics, MAX_SURFACE_LABELS, reasonClass } from '../../src/metrics/gate-metrics.js';
import { MeteredReceiptStore } from '../../src/metrics/metered-receipt-store.js';
import { PgReceiptStore } from '../../src/store/receipt-store.js';
import { decisionBody } from '../fixtures/decision-body.js';
import { loadStaticPolicySource } from '../../src/policy/policy-source.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { connectTemporal, connectorsTo, gateClient, openPool, paymentRequest, startTestWorker, uniqueId, type RunningWorker } from '../support/harness.js';
import { POLICIES_DIR } from '../support/paths.js';

let fake: FakeExternalSystem;
let pool: pg.Pool;
let worker: RunningWorker;
let temporal: { client: Client; connection: Connection };
let gate: ActionGateClient;
const metrics = new GateMetrics();

beforeAll(async () => {
  fake = await startFakeExternalSystem();
  pool = openPool();
  const { source } = await loadStaticPolicySource(POLICIES_DIR);
  const taskQueue = uniqueId('metrics');
  worker = await startTestWorker({ taskQueue, policies: source, connectors: connectorsTo(fake), pool, metrics, maxCachedWorkflows: 0 });
  temporal = await connectTemporal();
  gate = gateClient(temporal.client, taskQueue);
});

afterAll(async () => {
  await worker?.stop();
  await temporal?.connection.close();
  await pool?.end();
  await fake?.close();
});

/** The value of one series in the exposition text, 0 when absent. */
async function value(name: string, labels: Record<string, string>): Promise<number> {
  const text = await metrics.render();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inner = line.slice(name.length + 1, line.indexOf('}'));
    const parts = inner.split(',');
    if (wanted.every((w) => parts.includes(w)) && parts.length === wanted.length) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

describe('when actions go through a worker whose every workflow task replays the history', () => {
  it('counts each decision and outcome once, repeats and replays included', async () => {
    const permits = [paymentRequest(), paymentRequest(), paymentRequest()];
    const denies = [paymentRequest({ context: { amount: 9_000_000, currency: 'EUR' } }), paymentRequest({ context: { amount: 8_000_000, currency: 'EUR' } })];
    const silence = paymentRequest({ surface: 'crypto-trades', action: 'buy' });
    for (const request of [...permits, ...denies, silence]) await gate.execute(request);
    // Repeats get the first answer: no new receipt, no new count.
    await gate.execute(permits[0]!);
    await gate.execute(denies[0]!);

    expect(await value('actiongate_decisions_total', { surface: 'payments', outcome: 'PERMIT', reason_class: 'policy', mode: 'enforce' })).toBe(3);
    expect(await value('actiongate_decisions_total', { surface: 'payments', outcome: 'DENY', reason_class: 'policy', mode: 'enforce' })).toBe(2);
    expect(await value('actiongate_decisions_total', { surface: 'crypto-trades', outcome: 'SILENCE', reason_class: 'unknown_surface', mode: 'enforce' })).toBe(1);
    expect(await value('actiongate_dispatch_total', { surface: 'payments', status: 'succeeded' })).toBe(3);
    expect(await value('actiongate_dispatch_total', { surface: 'payments', status: 'skipped' })).toBe(2);
    expect(await value('actiongate_dispatch_attempts_count', { surface: 'payments' })).toBe(3);
    expect(await value('actiongate_decision_latency_seconds_count', { surface: 'payments' })).toBe(5);
    expect(await value('actiongate_gate_evaluation_seconds_count', { surface: 'payments' })).toBe(5);
    expect(await value('actiongate_gate_budget_seconds', { surface: 'payments' })).toBe(2);
    // 6 decisions + 6 outcomes, each appended once.
    expect(await value('actiongate_receipt_append_seconds_count', { kind: 'decision' })).toBe(6);
    expect(await value('actiongate_receipt_append_seconds_count', { kind: 'outcome' })).toBe(6);
    expect(fake.calls.length).toBe(3);
  });
});

describe('when the same receipt is appended twice (a retry, a race between workers)', () => {
  it('counts it once: only the append that inserted it counts', async () => {
    const own = new GateMetrics();
    const store = new MeteredReceiptStore(new PgReceiptStore(pool), own);
    const body = decisionBody(uniqueId('twice'), { outcome: 'DENY', reasons: ['payments.forbid-agent-over-limit'], policy: { digest: `sha256:${'c'.repeat(64)}`, version: null } });
    expect((await store.append(body)).inserted).toBe(true);
    expect((await store.append(body)).inserted).toBe(false);
    const text = await own.render();
    expect(text).toMatch(/^actiongate_decisions_total\{surface="payments",outcome="DENY",reason_class="policy",mode="enforce"\} 1$/m);
    expect(text).toMatch(/^actiongate_receipt_append_seconds_count\{kind="decision"\} 2$/m);
  });
});

describe('reason classes and label bounds', () => {
  it.each([
    [['payments.forbid-agent-over-limit'], 'policy'],
    [['no_matching_permit'], 'policy'],
    [['gate_timeout'], 'gate_timeout'],
    [['policy_unavailable'], 'policy_unavailable'],
    [['receipt_store_unavailable'], 'receipt_store_unavailable'],
    [['evaluation_error'], 'evaluation_error'],
    [['bad_signature'], 'identity'],
    [['unknown_actor'], 'identity'],
    [['target_mismatch'], 'identity'],
    [['schema_violation'], 'schema_violation'],
    [['unknown_surface'], 'unknown_surface'],
    [['expired'], 'expired'],
  ])('%j is %s', (reasons, cls) => {
    expect(reasonClass(reasons)).toBe(cls);
  });

  it(`counts surfaces beyond ${MAX_SURFACE_LABELS} as "other", so made-up names cannot grow the series`, async () => {
    const own = new GateMetrics();
    for (let i = 0; i < MAX_SURFACE_LABELS + 20; i++) own.gateEvaluated(`surface-${i}`, 0.001);
    const text = await own.render();
    const surfaces = new Set([...text.matchAll(/actiongate_gate_evaluation_seconds_count\{surface="([^"]+)"\}/g)].map((m) => m[1]));
    expect(surfaces.size).toBe(MAX_SURFACE_LABELS + 1);
    expect(surfaces.has('other')).toBe(true);
  });
});
