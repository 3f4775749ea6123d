// The gate's trust boundary, attacked as the README's threat model allows: with a Temporal client on
// the namespace and nothing else. Every attack goes through the real Temporal server (the CLI's
// standalone `activity execute` and `activity complete`, a rogue worker's workflows on another task
// queue) against a real worker and Postgres; the fake external system records what reached it.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RefusedCall } from '../../activities/index.js';
import { ActionGateClient } from '../../src/client/actiongate-client.js';
import { demoSigner } from '../../src/demo/demo-keys.js';
import { findOrInstallTemporalCli } from '../../src/devstack/temporal-cli.js';
import { signRequest } from '../../src/identity/request-signature.js';
import { approvalStatement, signApproval } from '../../src/identity/operator-approval.js';
import { loadStaticPolicySource } from '../../src/policy/policy-source.js';
import type { ActionRequest } from '../../src/request/action-request.js';
import { requestHash } from '../../src/request/request-hash.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import {
  connectTemporal,
  connectorsTo,
  gateClient,
  openPool,
  paymentRequest,
  policiesDispatchingTo,
  startTestWorker,
  testEnv,
  uniqueId,
  type RunningWorker,
} from '../support/harness.js';
import { REPO_ROOT } from '../support/paths.js';
import { completeRunningActivityFromOutside } from '../support/complete-from-outside.js';
import type { RogueResult, RogueStep } from './rogue-workflows.js';

const run = promisify(execFile);

let fake: FakeExternalSystem;
let pool: pg.Pool;
let worker: RunningWorker;
let client: Client;
let connection: Connection;
let taskQueue: string;
let temporalCli: string;
let rogueWorker: Worker;
let rogueRunning: Promise<void>;
let rogueConnection: NativeConnection;
let rogueQueue: string;
const refused: RefusedCall[] = [];

beforeAll(async () => {
  fake = await startFakeExternalSystem();
  pool = openPool();
  const { source, error } = await loadStaticPolicySource(await policiesDispatchingTo(fake));
  expect(error).toBeUndefined();
  taskQueue = uniqueId('boundary');
  worker = await startTestWorker({ taskQueue, policies: source, connectors: connectorsTo(fake), pool, onRefusedCall: (c) => refused.push(c) });
  ({ client, connection } = await connectTemporal());
  temporalCli = await findOrInstallTemporalCli({ toolsDir: join(REPO_ROOT, '.tools'), log: () => undefined });

  // The attacker's own worker, on its own task queue, running its own workflows.
  rogueQueue = uniqueId('rogue');
  rogueConnection = await NativeConnection.connect({ address: testEnv().temporalAddress });
  const bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./rogue-workflows.ts', import.meta.url)),
    logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  rogueWorker = await Worker.create({ connection: rogueConnection, namespace: testEnv().namespace, taskQueue: rogueQueue, workflowBundle: bundle });
  rogueRunning = rogueWorker.run();
}, 180_000);

afterAll(async () => {
  if (rogueWorker?.getState() === 'RUNNING') rogueWorker.shutdown();
  await rogueRunning;
  await rogueConnection?.close();
  await worker?.stop();
  await connection?.close();
  await pool?.end();
  await fake?.close();
});

async function receiptRows(key: string): Promise<Array<{ kind: string; outcome: string; run_id: string; body: { reasons?: string[]; actor: { keyId: string | null }; detail?: string | null; dispatch?: { resultHash: string | null; error: { code: string } | null } } }>> {
  const { rows } = await pool.query('SELECT kind, outcome, run_id, body FROM receipts WHERE idempotency_key = $1 ORDER BY seq', [key]);
  return rows;
}

/** Runs the attacker's workflow (type `workflowType`, ID `workflowId`) to the end: what each step got back. */
async function rogue(workflowType: 'rogueWorkflow' | 'governedActionWorkflow', workflowId: string, steps: RogueStep[]): Promise<RogueResult[]> {
  return client.workflow.execute(workflowType, {
    taskQueue: rogueQueue,
    workflowId,
    args: [{ taskQueue, steps }],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  }) as Promise<RogueResult[]>;
}

/** `temporal activity execute`: a standalone activity on our task queue, as anyone on the namespace can start one. */
async function standalone(activityType: string, input: unknown): Promise<{ ok: boolean; output: string }> {
  const args = [
    'activity', 'execute',
    '--address', testEnv().temporalAddress,
    '--namespace', testEnv().namespace,
    '--task-queue', taskQueue,
    '--type', activityType,
    '--activity-id', uniqueId('standalone'),
    '--start-to-close-timeout', '10s',
    '--retry-maximum-attempts', '1',
    '--input', JSON.stringify(input),
  ];
  try {
    const { stdout, stderr } = await run(temporalCli, args, { timeout: 30_000 });
    return { ok: true, output: `${stdout}${stderr}` };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` };
  }
}

/** A request the sample policies DENY (an agent above its 500.00 limit), signed by its actor. */
function deniedPayment(key = uniqueId('attack')): ActionRequest {
  return paymentRequest({ idempotencyKey: key, context: { amount: 5_000_000, currency: 'EUR' }, payload: { amount: 5_000_000, currency: 'EUR', to: 'acct-7' } });
}

function signed(request: ActionRequest): { request: ActionRequest; signature: ReturnType<typeof signRequest> } {
  return { request, signature: signRequest(request, demoSigner(request.actor.id)) };
}

describe('when a stranger executes our activities as standalone activities (temporal activity execute)', () => {
  it('refuses dispatch without calling the connector, and says why', async () => {
    const request = deniedPayment();
    const before = refused.length;
    const answer = await standalone('dispatch', { request });
    expect(answer.ok).toBe(false);
    expect(answer.output).toContain('dispatch runs only for a governedActionWorkflow');
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
    expect(refused.slice(before).map((c) => [c.activity, c.code])).toEqual([['dispatch', 'CALLER_REFUSED']]);
  });

  it('refuses every other activity too: nothing is decided, recorded or read for the stranger', async () => {
    const request = deniedPayment();
    const before = refused.length;
    for (const [type, input] of [
      ['decide', { ...signed(request), submittedAt: new Date().toISOString(), budgetMs: 2000 }],
      ['recordRefusal', { request, reason: 'gate_timeout', issuedAt: new Date().toISOString() }],
      ['recordOutcome', { request, dispatch: { status: 'failed', error: null }, issuedAt: new Date().toISOString() }],
      ['beginAction', { request }],
      ['resolveOperators', { request, approvals: [], windowClosed: true }],
    ] as const) {
      const answer = await standalone(type, input);
      expect({ type, ok: answer.ok, refused: answer.output.includes(`${type} runs only for a governedActionWorkflow`) }).toEqual({ type, ok: false, refused: true });
    }
    expect(refused.slice(before).map((c) => c.code)).toEqual(['CALLER_REFUSED', 'CALLER_REFUSED', 'CALLER_REFUSED', 'CALLER_REFUSED', 'CALLER_REFUSED']);
    expect(await receiptRows(request.idempotencyKey)).toEqual([]);
  });

  it('has no activity left that records a decision its caller made (recordReceipt is gone)', async () => {
    const request = deniedPayment();
    const forged = { body: { kind: 'decision', outcome: 'PERMIT', idempotencyKey: request.idempotencyKey }, request };
    const answer = await standalone('recordReceipt', forged);
    expect(answer.ok).toBe(false);
    expect(answer.output).toMatch(/not registered|NotFound|not found/i);
    expect(await receiptRows(request.idempotencyKey)).toEqual([]);
  });
});

describe('when a rogue workflow on another task queue schedules our activities', () => {
  it('refuses dispatch for a workflow that is not a governedActionWorkflow', async () => {
    const request = deniedPayment();
    const [result] = await rogue('rogueWorkflow', request.idempotencyKey, [{ activity: 'dispatch', input: { request } }]);
    expect(result).toMatchObject({ ok: false, type: 'CALLER_REFUSED' });
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
  });

  it('refuses dispatch for a workflow named like ours whose ID is not the request\'s key', async () => {
    const request = deniedPayment();
    const [result] = await rogue('governedActionWorkflow', uniqueId('squat'), [{ activity: 'dispatch', input: { request } }]);
    expect(result).toMatchObject({ ok: false, type: 'CALLER_REFUSED' });
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
  });

  it('refuses dispatch when no decision is on record for the key, even with the workflow type and ID spoofed', async () => {
    const request = deniedPayment();
    const [result] = await rogue('governedActionWorkflow', request.idempotencyKey, [{ activity: 'dispatch', input: { request } }]);
    expect(result).toMatchObject({ ok: false, type: 'DISPATCH_REFUSED' });
    expect(result?.ok === false && result.message).toContain('no decision is on record');
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
  });

  it('gets only the gate\'s own decision from decide, and a DENY does not unlock dispatch', async () => {
    const request = deniedPayment();
    const results = await rogue('governedActionWorkflow', request.idempotencyKey, [
      { activity: 'decide', input: { ...signed(request), submittedAt: new Date().toISOString(), budgetMs: 2000 } },
      { activity: 'dispatch', input: { request } },
    ]);
    expect(results[0]).toMatchObject({ ok: true, value: { kind: 'decided', decision: { body: { outcome: 'DENY' } } } });
    expect(results[1]).toMatchObject({ ok: false, type: 'DISPATCH_REFUSED' });
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
    expect((await receiptRows(request.idempotencyKey)).map((r) => [r.kind, r.outcome])).toEqual([['decision', 'DENY']]);
  });

  it('cannot hand decide a decision, a clock or a policy set: it decides by itself', async () => {
    const request = deniedPayment();
    const [result] = await rogue('governedActionWorkflow', request.idempotencyKey, [
      {
        activity: 'decide',
        // Fields decide does not take; a forged outcome and clock are ignored, the request is decided.
        input: { ...signed(request), submittedAt: new Date().toISOString(), budgetMs: 2000, outcome: 'PERMIT', now: '2026-11-24T10:00:00Z', digest: `sha256:${'0'.repeat(64)}` },
      },
    ]);
    expect(result).toMatchObject({ ok: true, value: { decision: { body: { outcome: 'DENY', reasons: ['payments.forbid-agent-over-limit'] } } } });
  });

  it('does not believe a submission time ahead of the gate\'s clock (it would dodge the queue deadline)', async () => {
    const request = paymentRequest();
    const [result] = await rogue('governedActionWorkflow', request.idempotencyKey, [
      { activity: 'decide', input: { ...signed(request), submittedAt: new Date(Date.now() + 3_600_000).toISOString(), budgetMs: 2000 } },
    ]);
    expect(result).toMatchObject({ ok: true, value: { decision: { body: { outcome: 'DENY', reasons: ['expired'] } } } });
  });

  it('refuses dispatch of another request under a key its run decided (request hash check)', async () => {
    const permitted = paymentRequest();
    const swapped = { ...permitted, payload: { amount: 900_000_000, currency: 'EUR', to: 'attacker' } };
    const results = await rogue('governedActionWorkflow', permitted.idempotencyKey, [
      { activity: 'decide', input: { ...signed(permitted), submittedAt: new Date().toISOString(), budgetMs: 2000 } },
      { activity: 'dispatch', input: { request: swapped } },
    ]);
    expect(results[0]).toMatchObject({ ok: true, value: { decision: { body: { outcome: 'PERMIT' } } } });
    expect(results[1]).toMatchObject({ ok: false, type: 'DISPATCH_REFUSED' });
    expect(results[1]?.ok === false && results[1].message).toContain(requestHash(swapped));
    expect(fake.callsFor(permitted.idempotencyKey)).toHaveLength(0);
  });

  it('refuses to dispatch again a PERMIT that a real run of the key decided and dispatched (run check)', async () => {
    const request = paymentRequest();
    const first = await gateClient(client, taskQueue).execute(request);
    expect(first.dispatch.status).toBe('succeeded');
    // The real run closed; the attacker starts its own run under the same ID and asks for dispatch.
    const [result] = await rogue('governedActionWorkflow', request.idempotencyKey, [{ activity: 'dispatch', input: { request } }]);
    expect(result).toMatchObject({ ok: false, type: 'DISPATCH_REFUSED' });
    expect(result?.ok === false && result.message).toContain('belongs to run');
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);
  });

  it('cannot record a success, or a refusal over a decision, for an action', async () => {
    const request = deniedPayment();
    const results = await rogue('governedActionWorkflow', request.idempotencyKey, [
      { activity: 'recordOutcome', input: { request, dispatch: { status: 'succeeded', error: null }, issuedAt: new Date().toISOString() } },
      { activity: 'recordRefusal', input: { request, reason: 'PERMIT', issuedAt: new Date().toISOString() } },
      { activity: 'recordOutcome', input: { request, dispatch: { status: 'failed', error: null }, issuedAt: new Date().toISOString() } },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.type))).toEqual(['INVALID_INPUT', 'INVALID_INPUT', 'CALLER_REFUSED']);
    expect(await receiptRows(request.idempotencyKey)).toEqual([]);
  });
});

describe('when a rogue workflow tries to get an action that waits for operators dispatched', () => {
  const newPayee = () => paymentRequest({ target: { type: 'supplier-account', id: 'NL91ABNA0417164300' } });
  const decideStep = (request: ActionRequest) => ({ activity: 'decide', input: { ...signed(request), submittedAt: new Date().toISOString(), budgetMs: 2000 } });

  it('gets STEP_UP from decide, cannot close the window early, and a STEP_UP without approvals does not unlock dispatch', async () => {
    const request = newPayee();
    const results = await rogue('governedActionWorkflow', request.idempotencyKey, [
      decideStep(request),
      { activity: 'resolveOperators', input: { request, approvals: [], windowClosed: true } },
      { activity: 'dispatch', input: { request } },
    ]);
    expect(results[0]).toMatchObject({ ok: true, value: { decision: { body: { outcome: 'STEP_UP', operators: { kind: 'approval' } } } } });
    // The window is 15 minutes: "it closed" is not believed, nothing is recorded.
    expect(results[1]).toMatchObject({ ok: true, value: { kind: 'waiting', checks: [] } });
    expect(results[2]).toMatchObject({ ok: false, type: 'DISPATCH_REFUSED' });
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
    expect((await receiptRows(request.idempotencyKey)).map((r) => [r.kind, r.outcome])).toEqual([['decision', 'STEP_UP']]);
  });

  it('cannot weigh approvals (here forged ones) or dispatch from a new run of a key whose decision another run made', async () => {
    const request = newPayee();
    const [decided] = await rogue('governedActionWorkflow', request.idempotencyKey, [decideStep(request)]);
    const body = (decided as { value: { decision: { receiptId: string; body: { runId: string; requestHash: string } } } }).value.decision;
    const target = { workflowId: request.idempotencyKey, runId: body.body.runId, requestHash: body.body.requestHash, decisionReceiptId: body.receiptId };
    const statement = (operatorId: string) => approvalStatement(target, { operatorId, verdict: 'approve', reason: 'trust me', validForMs: 600_000 });
    const approvals = [
      signApproval(statement('olivia'), demoSigner('agent-42')),
      signApproval(statement('agent-42'), demoSigner('agent-42')),
      signApproval(statement('omar'), demoSigner('mallory')),
    ];
    // The rogue run is a new run of the key: its decide found the first run's decision.
    const results = await rogue('governedActionWorkflow', request.idempotencyKey, [
      { activity: 'resolveOperators', input: { request, approvals, windowClosed: false } },
      { activity: 'dispatch', input: { request } },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.type))).toEqual(['CALLER_REFUSED', 'DISPATCH_REFUSED']);
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
  });

  it('cannot ask for operators on a decision that does not wait for them (a DENY without break-glass)', async () => {
    const request = deniedPayment();
    const results = await rogue('governedActionWorkflow', request.idempotencyKey, [
      decideStep(request),
      { activity: 'resolveOperators', input: { request, approvals: [], windowClosed: true } },
    ]);
    expect(results[1]).toMatchObject({ ok: false, type: 'CALLER_REFUSED' });
    expect(results[1]?.ok === false && results[1].message).toContain('does not wait for operators');
    expect((await receiptRows(request.idempotencyKey)).map((r) => r.kind)).toEqual(['decision']);
  });
});

describe('when a stranger completes our dispatch activity with a made-up result (temporal activity complete)', () => {
  it('does not record a success: the outcome on record is what dispatch itself committed, or unconfirmed', async () => {
    const request = paymentRequest();
    fake.respondWith(() => ({ status: 200, body: { accepted: true }, delayMs: 3_000 }));
    try {
      const { decision, result } = await gateClient(client, taskQueue).submit(request);
      expect(decision.outcome).toBe('PERMIT');
      // Wait for the dispatch activity to be running, then complete it from outside.
      const forgedHash = `sha256:${'f'.repeat(64)}`;
      await completeRunningActivityFromOutside(client, temporalCli, request.idempotencyKey, { resultHash: forgedHash, outcomeReceiptId: `sha256:${'e'.repeat(64)}` });
      const done = await result();
      expect(done.dispatch.status).not.toBe('succeeded');
      expect(done.dispatch.resultHash).not.toBe(forgedHash);
      expect(done.dispatch.error?.code).toBe('DISPATCH_UNCONFIRMED');
      const outcome = (await receiptRows(request.idempotencyKey)).find((r) => r.kind === 'outcome');
      expect(outcome?.outcome).toBe('failed');
      expect(outcome?.body.dispatch?.resultHash).not.toBe(forgedHash);
    } finally {
      fake.respondWith((_call, n) => ({ status: 200, body: { accepted: true, n } }));
    }
  }, 60_000);
});

describe('when an agent lies about who it is or what it pays', () => {
  const gate = () => gateClient(client, taskQueue);

  it.each([
    ['an agent that says it is a human, moving 5,000,000.00 EUR', { actor: { id: 'agent-42', type: 'human' }, context: { amount: 500_000_000, currency: 'EUR' } }, 'unknown_actor'],
    ['an agent that says it is a service, moving 9,000.00 EUR', { actor: { id: 'agent-42', type: 'service' }, context: { amount: 900_000, currency: 'EUR' } }, 'unknown_actor'],
    ['a sanctioned account labelled a supplier account', { actor: { id: 'alice', type: 'human' }, target: { type: 'supplier-account', id: 'IR-0001' } }, 'target_mismatch'],
    ['an actor nobody registered', { actor: { id: 'agent-ghost', type: 'agent' } }, 'unknown_actor'],
  ] as const)('refuses %s (SILENCE) and dispatches nothing', async (_title, overrides, reason) => {
    const request = paymentRequest(overrides as Partial<ActionRequest>);
    const done = await gate().execute(request);
    expect({ outcome: done.outcome, reasons: done.reasons }).toEqual({ outcome: 'SILENCE', reasons: [reason] });
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
    const [decision] = await receiptRows(request.idempotencyKey);
    expect(decision?.body.detail).toBeTruthy();
  });

  it('refuses an unsigned request, one signed with another agent\'s key, and a signature of another request', async () => {
    const unsigned = paymentRequest();
    const byOther = paymentRequest();
    const replayed = paymentRequest();
    const otherRequest = paymentRequest();
    const outcomes = await Promise.all([
      // A client without a key sends the request unsigned.
      new ActionGateClient({ client, taskQueue }).execute(unsigned),
      gate().execute(byOther, { signer: demoSigner('agent-support') }),
      gate().execute(replayed, { signature: signRequest(otherRequest, demoSigner('agent-42')) }),
    ]);
    for (const done of outcomes) {
      expect({ outcome: done.outcome, reasons: done.reasons }).toEqual({ outcome: 'SILENCE', reasons: ['bad_signature'] });
    }
    for (const r of [unsigned, byOther, replayed]) expect(fake.callsFor(r.idempotencyKey)).toHaveLength(0);
  });

  it('records the key that proved the actor on the decision and outcome receipts', async () => {
    const request = paymentRequest();
    const done = await gate().execute(request);
    expect(done.outcome).toBe('PERMIT');
    const rows = await receiptRows(request.idempotencyKey);
    expect(rows.map((r) => r.body.actor.keyId)).toEqual([demoSigner('agent-42').keyId, demoSigner('agent-42').keyId]);
  });
});

describe('when the workflow is started directly with a request the schema refuses', () => {
  it('fails INVALID_REQUEST naming the field (the gate validates it; the workflow no longer carries the schema) and records nothing', async () => {
    const request = paymentRequest();
    const invalid = { ...request, target: { type: 'account' } };
    const err = await client.workflow
      .execute('governedActionWorkflow', { taskQueue, workflowId: request.idempotencyKey, args: [{ request: invalid }] })
      .catch((e: unknown) => e);
    const cause = (err as { cause?: { type?: string; message?: string } }).cause;
    expect(String(cause?.type)).toBe('INVALID_REQUEST');
    expect(cause?.message).toContain('target.id');
    expect(await receiptRows(request.idempotencyKey)).toEqual([]);
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
  });
});

describe('when the workflow is started directly with an ID that is not the key', () => {
  it('fails INVALID_REQUEST and records nothing', async () => {
    const request = paymentRequest();
    const squat = uniqueId('squat');
    const err = await client.workflow
      .execute('governedActionWorkflow', { taskQueue, workflowId: squat, args: [signed(request)] })
      .catch((e: unknown) => e);
    expect(String((err as { cause?: { type?: string } }).cause?.type)).toBe('INVALID_REQUEST');
    expect(await receiptRows(request.idempotencyKey)).toEqual([]);
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
  });
});
