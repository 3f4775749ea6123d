// Operators in the loop from the command line: `approvals pending`, `approve`, `reject`, `break-glass`,
// and the plain `temporal workflow signal` with a statement written by `approve --out`, against a
// real worker (the CLI's), the shared Temporal dev server and Postgres. The shipped sample policies:
// a payment to a new payee waits for two treasury operators (olivia, omar); break-glass on payments
// takes one treasury operator; sam is in sre-oncall only.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionResult } from '../../src/action/action-result.js';
import type { PendingOperatorAction } from '../../src/cli/commands/approvals.js';
import { demoPrivateKeyFile } from '../../src/demo/demo-keys.js';
import { findOrInstallTemporalCli } from '../../src/devstack/temporal-cli.js';
import { SignedApprovalSchema } from '../../src/identity/operator-approval.js';
import { writePrivateKeyFile } from '../../src/keys/private-key-file.js';
import type { ActionRequest } from '../../src/request/action-request.js';
import { operatorsQuery, type OperatorsView } from '../../workflows/contract.js';
import { PgReceiptStore } from '../../src/store/receipt-store.js';
import { decisionBody } from '../fixtures/decision-body.js';
import { freshDatabase } from '../support/bundles.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { connectTemporal, gateClient, paymentRequest, policiesDispatchingTo, testEnv, uniqueId } from '../support/harness.js';
import { REPO_ROOT } from '../support/paths.js';
import { runCli, startCliWorker, type CliRun, type CliWorker } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

const run = promisify(execFile);

let fake: FakeExternalSystem;
let env: NodeJS.ProcessEnv;
let cliWorker: CliWorker | undefined;
let temporal: { client: Client; connection: Connection };
let keyDir: string;
let temporalCli: string;

const keyFile = (operator: string) => join(keyDir, `${operator}.key.json`);

beforeAll(async () => {
  fake = await startFakeExternalSystem();
  const t = testEnv();
  env = {
    TEMPORAL_ADDRESS: t.temporalAddress,
    TEMPORAL_NAMESPACE: t.namespace,
    DATABASE_URL: t.databaseUrl,
    ACTIONGATE_TASK_QUEUE: uniqueId('approvals-cli'),
    ACTIONGATE_POLICIES: await policiesDispatchingTo(fake),
  };
  keyDir = await tempDir('actiongate-operator-keys-');
  for (const operator of ['olivia', 'omar', 'sam']) await writePrivateKeyFile(keyFile(operator), demoPrivateKeyFile(operator));
  temporalCli = await findOrInstallTemporalCli({ toolsDir: join(REPO_ROOT, '.tools'), log: () => undefined });
  temporal = await connectTemporal();
  cliWorker = await startCliWorker(env);
}, 180_000);

afterAll(async () => {
  if (cliWorker && cliWorker.process.exitCode === null) cliWorker.process.kill('SIGKILL');
  await temporal?.connection.close();
  await fake?.close();
});

/** A transfer by the AP clerk agent to a payee the treasury has not vetted: STEP_UP, two treasury approvals. */
function newPayeeTransfer(): ActionRequest {
  return paymentRequest({
    idempotencyKey: uniqueId('pay-new-payee'),
    actor: { id: 'agent-ap-clerk', type: 'agent' },
    target: { type: 'supplier-account', id: 'NL91ABNA0417164300' },
    context: { amount: 12_000, currency: 'EUR' },
    payload: { amount: 12_000, currency: 'EUR', to: 'NL91ABNA0417164300' },
  });
}

/** Over the agent's 500.00 limit (DENY), asking for break-glass: one treasury operator may override. */
function overLimitWithBreakGlass(): ActionRequest {
  return paymentRequest({
    idempotencyKey: uniqueId('pay-break-glass'),
    context: { amount: 60_000, currency: 'EUR' },
    payload: { amount: 60_000, currency: 'EUR', to: 'acct-7' },
    breakGlass: { reason: 'quarter-end supplier run, CFO on the phone' },
  });
}

async function submit(request: ActionRequest): Promise<{ outcome: string; result: () => Promise<ActionResult> }> {
  const submitted = await gateClient(temporal.client, env.ACTIONGATE_TASK_QUEUE as string).submit(request);
  return { outcome: submitted.decision.outcome, result: submitted.result };
}

function operatorCli(command: 'approve' | 'reject' | 'break-glass', key: string, operator: string, extra: string[] = []): Promise<CliRun> {
  return runCli([command, key, '--operator', operator, '--key', keyFile(operator), '--reason', `${operator} checked the invoice`, ...extra], env);
}

async function pending(extra: string[] = []): Promise<PendingOperatorAction[]> {
  const ran = await runCli(['approvals', 'pending', '--json', ...extra], env);
  expect(ran.code, ran.stderr).toBe(0);
  return JSON.parse(ran.stdout) as PendingOperatorAction[];
}

async function operatorsView(key: string): Promise<OperatorsView | null> {
  return temporal.client.workflow.getHandle(key).query(operatorsQuery);
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('when a payment waits for two treasury approvals', () => {
  it('is listed as pending, counts a statement sent with the plain temporal CLI, dispatches at quorum and is listed no more', async () => {
    const request = newPayeeTransfer();
    const key = request.idempotencyKey;
    const submitted = await submit(request);
    expect(submitted.outcome).toBe('STEP_UP');

    const listed = (await pending()).find((p) => p.idempotencyKey === key);
    expect(listed).toMatchObject({
      surface: 'payments',
      action: 'transfer',
      actor: { id: 'agent-ap-clerk', type: 'agent' },
      target: { type: 'supplier-account', id: 'NL91ABNA0417164300' },
      outcome: 'STEP_UP',
      kind: 'approval',
      requirements: [{ groups: ['treasury'], quorum: 2 }],
      reasonRequired: true,
      breakGlassReason: null,
      operatorsUnknown: null,
    });
    expect(listed?.operators?.counted).toEqual([]);
    const table = await runCli(['approvals', 'pending', '--surface', 'payments'], env);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^key\s+surface\s+action\s+actor\s+target\s+kind\s+needs\s+until\s+counted$/);
    const row = table.stdout.split('\n').find((line) => line.startsWith(`${key} `));
    expect(row).toMatch(/\spayments\s+transfer\s+agent-ap-clerk\s+supplier-account:NL91ABNA0417164300\s+step-up\s+2 of treasury\s+\S+Z\s+none$/);
    expect((await pending(['--surface', 'config-changes'])).map((p) => p.idempotencyKey)).not.toContain(key);

    // olivia signs on her machine and sends the file with the plain temporal CLI.
    const out = join(await tempDir('actiongate-approval-'), 'olivia-approval.json');
    const written = await operatorCli('approve', key, 'olivia', ['--out', out, '--expires-in', '30m']);
    expect(written.code, written.stderr).toBe(0);
    const command = written.stdout.trim();
    expect(command).toBe(`temporal workflow signal --workflow-id ${key} --run-id ${listed?.runId} --name operator-approval --input-file ${out}`);
    const signed = SignedApprovalSchema.parse(JSON.parse(await readFile(out, 'utf8')));
    expect(signed.statement).toMatchObject({ workflowId: key, runId: listed?.runId, verdict: 'approve', operatorId: 'olivia', decisionReceiptId: listed?.decisionReceiptId });
    expect(Date.parse(signed.statement.expiresAt) - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(signed.statement.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(fake.callsFor(key)).toHaveLength(0);

    const [, ...args] = command.split(' ');
    await run(temporalCli, [...args, '--address', env.TEMPORAL_ADDRESS as string, '--namespace', env.TEMPORAL_NAMESPACE as string]);
    const view = await eventually(() => operatorsView(key), (v) => (v?.counted.length ?? 0) > 0);
    expect(view?.counted).toEqual([{ operatorId: 'olivia', verdict: 'approve', expiresAt: signed.statement.expiresAt }]);
    expect((await pending()).find((p) => p.idempotencyKey === key)?.operators?.counted.map((c) => c.operatorId)).toEqual(['olivia']);

    // omar approves with actiongate: the quorum is reached, the approval receipt recorded, the payment made.
    const approved = await operatorCli('approve', key, 'omar');
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(/^resolved: PERMIT \(approved\); approval receipt sha256:[0-9a-f]{64}$/m);
    const result = await submitted.result();
    expect(result.dispatch.status).toBe('succeeded');
    expect(result.operators).toMatchObject({ kind: 'approval', outcome: 'PERMIT', reasons: ['approved'] });
    expect(fake.callsFor(key)).toHaveLength(1);
    expect((await pending()).map((p) => p.idempotencyKey)).not.toContain(key);

    const again = await operatorCli('approve', key, 'olivia');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`approve ${key}: already resolved: approval receipt sha256:`);
  });

  it('reports one approval as counted, refuses an operator of another group, and ends DENY on a rejection', async () => {
    const request = newPayeeTransfer();
    const key = request.idempotencyKey;
    const submitted = await submit(request);
    expect(submitted.outcome).toBe('STEP_UP');

    const counted = await operatorCli('approve', key, 'olivia');
    expect(counted.code, counted.stderr).toBe(0);
    expect(counted.stdout).toMatch(/^counted: 1 of 2 \(2 of treasury\): olivia; open until \S+Z$/m);

    const refused = await operatorCli('approve', key, 'sam');
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stdout).toMatch(/^refused: not_in_group: sam is in none of treasury/m);

    const twice = await operatorCli('approve', key, 'olivia');
    expect(twice.code).toBe(1);
    expect(twice.stdout).toMatch(/^refused: same_operator: /m);

    const rejected = await operatorCli('reject', key, 'omar');
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(rejected.stdout).toMatch(/^resolved: DENY \(approval_rejected\); approval receipt sha256:[0-9a-f]{64}$/m);
    const result = await submitted.result();
    expect(result.operators).toMatchObject({ kind: 'approval', outcome: 'DENY', reasons: ['approval_rejected'] });
    expect(result.dispatch.status).toBe('skipped');
    expect(fake.callsFor(key)).toHaveLength(0);
    expect((await pending()).map((p) => p.idempotencyKey)).not.toContain(key);
  });

  it('refuses break-glass on it, naming what it waits for', async () => {
    const request = newPayeeTransfer();
    expect((await submit(request)).outcome).toBe('STEP_UP');
    const ran = await operatorCli('break-glass', request.idempotencyKey, 'olivia');
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain('waits for approval (a STEP_UP), not for break-glass');
    // Leave nothing waiting for other tests' pending lists: reject it.
    expect((await operatorCli('reject', request.idempotencyKey, 'omar')).code).toBe(0);
  });
});

describe('when a denied payment asked for break-glass', () => {
  it('is listed as break-glass, refuses approve, and one treasury override dispatches it', async () => {
    const request = overLimitWithBreakGlass();
    const key = request.idempotencyKey;
    const submitted = await submit(request);
    expect(submitted.outcome).toBe('DENY');

    const listed = (await pending()).find((p) => p.idempotencyKey === key);
    expect(listed).toMatchObject({ kind: 'override', outcome: 'DENY', requirements: [{ groups: ['treasury'], quorum: 1 }], breakGlassReason: 'quarter-end supplier run, CFO on the phone' });
    const table = await runCli(['approvals', 'pending'], env);
    expect(table.stdout.split('\n').find((line) => line.startsWith(`${key} `))).toMatch(/\sbreak-glass\s+1 of treasury\s/);

    const approve = await operatorCli('approve', key, 'olivia');
    expect(approve.code).toBe(1);
    expect(approve.stderr).toContain('waits for break-glass (an override of a DENY), not for approval');

    const broken = await operatorCli('break-glass', key, 'olivia');
    expect(broken.code, broken.stderr).toBe(0);
    expect(broken.stdout).toMatch(/^resolved: PERMIT \(overridden\); override receipt sha256:[0-9a-f]{64}$/m);
    const result = await submitted.result();
    expect(result.outcome).toBe('DENY');
    expect(result.operators).toMatchObject({ kind: 'override', outcome: 'PERMIT', reasons: ['overridden'], operators: ['olivia'] });
    expect(result.dispatch.status).toBe('succeeded');
    expect(fake.callsFor(key)).toHaveLength(1);
    expect(cliWorker?.log()).toContain('break_glass_used');
    expect((await pending()).map((p) => p.idempotencyKey)).not.toContain(key);
  });
});

describe('when the action does not wait for operators', () => {
  it('says so for a PERMIT, for a DENY without break-glass, and for an unknown key', async () => {
    const permitted = paymentRequest();
    expect((await submit(permitted)).outcome).toBe('PERMIT');
    const onPermit = await operatorCli('approve', permitted.idempotencyKey, 'olivia');
    expect(onPermit.code).toBe(1);
    expect(onPermit.stderr).toContain('does not wait for operators: its decision was PERMIT');

    const denied = paymentRequest({ context: { amount: 60_000, currency: 'EUR' }, payload: { amount: 60_000, currency: 'EUR', to: 'acct-7' } });
    expect((await submit(denied)).outcome).toBe('DENY');
    const onDeny = await operatorCli('break-glass', denied.idempotencyKey, 'olivia');
    expect(onDeny.code).toBe(1);
    expect(onDeny.stderr).toContain('does not wait for operators: its decision was DENY (payments.forbid-agent-over-limit');
    expect(onDeny.stderr).toContain('break-glass needs the request to ask for it');

    const unknown = await operatorCli('reject', uniqueId('never-submitted'), 'olivia');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no decision is recorded for this key');
  });
});

describe('when the workflow cannot be reached', () => {
  // A database of its own: these decisions have no workflow, and must not show up elsewhere.
  let url: string;
  const key = uniqueId('orphan-step-up');
  const closed = uniqueId('closed-window');
  const runId = randomUUID();
  beforeAll(async () => {
    const { pool, url: fresh } = await freshDatabase();
    url = fresh;
    const store = new PgReceiptStore(pool);
    const operators = { kind: 'approval' as const, requirements: [{ groups: ['treasury'], quorum: 2 }], reasonRequired: true };
    await store.append(
      decisionBody(key, { runId, outcome: 'STEP_UP', reasons: ['payments.new-payee-needs-approval'], issuedAt: new Date().toISOString(), operators: { ...operators, until: new Date(Date.now() + 600_000).toISOString() } }),
    );
    await store.append(
      decisionBody(closed, { outcome: 'STEP_UP', reasons: ['payments.new-payee-needs-approval'], issuedAt: new Date(Date.now() - 120_000).toISOString(), operators: { ...operators, until: new Date(Date.now() - 60_000).toISOString() } }),
    );
    await pool.end();
  });

  it('pending lists what Postgres holds and says the counted operators are unknown', async () => {
    const offline = await runCli(['approvals', 'pending'], { ...env, DATABASE_URL: url, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(offline.code, offline.stderr).toBe(0);
    const lines = offline.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2); // the closed window is not listed
    expect(lines[1]).toMatch(new RegExp(`^${key}\\s.*\\sstep-up\\s+2 of treasury\\s+\\S+Z\\s+unknown \\(Temporal unreachable\\)$`));
    const noRun = JSON.parse((await runCli(['approvals', 'pending', '--json'], { ...env, DATABASE_URL: url })).stdout) as PendingOperatorAction[];
    expect(noRun.map((p) => [p.idempotencyKey, p.operators, typeof p.operatorsUnknown])).toEqual([[key, null, 'string']]);
  });

  it('approve says the run is not open, and a closed window is named', async () => {
    const there = await runCli(['approve', key, '--operator', 'olivia', '--key', keyFile('olivia'), '--reason', 'r'], { ...env, DATABASE_URL: url });
    expect(there.code).toBe(1);
    expect(there.stderr).toContain(`${key}: run ${runId} is not open any more`);
    const late = await runCli(['approve', closed, '--operator', 'olivia', '--key', keyFile('olivia'), '--reason', 'r'], { ...env, DATABASE_URL: url });
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/its window closed at \S+Z; the action ends DENY \(approval_timeout\)/);
  });
});

describe('when the command is misused', () => {
  const nowhere = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', TEMPORAL_ADDRESS: '127.0.0.1:1' };
  const full = (command: string) => [command, 'pay-1', '--operator', 'olivia', '--key', '/nonexistent/olivia.key.json', '--reason', 'checked'];

  it.each([
    [['approve'], 'needs the idempotency KEY'],
    [['approve', 'pay-1', '--key', 'k.json', '--reason', 'r'], 'needs --operator ID'],
    [['reject', 'pay-1', '--operator', 'olivia', '--reason', 'r'], 'needs --key FILE'],
    [['break-glass', 'pay-1', '--operator', 'olivia', '--key', 'k.json'], 'needs --reason TEXT'],
    [['reject', 'pay-1', '--operator', 'olivia', '--key', 'k.json', '--reason', '   '], 'needs --reason TEXT'],
    [['approve', 'pay-1', 'pay-2', '--operator', 'olivia', '--key', 'k.json', '--reason', 'r'], 'takes one KEY'],
    [[...full('approve'), '--expires-in', '10 minutes'], '--expires-in takes a duration'],
    [[...full('approve'), '--surface', 'payments'], "Unknown option '--surface'"],
    [[...full('break-glass'), '--operator'], 'break-glass'],
    [['approvals', 'pending', '--operator', 'olivia'], "Unknown option '--operator'"],
    [['approvals', 'pending', 'extra'], 'approvals pending takes no arguments'],
    [['approvals', 'list'], 'unknown subcommand approvals "list"'],
  ])('exits 2 for %j, naming the problem, without touching Temporal or Postgres', async (args, message) => {
    const ran = await runCli(args, nowhere);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain(message);
  });

  it('exits 2 for an unreadable key file, before reading the database', async () => {
    const ran = await runCli(full('approve'), nowhere);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('--key: cannot read private key file /nonexistent/olivia.key.json');
  });

  it.each([[['approve', '--help']], [['reject', '--help']], [['break-glass', '--help']], [['approvals', '--help']], [['--help', 'approve']]])(
    '%j prints usage and exits 0',
    async (args) => {
      const ran = await runCli(args, {});
      expect(ran.code).toBe(0);
      expect(ran.stdout).toMatch(/^Usage: actiongate (approve|reject|break-glass|approvals)/);
      expect(ran.stdout).toContain('TEMPORAL_ADDRESS');
    },
  );

  it('lists the operator commands in the global help', async () => {
    const ran = await runCli(['--help'], {});
    for (const line of ['approvals pending', 'approve KEY', 'reject KEY', 'break-glass KEY']) expect(ran.stdout).toContain(line);
  });
});
