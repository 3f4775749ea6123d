// The CLI is a contract (scripts depend on it): exit codes, stdout JSON, stderr messages.
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/devstack/free-port.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { paymentRequest, policiesDispatchingTo, testEnv, uniqueId } from '../support/harness.js';
import { runCli, startCliWorker, type CliRun, type CliWorker } from '../support/run-cli.js';
import { REPO_ROOT } from '../support/paths.js';
import { tempDir } from '../support/temp-dir.js';
import { demoPrivateKeyFile } from '../../src/demo/demo-keys.js';
import { writePrivateKeyFile } from '../../src/keys/private-key-file.js';


function cli(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CliRun> {
  return runCli(args, env, REPO_ROOT, stdin);
}

let fake: FakeExternalSystem;
let env: NodeJS.ProcessEnv;
let worker: ChildProcess | undefined;
let cliWorker: CliWorker | undefined;

beforeAll(async () => {
  fake = await startFakeExternalSystem();
  const policies = await policiesDispatchingTo(fake);
  const t = testEnv();
  env = {
    TEMPORAL_ADDRESS: t.temporalAddress,
    TEMPORAL_NAMESPACE: t.namespace,
    DATABASE_URL: t.databaseUrl,
    ACTIONGATE_TASK_QUEUE: uniqueId('cli'),
    ACTIONGATE_POLICIES: policies,
  };
});

afterAll(async () => {
  if (worker && worker.exitCode === null) worker.kill('SIGKILL');
  await fake?.close();
});

describe('when asked for help', () => {
  it.each([
    [['--help'], ['TEMPORAL_ADDRESS', 'DATABASE_URL', 'ACTIONGATE_RECEIPT_KEY'], []],
    [['worker', '--help'], ['TEMPORAL_ADDRESS', 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'DATABASE_URL', 'ACTIONGATE_RECEIPT_KEY', 'ACTIONGATE_HTTP_PORT'], ['ACTIONGATE_DATA_DIR', 'ACTIONGATE_BUNDLE_SIGNING_KEY']],
    [['submit', '--help'], ['TEMPORAL_ADDRESS', 'TEMPORAL_API_KEY', 'ACTIONGATE_TASK_QUEUE'], ['DATABASE_URL', 'ACTIONGATE_POLICIES']],
    [['db', 'migrate', '--help'], ['DATABASE_URL'], ['TEMPORAL_ADDRESS', 'ACTIONGATE_POLICIES']],
    [['policy', 'test', '--help'], ['ACTIONGATE_POLICIES'], ['DATABASE_URL', 'TEMPORAL_ADDRESS']],
  ])('%j prints usage, only the variables it reads, and exits 0', async (args, listed, notListed) => {
    const ran = await cli(args, {});
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^Usage: actiongate/);
    for (const name of listed) expect(ran.stdout).toMatch(new RegExp(`^  ${name}\\s`, 'm'));
    for (const name of notListed) expect(ran.stdout).not.toMatch(new RegExp(`^  ${name}\\s`, 'm'));
  });

  it.each([[['receipts', 'frob', '--help']], [['approvals', 'frob', '--help']], [['db', 'frob', '--help']], [['policy', 'frob', '--help']], [['keys', 'frob', '--help']]])(
    'exits 2 on an unknown subcommand, with --help too: %j',
    async (args) => {
      const ran = await cli(args, {});
      expect(ran.code).toBe(2);
      expect(ran.stderr).toMatch(/unknown subcommand|usage: actiongate db migrate/);
      expect(ran.stdout).toBe('');
    },
  );

  it.each([[['frobnicate']], [['frobnicate', '--help']], [['--help', 'frobnicate']]])('exits 2 on an unknown command, --help or not: %j', async (args) => {
    const ran = await cli(args, {});
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('unknown command "frobnicate"');
    expect(ran.stdout).toBe('');
  });
});

describe('when the request is invalid', () => {
  it('exits 2 naming every bad field, without contacting Temporal', async () => {
    const bad = { ...paymentRequest(), idempotencyKey: 'has spaces', surface: 'Payments!' };
    const ran = await cli(['submit', '-'], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' }, JSON.stringify(bad));
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('idempotencyKey');
    expect(ran.stderr).toContain('surface');
    expect(ran.stdout).toBe('');
  });

  it('exits 2 when the input is not JSON', async () => {
    const ran = await cli(['submit'], env, '{not json');
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('not JSON');
  });
});

describe('when there is no Temporal server', () => {
  it('exits 1 and says where it looked and what to do', async () => {
    const port = await freePort();
    const ran = await cli(['submit'], { ...env, TEMPORAL_ADDRESS: `127.0.0.1:${port}` }, JSON.stringify(paymentRequest()));
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(`no Temporal server at 127.0.0.1:${port}`);
    expect(ran.stderr).toContain('TEMPORAL_ADDRESS');
  });
});

describe('when a worker is running', () => {
  beforeAll(async () => {
    cliWorker = await startCliWorker(env);
    worker = cliWorker.process;
  }, 120_000);

  it('db migrate reports the database up to date', async () => {
    const ran = await cli(['db', 'migrate'], env);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('up to date');
  });

  it('submit of an unknown surface prints SILENCE and dispatches nothing', async () => {
    const request = paymentRequest({ surface: 'crypto-trades' });
    const ran = await cli(['submit', '-'], env, JSON.stringify(request));
    expect(ran.code).toBe(0);
    const result = JSON.parse(ran.stdout);
    expect(result.outcome).toBe('SILENCE');
    expect(result.reasons).toEqual(['unknown_surface']);
    expect(result.dispatch.status).toBe('skipped');
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
  });

  it('submit --key of a permitted request dispatches it exactly once however often it is submitted', async () => {
    const request = paymentRequest();
    const keyFile = join(await tempDir('actiongate-agent-key-'), 'agent-42.key.json');
    await writePrivateKeyFile(keyFile, demoPrivateKeyFile('agent-42'));
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await cli(['submit', '--key', keyFile, '-'], env, JSON.stringify(request)));
    for (const ran of runs) expect(ran.code).toBe(0);
    const results = runs.map((r) => JSON.parse(r.stdout));
    expect(results[0].outcome).toBe('PERMIT');
    expect(results[0].dispatch.status).toBe('succeeded');
    expect(new Set(runs.map((r) => r.stdout)).size).toBe(1);
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);
  });

  it('submit without --key is SILENCE bad_signature on an enforcing surface, and dispatches nothing', async () => {
    const request = paymentRequest();
    const ran = await cli(['submit', '-'], env, JSON.stringify(request));
    expect(ran.code).toBe(0);
    const result = JSON.parse(ran.stdout);
    expect({ outcome: result.outcome, reasons: result.reasons }).toEqual({ outcome: 'SILENCE', reasons: ['bad_signature'] });
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
  });

  it('submit --key with a file that is not a key exits 2 naming --key, and starts nothing', async () => {
    const dir = await tempDir('actiongate-agent-key-');
    const keyFile = join(dir, 'not-a-key.json');
    await writeFile(keyFile, '{"version":1}');
    const request = paymentRequest();
    const ran = await cli(['submit', '--key', keyFile, '-'], env, JSON.stringify(request));
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('--key');
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => worker?.once('exit', (code) => resolve(code)));
    worker?.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(cliWorker?.log()).toContain('worker stopped');
  }, 30_000);
});
