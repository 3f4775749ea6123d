// What a newcomer meets first with the real CLI: `start` with a wrong DATABASE_URL, submit's exit
// codes under --fail-on-refusal, what a waiting submit says on standard error (a dispatch being
// retried, operators to wait for), and the cause of a refusal in the output.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/devstack/free-port.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { connectTemporal, policiesVariant, testEnv, uniqueId } from '../support/harness.js';
import { runCli, startCliWorker, type CliRun, type CliWorker } from '../support/run-cli.js';
import { REPO_ROOT } from '../support/paths.js';
import { tempDir } from '../support/temp-dir.js';

const BIN = join(REPO_ROOT, 'bin', 'actiongate.js');
const STACK_TRACE = /\n\s+at /;

let fake: FakeExternalSystem;
let env: NodeJS.ProcessEnv;
let cliWorker: CliWorker | undefined;
let keysDir: string;
const toTerminate: string[] = [];

/** An example of examples/ under a fresh idempotency key. */
async function example(file: string, overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const json = JSON.parse(await readFile(join(REPO_ROOT, 'examples', file), 'utf8'));
  return { ...json, idempotencyKey: uniqueId(file.replace(/\.json$/, '')), ...overrides };
}

async function keyOf(actor: string): Promise<string> {
  const file = join(keysDir, `${actor}.key.json`);
  const ran = await runCli(['keys', 'demo', actor, '--out', file]);
  if (ran.code !== 0 && !ran.stderr.includes('already exists')) throw new Error(`keys demo ${actor}: ${ran.stderr}`);
  return file;
}

async function submit(request: Record<string, unknown>, args: string[] = []): Promise<CliRun> {
  const actor = (request.actor as { id: string }).id;
  return runCli(['submit', '--key', await keyOf(actor), ...args, '-'], env, REPO_ROOT, JSON.stringify(request));
}

beforeAll(async () => {
  fake = await startFakeExternalSystem();
  keysDir = await tempDir('actiongate-newcomer-keys-');
  const closed = await freePort();
  // payments dispatch to a port where nothing listens (its dispatch is retried); the rest to the fake.
  const policies = await policiesVariant({
    editRegistry: (r) => {
      for (const [surface, entry] of Object.entries(r.surfaces)) {
        (entry as { connector: { url: string } }).connector.url =
          surface === 'payments' ? `http://127.0.0.1:${closed}/payments` : fake.url(`/${surface}`);
      }
    },
  });
  const t = testEnv();
  env = {
    TEMPORAL_ADDRESS: t.temporalAddress,
    TEMPORAL_NAMESPACE: t.namespace,
    DATABASE_URL: t.databaseUrl,
    ACTIONGATE_TASK_QUEUE: uniqueId('newcomer'),
    ACTIONGATE_POLICIES: policies,
  };
});

afterAll(async () => {
  if (toTerminate.length > 0) {
    const { client, connection } = await connectTemporal();
    for (const id of toTerminate) await client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    await connection.close();
  }
  if (cliWorker && cliWorker.process.exitCode === null) cliWorker.process.kill('SIGKILL');
  await fake?.close();
});

describe('start', () => {
  it('with a DATABASE_URL where nothing listens says so in one line, password hidden, and exits 1', async () => {
    const port = await freePort();
    const ran = await runCli(['start', '--once'], {
      ...env,
      DATABASE_URL: `postgres://someone:very-secret-pw@127.0.0.1:${port}/actiongate`,
      ACTIONGATE_DATA_DIR: await tempDir('actiongate-start-'),
    });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(`actiongate: cannot reach Postgres at postgres://someone:***@127.0.0.1:${port}/actiongate`);
    expect(ran.stderr).toContain('DATABASE_URL');
    expect(ran.stderr + ran.stdout).not.toContain('very-secret-pw');
    expect(ran.stderr).not.toMatch(STACK_TRACE);
    expect(ran.stderr).not.toContain('unexpected error');
  }, 60_000);

  it('with a TEMPORAL_ADDRESS where nothing listens says so in one line and exits 1', async () => {
    const port = await freePort();
    const ran = await runCli(['start', '--once'], {
      ...env,
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      ACTIONGATE_DATA_DIR: await tempDir('actiongate-start-'),
    });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(`actiongate: no Temporal server at 127.0.0.1:${port}`);
    expect(ran.stderr).not.toMatch(STACK_TRACE);
    expect(ran.stderr).not.toContain('unexpected error');
  }, 60_000);
});

describe('keys demo', () => {
  it('refuses a principal without a demo key', async () => {
    const ran = await runCli(['keys', 'demo', 'mallory', '--out', join(keysDir, 'mallory.key.json')]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('has no demo key');
  });
});

describe('submit, with a worker running', () => {
  beforeAll(async () => {
    cliWorker = await startCliWorker(env);
  }, 120_000);

  it('--fail-on-refusal exits 0 for an action carried out', async () => {
    const ran = await submit(await example('customer-messages-email.json'), ['--fail-on-refusal']);
    expect(ran.code, ran.stderr).toBe(0);
    const result = JSON.parse(ran.stdout);
    expect(result.outcome).toBe('PERMIT');
    expect(result.dispatch.status).toBe('succeeded');
    expect(result.detail).toBeNull();
  });

  it('--fail-on-refusal exits 3 for a DENY (0 without it), waiting or not', async () => {
    const request = await example('payments-over-limit.json');
    const plain = await submit(request);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout).outcome).toBe('DENY');
    const failing = await submit(request, ['--fail-on-refusal']);
    expect(failing.code).toBe(3);
    expect(JSON.parse(failing.stdout).reasons).toEqual(['payments.forbid-agent-over-limit']);
    const noWait = await submit(request, ['--fail-on-refusal', '--no-wait']);
    expect(noWait.code).toBe(3);
  });

  it('prints the cause of a schema violation in detail', async () => {
    const request = await example('payments-transfer.json', { context: { amount: 12000 } });
    const ran = await submit(request, ['--fail-on-refusal']);
    expect(ran.code).toBe(3);
    const result = JSON.parse(ran.stdout);
    expect({ outcome: result.outcome, reasons: result.reasons }).toEqual({ outcome: 'SILENCE', reasons: ['schema_violation'] });
    expect(result.detail).toEqual(expect.stringContaining('currency'));
  });

  it('says on standard error when the action waits for operators', async () => {
    const request = await example('payments-new-payee.json');
    toTerminate.push(request.idempotencyKey as string);
    const ran = await submit(request, ['--no-wait', '--fail-on-refusal']);
    expect(ran.code).toBe(3);
    expect(JSON.parse(ran.stdout).outcome).toBe('STEP_UP');
    expect(ran.stderr).toContain('waiting for approval by 2 of treasury until ');
    expect(ran.stderr).toContain(`actiongate approve ${request.idempotencyKey as string} --operator`);
  });

  it('says on standard error while a dispatch is being retried: attempt and last error', async () => {
    const request = await example('payments-transfer.json');
    toTerminate.push(request.idempotencyKey as string);
    const child = spawn(process.execPath, [BIN, 'submit', '--key', await keyOf('agent-42'), '-'], {
      env: { PATH: process.env.PATH, ...env },
      cwd: REPO_ROOT,
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(JSON.stringify(request));
    try {
      const deadline = Date.now() + 30_000;
      while (!/attempt [2-9]\d*, last error: \S/.test(stderr)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no retry line (exit ${child.exitCode}):\n${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const line = stderr.split('\n').find((l) => l.includes('being retried'))!;
      expect(line).toContain(request.idempotencyKey as string);
      expect(line).toMatch(/ECONNREFUSED|refused|connect/i);
      expect(stderr).not.toMatch(STACK_TRACE);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
