// Operators in the loop, end to end: STEP_UP approvals and break-glass overrides sent as signed
// signals to real workflows on a real Temporal dev server, weighed against real Postgres by the CLI
// worker (a child process, so it can be SIGKILLed while an action waits).
import { join } from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorEvent } from '../../activities/index.js';
import type { ActionDecision, ActionResult } from '../../src/action/action-result.js';
import { demoSigner } from '../../src/demo/demo-keys.js';
import { slowPolicySource } from '../../src/demo/slow-policy-source.js';
import { loadStaticPolicySource, type PolicySource } from '../../src/policy/policy-source.js';
import { approvalStatement, signApproval, type ApprovalStatement, type SignedApproval } from '../../src/identity/operator-approval.js';
import { generatePrivateKeyFile, parsePrivateKeyFile, writePrivateKeyFile } from '../../src/keys/private-key-file.js';
import type { Signer } from '../../src/keys/signer.js';
import type { ActionRequest } from '../../src/request/action-request.js';
import type { OperatorReceiptBody, ReceiptBody } from '../../src/receipt/receipt-body.js';
import { nobleBackend, requirePermit, verifyLog } from '../../src/receipt/verify/index.js';
import { exportReceiptLog } from '../../src/store/receipt-export.js';
import { operatorApprovalSignal, operatorsQuery, type OperatorsView } from '../../workflows/contract.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { freshDatabase } from '../support/bundles.js';
import { connectTemporal, connectorsTo, gateClient, paymentRequest, startTestWorker, policiesVariant, SAMPLE_SURFACES, testEnv, uniqueId } from '../support/harness.js';
import { runCli, startCliWorker, type CliWorker } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

const LONG_WINDOW_MS = 120_000;
const SHORT_WINDOW_MS = 12_000;

let fake: FakeExternalSystem;
let pool: pg.Pool;
let databaseUrl: string;
let client: Client;
let connection: Connection;
let receiptSigner: Signer;
let receiptKeyPath: string;
const queues = { long: '', short: '' };
const dirs = { long: '', short: '' };
const workers: Partial<Record<keyof typeof queues, CliWorker>> = {};
/** Keys of actions the tests ended a given way, for the verifier's answers at the end. */
const ended: Record<'approved' | 'rejected' | 'timedOut' | 'overridden', string> = { approved: '', rejected: '', timedOut: '', overridden: '' };

/** The sample policies, dispatching to the fake, with the operator windows of `windowMs`. */
function operatorPolicies(windowMs: number): Promise<string> {
  return policiesVariant({
    editRegistry: (registry) => {
      for (const surface of SAMPLE_SURFACES) (registry.surfaces[surface] as { connector: { url: string } }).connector.url = fake.url(`/${surface}`);
      for (const surface of ['payments', 'config-changes']) {
        for (const grant of ['approvals', 'breakGlass']) {
          const g = registry.surfaces[surface]?.[grant] as { windowMs: number } | undefined;
          if (g) g.windowMs = windowMs;
        }
      }
    },
  });
}

function startWorker(which: keyof typeof queues): Promise<CliWorker> {
  const env = testEnv();
  return startCliWorker({
    TEMPORAL_ADDRESS: env.temporalAddress,
    TEMPORAL_NAMESPACE: env.namespace,
    DATABASE_URL: databaseUrl,
    ACTIONGATE_TASK_QUEUE: queues[which],
    ACTIONGATE_POLICIES: dirs[which],
    ACTIONGATE_RECEIPT_KEY: receiptKeyPath,
  });
}

async function killWorker(which: keyof typeof queues): Promise<void> {
  const worker = workers[which];
  if (!worker || worker.process.exitCode !== null || worker.process.signalCode !== null) return;
  const exited = new Promise((resolve) => worker.process.once('exit', resolve));
  worker.process.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  fake = await startFakeExternalSystem();
  // A database of its own: the exported log holds only this file's receipts, all signed by its key.
  ({ url: databaseUrl, pool } = await freshDatabase());
  const keyFile = generatePrivateKeyFile();
  receiptKeyPath = join(await tempDir('actiongate-operators-key-'), 'receipts.key.json');
  await writePrivateKeyFile(receiptKeyPath, keyFile);
  receiptSigner = parsePrivateKeyFile(JSON.stringify(keyFile), 'test receipt key');
  queues.long = uniqueId('operators-long');
  queues.short = uniqueId('operators-short');
  dirs.long = await operatorPolicies(LONG_WINDOW_MS);
  dirs.short = await operatorPolicies(SHORT_WINDOW_MS);
  [workers.long, workers.short] = await Promise.all([startWorker('long'), startWorker('short')]);
  ({ client, connection } = await connectTemporal());
}, 180_000);

afterAll(async () => {
  await killWorker('long');
  await killWorker('short');
  await connection?.close();
  await pool?.end();
  await fake?.close();
});

/** 120.00 EUR from agent-42 to a payee tagged new-payee: the sample policies answer STEP_UP. */
function newPayeePayment(): ActionRequest {
  return paymentRequest({
    target: { type: 'supplier-account', id: 'NL91ABNA0417164300' },
    payload: { amount: 12_000, currency: 'EUR', to: 'NL91ABNA0417164300' },
  });
}

/** A production change without a change ticket, asking for break-glass: DENY, overridable. */
function emergencyChange(breakGlass: ActionRequest['breakGlass'] | null = { reason: 'checkout is down; revert the flag now' }): ActionRequest {
  return {
    idempotencyKey: uniqueId('cfg'),
    actor: { id: 'agent-sre', type: 'agent' },
    surface: 'config-changes',
    action: 'apply',
    target: { type: 'feature-flag', id: 'checkout.new-flow' },
    context: { environment: 'production' },
    payload: { flag: 'checkout.new-flow', value: false },
    ...(breakGlass ? { breakGlass } : {}),
  };
}

function statement(decision: ActionDecision, operatorId: string, verdict: ApprovalStatement['verdict'], overrides: Partial<ApprovalStatement> = {}): ApprovalStatement {
  const target = { ...decision, decisionReceiptId: decision.receipts.decision as string };
  return { ...approvalStatement(target, { operatorId, verdict, reason: `${operatorId} checked it`, validForMs: 600_000 }), ...overrides };
}

/** An approval signed with the operator's demo key (or `signer`). */
function approval(decision: ActionDecision, operatorId: string, verdict: ApprovalStatement['verdict'], overrides: Partial<ApprovalStatement> = {}, signer?: Signer): SignedApproval {
  return signApproval(statement(decision, operatorId, verdict, overrides), signer ?? demoSigner(operatorId));
}

async function send(key: string, signed: unknown): Promise<void> {
  await client.workflow.getHandle(key).signal(operatorApprovalSignal, signed);
}

/** Polls the workflow's `operators` query until `until` holds (10 s at most). */
async function viewWhen(key: string, until: (view: OperatorsView) => boolean): Promise<OperatorsView> {
  const deadline = Date.now() + 10_000;
  let view: OperatorsView | null = null;
  while (Date.now() < deadline) {
    view = await client.workflow.getHandle(key).query(operatorsQuery);
    if (view && until(view)) return view;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`operators view never matched: ${JSON.stringify(view)}`);
}

async function receiptsOf(key: string): Promise<ReceiptBody[]> {
  const { rows } = await pool.query<{ body_canonical: string }>('SELECT body_canonical FROM receipts WHERE idempotency_key = $1 ORDER BY seq', [key]);
  return rows.map((r) => JSON.parse(r.body_canonical) as ReceiptBody);
}

function summary(bodies: ReceiptBody[]): string[] {
  return bodies.map((b) => `${b.kind} ${b.kind === 'outcome' ? b.dispatch.status : `${b.outcome} ${b.reasons.join(',')}`}`);
}

async function operatorsAttribute(key: string): Promise<unknown> {
  const description = await client.workflow.getHandle(key).describe();
  return description.searchAttributes?.['ActionOperators'];
}

describe('when a policy asks for approval (STEP_UP) and the grant needs two treasury operators', () => {
  it('answers STEP_UP at once; one approval does not dispatch, the same operator twice counts once, the second operator does', async () => {
    const request = newPayeePayment();
    const submitted = await gateClient(client, queues.long).submit(request);
    const decision = submitted.decision;
    expect(decision).toMatchObject({
      outcome: 'STEP_UP',
      reasons: ['payments.new-payee-needs-approval'],
      waitsFor: { kind: 'approval', requirements: [{ groups: ['treasury'], quorum: 2 }], reasonRequired: true },
    });

    const first = approval(decision, 'olivia', 'approve');
    await send(request.idempotencyKey, first);
    const one = await viewWhen(request.idempotencyKey, (v) => v.counted.length === 1);
    expect(one).toMatchObject({ kind: 'approval', requirements: [{ groups: ['treasury'], quorum: 2 }], resolution: null });

    // The same operator again (a fresh statement), and the very same statement again.
    await send(request.idempotencyKey, approval(decision, 'olivia', 'approve'));
    await send(request.idempotencyKey, first);
    const twice = await viewWhen(request.idempotencyKey, (v) => v.refused.length >= 2);
    expect(twice.counted.map((c) => c.operatorId)).toEqual(['olivia']);
    expect(twice.refused.map((r) => r.rejection).sort()).toEqual(['replayed_nonce', 'same_operator']);
    expect(await operatorsAttribute(request.idempotencyKey)).toEqual(['approval-pending']);
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);

    await send(request.idempotencyKey, approval(decision, 'omar', 'approve'));
    const result: ActionResult = await submitted.result();
    expect(result.dispatch.status).toBe('succeeded');
    expect(result.operators).toMatchObject({ kind: 'approval', outcome: 'PERMIT', reasons: ['approved'], operators: ['olivia', 'omar'] });
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);
    const bodies = await receiptsOf(request.idempotencyKey);
    expect(summary(bodies)).toEqual(['decision STEP_UP payments.new-payee-needs-approval', 'approval PERMIT approved', 'outcome succeeded']);
    const approvalBody = bodies[1] as OperatorReceiptBody;
    expect(approvalBody.decisionReceiptId).toBe(decision.receipts.decision);
    expect(approvalBody.approvals.map((a) => a.statement.operatorId)).toEqual(['olivia', 'omar']);
    expect(await operatorsAttribute(request.idempotencyKey)).toEqual(['approved']);
    ended.approved = request.idempotencyKey;
  });

  it('counts none of the approvals that must not count, dispatches nothing, and ends DENY approval_rejected on a valid rejection', async () => {
    const request = newPayeePayment();
    const submitted = await gateClient(client, queues.long).submit(request);
    const decision = submitted.decision;
    const other = await gateClient(client, queues.long).submit(newPayeePayment());
    const good = approval(decision, 'olivia', 'approve');
    // A policy-bundle signing key (as `keys generate --purpose policy-bundle` makes one).
    const bundleSigner = parsePrivateKeyFile(JSON.stringify(generatePrivateKeyFile()), 'test bundle key');
    const flipped = { ...good, sig: `${good.sig[0] === 'A' ? 'B' : 'A'}${good.sig.slice(1)}` };
    const attempts: Array<[string, unknown]> = [
      ['unknown_operator', approval(decision, 'mallory', 'approve')],
      ['not_in_group', approval(decision, 'sam', 'approve')],
      ['bad_signature', flipped],
      // Olivia's name on a statement signed by the receipt key, an agent's request key, a bundle key.
      ['not_an_operator_key', approval(decision, 'olivia', 'approve', {}, receiptSigner)],
      ['not_an_operator_key', approval(decision, 'agent-42', 'approve')],
      ['not_an_operator_key', approval(decision, 'olivia', 'approve', {}, bundleSigner)],
      ['expired', approval(decision, 'olivia', 'approve', { expiresAt: new Date(Date.now() - 1_000).toISOString() })],
      ['wrong_action', approval(decision, 'olivia', 'approve', { workflowId: other.decision.workflowId })],
      ['wrong_action', approval(decision, 'olivia', 'approve', { requestHash: other.decision.requestHash })],
      ['wrong_action', approval(other.decision, 'olivia', 'approve')],
      ['wrong_verdict', approval(decision, 'olivia', 'override')],
      ['reason_required', approval(decision, 'olivia', 'approve', { reason: '  ' })],
      ['malformed', { statement: { operatorId: 'olivia' }, keyId: 'x', sig: 'y' }],
    ];
    for (const [, signed] of attempts) await send(request.idempotencyKey, signed);
    const view = await viewWhen(request.idempotencyKey, (v) => v.refused.length >= attempts.length);
    expect(view.refused.map((r) => r.rejection).sort()).toEqual(attempts.map(([rejection]) => rejection).sort());
    expect(view.counted).toEqual([]);
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);

    await send(request.idempotencyKey, approval(decision, 'omar', 'reject', { reason: 'payee not on the vendor list' }));
    const result = await submitted.result();
    expect(result).toMatchObject({ outcome: 'STEP_UP', dispatch: { status: 'skipped' }, operators: { outcome: 'DENY', reasons: ['approval_rejected'], operators: ['omar'] } });
    expect(summary(await receiptsOf(request.idempotencyKey))).toEqual([
      'decision STEP_UP payments.new-payee-needs-approval',
      'approval DENY approval_rejected',
      'outcome skipped',
    ]);
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
    ended.rejected = request.idempotencyKey;
    await client.workflow.getHandle(other.decision.workflowId).terminate('test cleanup');
  });

  it('ends DENY approval_timeout when the window closes, one approval short; nothing is dispatched and later approvals reach nobody', async () => {
    const request = newPayeePayment();
    const submitted = await gateClient(client, queues.short).submit(request);
    const decision = submitted.decision;
    await send(request.idempotencyKey, approval(decision, 'olivia', 'approve'));
    await viewWhen(request.idempotencyKey, (v) => v.counted.length === 1);
    const result = await submitted.result();
    expect(result.operators).toMatchObject({ outcome: 'DENY', reasons: ['approval_timeout'], operators: [] });
    const bodies = await receiptsOf(request.idempotencyKey);
    expect(summary(bodies)).toEqual(['decision STEP_UP payments.new-payee-needs-approval', 'approval DENY approval_timeout', 'outcome skipped']);
    const waited = Date.parse(bodies[1]?.issuedAt ?? '') - Date.parse(bodies[0]?.issuedAt ?? '');
    expect(waited).toBeGreaterThanOrEqual(SHORT_WINDOW_MS);
    await expect(send(request.idempotencyKey, approval(decision, 'omar', 'approve'))).rejects.toThrow();
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
    expect(await operatorsAttribute(request.idempotencyKey)).toEqual(['approval-timeout']);
    ended.timedOut = request.idempotencyKey;
  });
});

describe('when an operator lists what is unsettled', () => {
  it('does not list an action that waits for operators within its window', async () => {
    const request = newPayeePayment();
    const submitted = await gateClient(client, queues.long).submit(request);
    await new Promise((r) => setTimeout(r, 1_500));
    const listed = await runCli(['receipts', 'unsettled', '--older-than', '1s', '--json'], { DATABASE_URL: databaseUrl });
    const keys = (JSON.parse(listed.stdout) as Array<{ idempotencyKey: string }>).map((a) => a.idempotencyKey);
    expect(keys).not.toContain(request.idempotencyKey);
    await client.workflow.getHandle(submitted.decision.workflowId).terminate('test cleanup');
  });
});

describe('when the worker is killed while an action waits for operators', () => {
  it('keeps the approvals counted before the kill: the second operator after the restart dispatches it, once', async () => {
    const request = newPayeePayment();
    const submitted = await gateClient(client, queues.long).submit(request);
    await send(request.idempotencyKey, approval(submitted.decision, 'olivia', 'approve'));
    await viewWhen(request.idempotencyKey, (v) => v.counted.length === 1);
    await killWorker('long');
    workers.long = await startWorker('long');
    await send(request.idempotencyKey, approval(submitted.decision, 'omar', 'approve'));
    const result = await submitted.result();
    expect(result.operators).toMatchObject({ outcome: 'PERMIT', operators: ['olivia', 'omar'] });
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);
  }, 120_000);

  it('closes the window at the time the decision set, by the workflow clock, not a new window from the restart', async () => {
    const request = newPayeePayment();
    const submitted = await gateClient(client, queues.short).submit(request);
    await killWorker('short');
    // No worker while the window runs out; the new one starts after it has closed.
    await new Promise((r) => setTimeout(r, SHORT_WINDOW_MS));
    workers.short = await startWorker('short');
    const restartedAt = Date.now();
    const result = await submitted.result();
    expect(Date.now() - restartedAt).toBeLessThan(SHORT_WINDOW_MS);
    expect(result.operators).toMatchObject({ outcome: 'DENY', reasons: ['approval_timeout'] });
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
  }, 120_000);
});

describe('when a request asks for break-glass on a DENY the policies made', () => {
  it('answers DENY at once, and dispatches after a valid override by an on-call operator, loudly', async () => {
    const request = emergencyChange();
    const submitted = await gateClient(client, queues.long).submit(request);
    expect(submitted.decision.outcome).toBe('DENY');
    expect(submitted.decision.reasons).toContain('config-changes.forbid-production-without-ticket');
    expect(submitted.decision.waitsFor).toMatchObject({ kind: 'override', requirements: [{ groups: ['sre-oncall'], quorum: 1 }] });
    // Operators of another group, and the wrong verdict, do not count.
    await send(request.idempotencyKey, approval(submitted.decision, 'olivia', 'override'));
    await send(request.idempotencyKey, approval(submitted.decision, 'sam', 'approve'));
    const view = await viewWhen(request.idempotencyKey, (v) => v.refused.length === 2);
    expect(view.refused.map((r) => r.rejection).sort()).toEqual(['not_in_group', 'wrong_verdict']);
    expect(await operatorsAttribute(request.idempotencyKey)).toEqual(['break-glass-pending']);
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);

    await send(request.idempotencyKey, approval(submitted.decision, 'sam', 'override', { reason: 'incident INC-7: checkout down' }));
    const result = await submitted.result();
    expect(result).toMatchObject({ outcome: 'DENY', dispatch: { status: 'succeeded' }, operators: { kind: 'override', outcome: 'PERMIT', reasons: ['overridden'], operators: ['sam'] } });
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);
    const bodies = await receiptsOf(request.idempotencyKey);
    expect(summary(bodies).map((s) => s.split(' ').slice(0, 2).join(' '))).toEqual(['decision DENY', 'override PERMIT', 'outcome succeeded']);
    expect(await operatorsAttribute(request.idempotencyKey)).toEqual(['overridden']);
    ended.overridden = request.idempotencyKey;
    // The worker's log is one JSON event a line; the SDK's logger buffers its events ~100 ms to order them.
    const warning = await logLine(() => workers.long?.log() ?? '', (line) => line.msg === 'break_glass_used');
    expect(warning).toMatchObject({ level: 'warn', event: 'break_glass_used', idempotencyKey: request.idempotencyKey, surface: 'config-changes', operators: ['sam'], workflowId: request.idempotencyKey });
    const shown = await runCli(['receipts', 'show', request.idempotencyKey], { DATABASE_URL: databaseUrl });
    expect(shown.code).toBe(0);
    expect(shown.stdout.trim().split('\n')).toHaveLength(3);
    expect(shown.stderr).toContain('BREAK-GLASS: the DENY');
    expect(shown.stderr).toContain('overridden by sam ("incident INC-7: checkout down")');
  });

  it('ends at once, DENY, when the request does not ask for break-glass', async () => {
    const request = emergencyChange(null);
    const result = await gateClient(client, queues.long).execute(request);
    expect(result).toMatchObject({ outcome: 'DENY', dispatch: { status: 'skipped' } });
    expect(result.operators).toBeUndefined();
    expect(summary(await receiptsOf(request.idempotencyKey))).toHaveLength(2);
  });

  it('never opens a SILENCE to break-glass: a request that breaks the schema ends at once', async () => {
    const request = { ...emergencyChange(), context: { environment: ['production'] } } as ActionRequest;
    const result = await gateClient(client, queues.long).execute(request);
    expect(result).toMatchObject({ outcome: 'SILENCE', reasons: ['schema_violation'], dispatch: { status: 'skipped' } });
    expect(result.operators).toBeUndefined();
    expect((await receiptsOf(request.idempotencyKey)).every((b) => b.kind !== 'decision' || b.operators === undefined)).toBe(true);
  });

  it('never opens a gate_timeout to break-glass: the refusal ends the action at once', async () => {
    const { source, error } = await loadStaticPolicySource(dirs.long);
    expect(error).toBeUndefined();
    const taskQueue = uniqueId('operators-slow');
    // Policies that arrive after the surface's 2 s budget: DENY gate_timeout.
    const worker = await startTestWorker({ taskQueue, policies: slowPolicySource(source as PolicySource, 4_000), connectors: connectorsTo(fake), pool });
    try {
      const request = emergencyChange();
      const result = await gateClient(client, taskQueue).execute(request);
      expect(result).toMatchObject({ outcome: 'DENY', reasons: ['gate_timeout'], dispatch: { status: 'skipped' } });
      expect(result.operators).toBeUndefined();
      expect(summary(await receiptsOf(request.idempotencyKey))).toEqual(['decision DENY gate_timeout', 'outcome skipped']);
    } finally {
      await worker.stop();
    }
  }, 60_000);

  it('ends DENY when nobody overrides within the window, with the override receipt saying so', async () => {
    const request = emergencyChange();
    const result = await gateClient(client, queues.short).execute(request);
    expect(result).toMatchObject({ outcome: 'DENY', dispatch: { status: 'skipped' }, operators: { kind: 'override', outcome: 'DENY', reasons: ['override_timeout'] } });
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
  }, 60_000);
});

describe('when the worker counts what operators did (the metrics hook)', () => {
  it('reports each refused statement with its reason, and each resolution once, break-glass included', async () => {
    const { source, error } = await loadStaticPolicySource(dirs.long);
    expect(error).toBeUndefined();
    const events: OperatorEvent[] = [];
    const taskQueue = uniqueId('operators-events');
    const worker = await startTestWorker({ taskQueue, policies: source as PolicySource, connectors: connectorsTo(fake), pool, onOperatorEvent: (e) => events.push(e) });
    try {
      const request = emergencyChange();
      const submitted = await gateClient(client, taskQueue).submit(request);
      await send(request.idempotencyKey, approval(submitted.decision, 'olivia', 'override'));
      await viewWhen(request.idempotencyKey, (v) => v.refused.length === 1);
      await send(request.idempotencyKey, approval(submitted.decision, 'sam', 'override'));
      expect((await submitted.result()).dispatch.status).toBe('succeeded');
      expect(events).toEqual([
        { type: 'approval_refused', surface: 'config-changes', kind: 'override', operatorId: 'olivia', rejection: 'not_in_group' },
        { type: 'resolved', surface: 'config-changes', kind: 'override', outcome: 'PERMIT', reason: 'overridden', operators: ['sam'] },
      ]);
    } finally {
      await worker.stop();
    }
  });
});

describe('when the log of actions that waited for operators is checked', () => {
  it('verifies, operator signatures included, and require-permit says yes only for an approved or overridden action', async () => {
    const lines: string[] = [];
    for await (const line of exportReceiptLog(pool, {})) lines.push(line);
    const operatorKey = (id: string) => ({ keyId: demoSigner(id).keyId, publicKey: demoSigner(id).publicKey, purpose: 'operator' as const });
    const keys = {
      version: 1 as const,
      keys: [{ keyId: receiptSigner.keyId, publicKey: receiptSigner.publicKey, purpose: 'receipt' as const }, operatorKey('olivia'), operatorKey('omar'), operatorKey('sam')],
    };
    const verification = verifyLog(lines, keys, nobleBackend);
    expect(verification.problems).toEqual([]);
    expect(verification.notes).toEqual([]);
    expect([...new Set(verification.receipts.map((r) => r.body.kind))].sort()).toEqual(['approval', 'decision', 'outcome', 'override']);

    const answer = (key: string) => requirePermit(lines, key, keys, nobleBackend);
    expect(answer(ended.approved)).toMatchObject({ authorized: true, via: 'approval', by: ['olivia', 'omar'] });
    expect(answer(ended.overridden)).toMatchObject({ authorized: true, via: 'override', by: ['sam'] });
    expect(answer(ended.rejected)).toMatchObject({ authorized: false, code: 'OPERATORS_DENIED' });
    expect(answer(ended.timedOut)).toMatchObject({ authorized: false, code: 'OPERATORS_DENIED' });
  });
});

/** The first JSON line of a worker's log that `match` accepts, waited for up to 5 s. */
async function logLine(log: () => string, match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for (const deadline = Date.now() + 5_000; ; await new Promise((r) => setTimeout(r, 50))) {
    const found = log()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no such line in the worker's log:\n${log()}`);
  }
}
