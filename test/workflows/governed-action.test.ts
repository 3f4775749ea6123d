import type { Client, Connection } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionGateClient } from '../../src/client/actiongate-client.js';
import { ClientError } from '../../src/client/client-error.js';
import { loadStaticPolicySource } from '../../src/policy/policy-source.js';
import { RequestError } from '../../src/request/request-error.js';
import { digestJson } from '../../src/request/digest.js';
import { requestHash } from '../../src/request/request-hash.js';
import { receiptId } from '../../src/receipt/receipt-id.js';
import type { ReceiptBody } from '../../src/receipt/receipt-body.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import {
  connectTemporal,
  connectorsTo,
  gateClient,
  openPool,
  paymentRequest,
  startTestWorker,
  testEnv,
  uniqueId,
  type RunningWorker,
} from '../support/harness.js';
import { POLICIES_DIR } from '../support/paths.js';

let fake: FakeExternalSystem;
let pool: pg.Pool;
let worker: RunningWorker;
let client: Client;
let connection: Connection;
let gate: ActionGateClient;

beforeAll(async () => {
  fake = await startFakeExternalSystem();
  pool = openPool();
  const { source, error } = await loadStaticPolicySource(POLICIES_DIR);
  expect(error).toBeUndefined();
  const taskQueue = uniqueId('governed');
  worker = await startTestWorker({ taskQueue, policies: source, connectors: connectorsTo(fake), pool });
  ({ client, connection } = await connectTemporal());
  gate = gateClient(client, taskQueue);
});

afterAll(async () => {
  await worker?.stop();
  await connection?.close();
  await pool?.end();
  await fake?.close();
});

async function receiptsOf(key: string): Promise<Array<{ kind: string; outcome: string; receipt_id: string; body: ReceiptBody; request: unknown }>> {
  const { rows } = await pool.query('SELECT kind, outcome, receipt_id, body, request FROM receipts WHERE idempotency_key = $1 ORDER BY seq', [key]);
  return rows;
}

describe('when the policies permit the action', () => {
  it('records the decision, dispatches exactly once with the idempotency key, and records the outcome', async () => {
    const request = paymentRequest();
    const { decision, result } = await gate.submit(request);
    expect(decision.outcome).toBe('PERMIT');
    expect(decision.workflowId).toBe(request.idempotencyKey);
    expect(decision.requestHash).toBe(requestHash(request));
    expect(decision.policy.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(decision.reasons.length).toBeGreaterThan(0);
    expect(decision.reasons).toEqual([...decision.reasons].sort());

    const done = await result();
    expect(done.dispatch.status).toBe('succeeded');
    expect(done.dispatch.resultHash).toMatch(/^sha256:/);
    // The external system's answer comes back with the result, and it is the one the receipt hashes.
    expect(done.dispatch.result).toEqual({ httpStatus: 200, body: { accepted: true, n: 1 } });
    expect(digestJson(done.dispatch.result)).toBe(done.dispatch.resultHash);
    const calls = fake.callsFor(request.idempotencyKey);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.path).toBe('/payments');
    expect(calls[0]?.body).toEqual(request.payload);
    expect(calls[0]?.requestHash).toBe(requestHash(request));

    const rows = await receiptsOf(request.idempotencyKey);
    expect(rows.map((r) => [r.kind, r.outcome])).toEqual([
      ['decision', 'PERMIT'],
      ['outcome', 'succeeded'],
    ]);
    expect(rows[0]?.receipt_id).toBe(done.receipts.decision);
    expect(rows[1]?.receipt_id).toBe(done.receipts.outcome);
    // The stored bodies hash to their ids, and the outcome links to the decision.
    for (const row of rows) expect(receiptId(row.body)).toBe(row.receipt_id);
    expect(rows[1]?.body).toMatchObject({ kind: 'outcome', decisionReceiptId: done.receipts.decision });
    expect(rows[0]?.body).toMatchObject({ requestHash: requestHash(request), policy: { digest: decision.policy.digest } });
    expect(rows[0]?.request).toEqual(request);
  });

  it('shows the decision and both receipts in the workflow history, and sets the search attributes', async () => {
    const request = paymentRequest();
    const done = await gate.execute(request);
    const handle = client.workflow.getHandle(request.idempotencyKey);
    const history = await handle.fetchHistory();
    const markers = (history.events ?? []).filter((e) => e.markerRecordedEventAttributes);
    // Markers: decide (what is on record, evaluation and decision receipt in one local activity), the
    // outcome settled from the store (this worker's store does not sign), and the patch markers.
    expect(markers.length).toBeGreaterThanOrEqual(3);
    const decoded = markers
      .flatMap((m) => Object.values(m.markerRecordedEventAttributes?.details ?? {}))
      .flatMap((p) => p.payloads ?? [])
      .map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8'))
      .join('\n');
    expect(decoded).toContain('"outcome":"PERMIT"');
    expect(decoded).toContain(done.receipts.decision as string);
    expect(decoded).toContain(done.receipts.outcome as string);

    const description = await handle.describe();
    const attrs = description.typedSearchAttributes;
    const get = (name: string) => attrs.getAll().find((p) => p.key.name === name)?.value;
    expect(get('ActionSurface')).toBe('payments');
    expect(get('ActionActor')).toBe('agent-42');
    expect(get('ActionOutcome')).toBe('PERMIT');
    expect(get('PolicyDigest')).toBe(done.policy.digest);
    expect(await description.staticSummary()).toBe('payments.transfer by agent-42');
  });
});

describe('when the policies forbid the action', () => {
  it('answers DENY with the forbid policy ids, records it, and dispatches nothing', async () => {
    const request = paymentRequest({ context: { amount: 60_000, currency: 'EUR' } });
    const done = await gate.execute(request);
    expect(done.outcome).toBe('DENY');
    expect(done.reasons.length).toBeGreaterThan(0);
    expect(done.reasons).not.toContain('no_matching_permit');
    expect(done.dispatch).toEqual({ status: 'skipped', resultHash: null, error: null });
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
    const rows = await receiptsOf(request.idempotencyKey);
    expect(rows.map((r) => [r.kind, r.outcome])).toEqual([
      ['decision', 'DENY'],
      ['outcome', 'skipped'],
    ]);
  });
});

describe('when the surface is not in the registry', () => {
  it('answers SILENCE unknown_surface, records it, and dispatches nothing', async () => {
    const request = paymentRequest({ surface: 'wire-transfers' });
    const done = await gate.execute(request);
    expect(done.outcome).toBe('SILENCE');
    expect(done.reasons).toEqual(['unknown_surface']);
    expect(done.dispatch.status).toBe('skipped');
    expect(fake.calls.filter((c) => c.idempotencyKey === request.idempotencyKey)).toHaveLength(0);
    expect((await receiptsOf(request.idempotencyKey)).map((r) => r.outcome)).toEqual(['SILENCE', 'skipped']);
  });
});

describe('when a forbid policy reads an attribute the request lacks', () => {
  it('answers SILENCE schema_violation instead of letting the skipped forbid turn into a permit', async () => {
    // Cedar skips a policy that errors; the schema check refuses the request before any policy runs.
    const request = paymentRequest({ context: { amount: 12_000 } });
    const done = await gate.execute(request);
    expect(done.outcome).toBe('SILENCE');
    expect(done.reasons).toEqual(['schema_violation']);
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
  });
});

describe('when the same request is submitted 20 times at once', () => {
  it('evaluates once, dispatches once, and gives 20 identical answers', async () => {
    const request = paymentRequest();
    const decisions = await Promise.all(Array.from({ length: 20 }, () => gate.submit(request).then((s) => s.decision)));
    expect(new Set(decisions.map((d) => JSON.stringify(d))).size).toBe(1);
    expect(decisions[0]?.outcome).toBe('PERMIT');
    const results = await Promise.all(Array.from({ length: 20 }, () => gate.execute(request)));
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);
    expect(await receiptsOf(request.idempotencyKey)).toHaveLength(2);
  });

  it('answers a later repeat, after the workflow closed, with the first result and no new dispatch', async () => {
    const request = paymentRequest();
    const first = await gate.execute(request);
    const again = await gate.submit(request);
    expect(again.decision.outcome).toBe(first.outcome);
    expect(again.decision.receipts.decision).toBe(first.receipts.decision);
    expect(await again.result()).toEqual(first);
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);
  });
});

describe('when a key is reused for a different request', () => {
  it('refuses it with IDEMPOTENCY_CONFLICT after the first closed, dispatching nothing for it', async () => {
    const request = paymentRequest();
    await gate.execute(request);
    const other = { ...request, payload: { amount: 99_999, currency: 'EUR', to: 'acct-666' } };
    const err = await gate.submit(other).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).code).toBe('IDEMPOTENCY_CONFLICT');
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);
    expect(fake.callsFor(request.idempotencyKey)[0]?.body).toEqual(request.payload);
  });

  it('refuses it with IDEMPOTENCY_CONFLICT while the first is still dispatching', async () => {
    const request = paymentRequest();
    fake.respondWith((call, n) => ({ status: 200, body: { n }, delayMs: call.idempotencyKey === request.idempotencyKey ? 1_500 : 0 }));
    try {
      const first = await gate.submit(request);
      const other = { ...request, context: { amount: 100, currency: 'EUR' } };
      const err = await gate.submit(other).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClientError);
      expect((err as ClientError).code).toBe('IDEMPOTENCY_CONFLICT');
      expect((await first.result()).dispatch.status).toBe('succeeded');
      expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);
    } finally {
      fake.respondWith((_call, n) => ({ status: 200, body: { accepted: true, n } }));
    }
  });
});

/** What retention does to a closed workflow, done now: the server forgets the execution and its history. */
async function deleteHistory(workflowId: string): Promise<void> {
  const started = Date.now();
  await connection.workflowService.deleteWorkflowExecution({ namespace: testEnv().namespace, workflowExecution: { workflowId } });
  await expect
    .poll(
      () => client.workflow.getHandle(workflowId).describe().then(() => 'present', (e) => (e instanceof WorkflowNotFoundError ? 'gone' : String(e))),
      { timeout: 120_000, interval: 500 },
    )
    .toBe('gone');
  console.log(`history of ${workflowId} deleted in ${Date.now() - started} ms`);
}

describe('when the workflow history is gone (past retention)', () => {
  it('answers from the receipts in Postgres without evaluating or dispatching again', async () => {
    const request = paymentRequest();
    const first = await gate.execute(request);
    await deleteHistory(request.idempotencyKey);

    // A different request under the old key is a conflict, known from the receipts alone.
    const err = await gate.submit({ ...request, context: { amount: 1, currency: 'EUR' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).code).toBe('IDEMPOTENCY_CONFLICT');

    // The same request gets the first answer, rebuilt from the receipts.
    const again = await gate.execute(request);
    expect(again.fromReceipts).toBe(true);
    expect(again.outcome).toBe(first.outcome);
    expect(again.reasons).toEqual(first.reasons);
    expect(again.receipts).toEqual(first.receipts);
    // Receipts keep the answer's hash, not the answer: the rebuilt result has no `result`.
    const { result: _answer, ...recorded } = first.dispatch;
    expect(again.dispatch).toEqual(recorded);
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);
    expect(await receiptsOf(request.idempotencyKey)).toHaveLength(2);
  }, 180_000);
});

describe('when the external system fails', () => {
  it('retries a 503 with backoff under the same idempotency key and succeeds', async () => {
    const request = paymentRequest();
    fake.respondWith((call, n) => (call.idempotencyKey === request.idempotencyKey && n === 1 ? { status: 503 } : { status: 200, body: { ok: true } }));
    try {
      const done = await gate.execute(request);
      expect(done.dispatch.status).toBe('succeeded');
      const calls = fake.callsFor(request.idempotencyKey);
      expect(calls).toHaveLength(2);
      expect(new Set(calls.map((c) => c.idempotencyKey))).toEqual(new Set([request.idempotencyKey]));
    } finally {
      fake.respondWith((_call, n) => ({ status: 200, body: { accepted: true, n } }));
    }
  });

  it('does not retry a 4xx refusal and records the dispatch as failed', async () => {
    const request = paymentRequest();
    fake.respondWith((call) => (call.idempotencyKey === request.idempotencyKey ? { status: 422, body: { error: 'insufficient funds' } } : { status: 200 }));
    try {
      const done = await gate.execute(request);
      expect(done.outcome).toBe('PERMIT');
      expect(done.dispatch.status).toBe('failed');
      expect(done.dispatch.error?.code).toBe('CONNECTOR_REJECTED');
      expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);
      expect((await receiptsOf(request.idempotencyKey)).map((r) => r.outcome)).toEqual(['PERMIT', 'failed']);
    } finally {
      fake.respondWith((_call, n) => ({ status: 200, body: { accepted: true, n } }));
    }
  });
});

describe('when the request is invalid', () => {
  it('throws one RequestError naming every bad field and starts nothing', async () => {
    const key = uniqueId('bad');
    const err = await gate
      .submit({ ...paymentRequest({ idempotencyKey: key }), actor: { id: '', type: 'Agent!' }, extra: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    const paths = (err as RequestError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['actor.id', 'actor.type']));
    expect(paths.some((p) => p.includes('extra') || p === '(request)' || p === '')).toBe(true);
    await expect(client.workflow.getHandle(key).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });
});
