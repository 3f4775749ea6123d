// Every failure path of the gate ends in a refusal with a receipt, and nothing is dispatched.
import type { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionGateClient } from '../../src/client/actiongate-client.js';
import { demoSigner } from '../../src/demo/demo-keys.js';
import { loadStaticPolicySource, type PolicySource } from '../../src/policy/policy-source.js';
import { PgReceiptStore } from '../../src/store/receipt-store.js';
import { freePort } from '../../src/devstack/free-port.js';
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
} from '../support/harness.js';

let fake: FakeExternalSystem;
let pool: pg.Pool;
let client: Client;
let connection: Connection;

beforeAll(async () => {
  fake = await startFakeExternalSystem();
  pool = openPool();
  ({ client, connection } = await connectTemporal());
});

afterAll(async () => {
  await connection?.close();
  await pool?.end();
  await fake?.close();
});

async function receiptOutcomes(key: string): Promise<Array<[string, string, string[]]>> {
  const { rows } = await pool.query<{ kind: string; outcome: string; body: { reasons?: string[] } }>(
    'SELECT kind, outcome, body FROM receipts WHERE idempotency_key = $1 ORDER BY seq',
    [key],
  );
  return rows.map((r) => [r.kind, r.outcome, r.body.reasons ?? []]);
}

async function withWorker<T>(policies: PolicySource, fn: (taskQueue: string) => Promise<T>, store?: PgReceiptStore): Promise<T> {
  const taskQueue = uniqueId('failures');
  const worker = await startTestWorker({ taskQueue, policies, connectors: connectorsTo(fake), pool, ...(store ? { store } : {}) });
  try {
    return await fn(taskQueue);
  } finally {
    await worker.stop();
  }
}

describe('when the policies cannot be parsed', () => {
  it('answers SILENCE policy_unavailable with a receipt and dispatches nothing', async () => {
    const dir = await policiesVariant({ files: { 'payments/broken.cedar': 'permit(principal, action, resource) when { context.amount < };' } });
    const { source, error } = await loadStaticPolicySource(dir);
    expect(error).toBeDefined();
    const request = paymentRequest();
    const done = await withWorker(source, (tq) => gateClient(client, tq).execute(request));
    expect(done.outcome).toBe('SILENCE');
    expect(done.reasons).toEqual(['policy_unavailable']);
    expect(done.policy.digest).toBeNull();
    expect(done.dispatch.status).toBe('skipped');
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
    expect(await receiptOutcomes(request.idempotencyKey)).toEqual([
      ['decision', 'SILENCE', ['policy_unavailable']],
      ['outcome', 'skipped', []],
    ]);
  });
});

describe('when the policy directory is missing', () => {
  it('answers SILENCE policy_unavailable', async () => {
    const { source, error } = await loadStaticPolicySource('/nonexistent/actiongate-policies');
    expect(error).toBeDefined();
    const request = paymentRequest();
    const done = await withWorker(source, (tq) => gateClient(client, tq).execute(request));
    expect([done.outcome, done.reasons]).toEqual(['SILENCE', ['policy_unavailable']]);
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
  });
});

describe('when the pinned policy set cannot be fetched', () => {
  it('answers SILENCE policy_unavailable and never falls back to other policies', async () => {
    const { source } = await loadStaticPolicySource(await policiesVariant({}));
    let fetches = 0;
    const unreachable: PolicySource = {
      active: () => source.active(),
      pinned: async () => {
        fetches++;
        throw new Error('bundle store unreachable');
      },
    };
    const request = paymentRequest();
    const done = await withWorker(unreachable, (tq) => gateClient(client, tq).execute(request));
    expect(fetches).toBe(1);
    expect([done.outcome, done.reasons, done.dispatch.status]).toEqual(['SILENCE', ['policy_unavailable'], 'skipped']);
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
    expect(await receiptOutcomes(request.idempotencyKey)).toEqual([
      ['decision', 'SILENCE', ['policy_unavailable']],
      ['outcome', 'skipped', []],
    ]);
  });
});

describe('when the gate does not answer within its budget', () => {
  it('answers DENY gate_timeout with a receipt and dispatches nothing', async () => {
    const dir = await policiesVariant({ editRegistry: (r) => void ((r.surfaces.payments as { budgetMs: number }).budgetMs = 1_000) });
    const { source } = await loadStaticPolicySource(dir);
    let slowCalls = 0;
    // A policy store that hangs: the authorize activity cannot answer in time, whatever retries it makes.
    const slow: PolicySource = {
      active: () => source.active(),
      pinned: async (digest) => {
        slowCalls++;
        await new Promise((r) => setTimeout(r, 3_000));
        return source.pinned(digest);
      },
    };
    const request = paymentRequest();
    const { decision, done } = await withWorker(slow, async (tq) => {
      const started = performance.now();
      const submitted = await gateClient(client, tq).submit(request);
      return { decision: { ...submitted.decision, ms: performance.now() - started }, done: await submitted.result() };
    });
    // The budget bounds the gate as a whole: no retry stretches it (3 attempts would take 3 s).
    expect(slowCalls).toBe(1);
    expect(decision.ms).toBeLessThan(2_500);
    expect(done.outcome).toBe('DENY');
    expect(done.reasons).toEqual(['gate_timeout']);
    expect(done.policy.digest).toMatch(/^sha256:/);
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
    expect(await receiptOutcomes(request.idempotencyKey)).toEqual([
      ['decision', 'DENY', ['gate_timeout']],
      ['outcome', 'skipped', []],
    ]);
  });
});

describe('when the receipt store is down', () => {
  it('refuses without dispatching, and records the refusal once the store is back', async () => {
    const { source } = await loadStaticPolicySource((await policiesVariant({})));
    const deadPort = await freePort();
    const deadPool = new pg.Pool({ connectionString: `postgres://nobody:x@127.0.0.1:${deadPort}/none`, connectionTimeoutMillis: 500 });
    deadPool.on('error', () => undefined);
    const taskQueue = uniqueId('store-down');
    const request = paymentRequest();
    const gate = gateClient(client, taskQueue);

    const down = await startTestWorker({ taskQueue, policies: source, connectors: connectorsTo(fake), store: new PgReceiptStore(deadPool) });
    let submitted;
    try {
      submitted = await gate.submit(request);
      expect(submitted.decision.outcome).toBe('DENY');
      expect(submitted.decision.reasons).toEqual(['receipt_store_unavailable']);
      expect(submitted.decision.receipts.decision).toBeNull();
    } finally {
      await down.stop();
      await deadPool.end();
    }
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
    expect(await receiptOutcomes(request.idempotencyKey)).toEqual([]);

    // The store comes back (a worker that can reach it): the refusal goes on record; still no dispatch.
    const up = await startTestWorker({ taskQueue, policies: source, connectors: connectorsTo(fake), pool });
    try {
      const done = await submitted.result();
      expect(done.outcome).toBe('DENY');
      expect(done.reasons).toEqual(['receipt_store_unavailable']);
      expect(done.receipts.decision).toMatch(/^sha256:/);
      expect(done.dispatch.status).toBe('skipped');
    } finally {
      await up.stop();
    }
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
    expect(await receiptOutcomes(request.idempotencyKey)).toEqual([
      ['decision', 'DENY', ['receipt_store_unavailable']],
      ['outcome', 'skipped', []],
    ]);
  }, 120_000);
});

describe('when a surface is in shadow mode', () => {
  it('dispatches as before and records the would-be outcome, marked shadow', async () => {
    const dir = await policiesVariant({ editRegistry: (r) => void ((r.surfaces.payments as { mode: string }).mode = 'shadow') });
    const { source } = await loadStaticPolicySource(dir);
    const request = paymentRequest({ context: { amount: 60_000, currency: 'EUR' } });
    const done = await withWorker(source, (tq) => gateClient(client, tq).execute(request));
    expect(done.outcome).toBe('DENY');
    expect(done.mode).toBe('shadow');
    expect(done.dispatch.status).toBe('succeeded');
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);
    const { rows } = await pool.query<{ body: { mode: string; outcome: string } }>(
      "SELECT body FROM receipts WHERE idempotency_key = $1 AND kind = 'decision'",
      [request.idempotencyKey],
    );
    expect(rows[0]?.body).toMatchObject({ mode: 'shadow', outcome: 'DENY' });
  });

  it('accepts an unsigned request only where the surface opts in (acceptUnsigned), with keyId null on the receipt', async () => {
    const dir = await policiesVariant({
      editRegistry: (r) => Object.assign(r.surfaces.payments as Record<string, unknown>, { mode: 'shadow', acceptUnsigned: true }),
    });
    const { source, error } = await loadStaticPolicySource(dir);
    expect(error).toBeUndefined();
    const request = paymentRequest();
    const done = await withWorker(source, (tq) => new ActionGateClient({ client, taskQueue: tq }).execute(request));
    expect({ outcome: done.outcome, mode: done.mode, dispatch: done.dispatch.status }).toEqual({ outcome: 'PERMIT', mode: 'shadow', dispatch: 'succeeded' });
    const { rows } = await pool.query<{ body: { actor: { keyId: string | null } } }>(
      "SELECT body FROM receipts WHERE idempotency_key = $1 AND kind = 'decision'",
      [request.idempotencyKey],
    );
    expect(rows[0]?.body.actor.keyId).toBeNull();
  });

  it('still holds identity refusals: a request signed with another agent\'s key is not dispatched', async () => {
    const dir = await policiesVariant({ editRegistry: (r) => void ((r.surfaces.payments as { mode: string }).mode = 'shadow') });
    const { source } = await loadStaticPolicySource(dir);
    const unsigned = paymentRequest();
    const forged = paymentRequest();
    const [a, b] = await withWorker(source, async (tq) => [
      await new ActionGateClient({ client, taskQueue: tq }).execute(unsigned),
      await gateClient(client, tq).execute(forged, { signer: demoSigner('agent-support') }),
    ]);
    for (const done of [a, b]) {
      expect({ outcome: done?.outcome, reasons: done?.reasons, dispatch: done?.dispatch.status }).toEqual({ outcome: 'SILENCE', reasons: ['bad_signature'], dispatch: 'skipped' });
    }
    expect(fake.callsFor(unsigned.idempotencyKey)).toHaveLength(0);
    expect(fake.callsFor(forged.idempotencyKey)).toHaveLength(0);
  });
});
