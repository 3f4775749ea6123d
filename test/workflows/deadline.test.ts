// An action has a deadline: a backlog after an outage must not execute requests their agents gave up on.
import type { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStaticPolicySource } from '../../src/policy/policy-source.js';
import type { PolicySource } from '../../src/policy/policy-source.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import {
  connectTemporal,
  connectorsTo,
  gateClient,
  openPool,
  paymentRequest,
  policiesVariant,
  startTestWorker,
  uniqueId,
  type RunningWorker,
} from '../support/harness.js';

let fake: FakeExternalSystem;
let pool: pg.Pool;
let client: Client;
let connection: Connection;
let policies: PolicySource;
const workers: RunningWorker[] = [];

beforeAll(async () => {
  fake = await startFakeExternalSystem();
  pool = openPool();
  // Payments may queue 1.5 s at most between submission and decision.
  const dir = await policiesVariant({
    editRegistry: (r) => {
      for (const surface of Object.values(r.surfaces)) (surface as { connector: { url: string } }).connector.url = fake.url('/payments');
      (r.surfaces.payments as Record<string, unknown>).maxQueueMs = 1_500;
    },
  });
  const loaded = await loadStaticPolicySource(dir);
  expect(loaded.error).toBeUndefined();
  policies = loaded.source;
  ({ client, connection } = await connectTemporal());
});

afterAll(async () => {
  for (const w of workers) await w.stop();
  await connection?.close();
  await pool?.end();
  await fake?.close();
});

async function decisionRow(key: string): Promise<{ outcome: string; body: { reasons: string[]; detail: string | null } } | undefined> {
  const { rows } = await pool.query("SELECT outcome, body FROM receipts WHERE idempotency_key = $1 AND kind = 'decision'", [key]);
  return rows[0];
}

describe('when an action waited longer than its surface allows (no worker ran meanwhile)', () => {
  it('is refused DENY expired once a worker picks it up, and nothing is dispatched', async () => {
    const taskQueue = uniqueId('deadline');
    const request = paymentRequest();
    // Submitted while no worker polls the queue: the update waits for a decision.
    const submitted = gateClient(client, taskQueue).submit(request);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    workers.push(await startTestWorker({ taskQueue, policies, connectors: connectorsTo(fake), pool }));
    const { decision, result } = await submitted;
    expect({ outcome: decision.outcome, reasons: decision.reasons }).toEqual({ outcome: 'DENY', reasons: ['expired'] });
    expect((await result()).dispatch.status).toBe('skipped');
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
    const row = await decisionRow(request.idempotencyKey);
    expect(row?.body.detail).toMatch(/queued \d+ ms .* allows 1500 ms/);
  }, 60_000);
});

describe('when the request says when its agent gives up (notAfter)', () => {
  let taskQueue: string;
  beforeAll(async () => {
    taskQueue = uniqueId('not-after');
    workers.push(await startTestWorker({ taskQueue, policies, connectors: connectorsTo(fake), pool }));
  });

  it('refuses DENY expired after that instant, and dispatches nothing', async () => {
    const request = { ...paymentRequest(), notAfter: new Date(Date.now() - 1_000).toISOString() };
    const done = await gateClient(client, taskQueue).execute(request);
    expect({ outcome: done.outcome, reasons: done.reasons }).toEqual({ outcome: 'DENY', reasons: ['expired'] });
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
    expect((await decisionRow(request.idempotencyKey))?.body.detail).toContain('notAfter');
  });

  it('decides as usual before it', async () => {
    const request = { ...paymentRequest(), notAfter: new Date(Date.now() + 60_000).toISOString() };
    const done = await gateClient(client, taskQueue).execute(request);
    expect(done.outcome).toBe('PERMIT');
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);
  });
});
