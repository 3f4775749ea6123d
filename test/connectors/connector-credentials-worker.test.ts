// Connector credentials end to end, through `actiongate worker` as deployed: a missing secret
// stops the worker at start; a present one reaches the external system and nothing else (not the
// receipts, not the workflow history, not the worker's output, not a failing dispatch's error).
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/cli/config.js';
import { policyActivateCommand } from '../../src/cli/commands/policy-activate.js';
import { policyPublishCommand } from '../../src/cli/commands/policy-publish.js';
import { freshDatabase, newSigner, signedBundle, trustedKeys } from '../support/bundles.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { SAMPLE_SURFACES, connectTemporal, gateClient, openPool, paymentRequest, policiesVariant, testEnv, uniqueId } from '../support/harness.js';
import { runCli, startCliWorker } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

const ENV_CANARY = `canary-env-${uniqueId('s')}`;
const FILE_CANARY = `canary-file-${uniqueId('s')}`;

let fake: FakeExternalSystem;
let pool: pg.Pool;
let temporal: { client: Client; connection: Connection };
let policiesDir: string;
let secretFile: string;
let worker: ChildProcess | undefined;
let workerLog: () => string = () => '';
/** Keys the fake refuses with 401, quoting the token it got back in its answer (as some APIs do). */
const refuse = new Set<string>();

function baseEnv(taskQueue: string): NodeJS.ProcessEnv {
  const t = testEnv();
  return {
    TEMPORAL_ADDRESS: t.temporalAddress,
    TEMPORAL_NAMESPACE: t.namespace,
    DATABASE_URL: t.databaseUrl,
    ACTIONGATE_TASK_QUEUE: taskQueue,
    ACTIONGATE_POLICIES: policiesDir,
  };
}

beforeAll(async () => {
  fake = await startFakeExternalSystem();
  fake.respondWith((call, n) =>
    call.idempotencyKey !== undefined && refuse.has(call.idempotencyKey)
      ? { status: 401, body: { error: `invalid credentials: ${call.headers['authorization']} / ${call.headers['x-api-key']}` } }
      : { status: 200, body: { accepted: true, n } },
  );
  pool = openPool();
  temporal = await connectTemporal();
  secretFile = join(await tempDir('actiongate-secret-'), 'payments_key');
  await writeFile(secretFile, `${FILE_CANARY}\n`, { mode: 0o600 });
  policiesDir = await policiesVariant({
    editRegistry: (r) => {
      for (const s of SAMPLE_SURFACES) (r.surfaces[s] as { connector: { url: string } }).connector.url = fake.url(`/${s}`);
      (r.surfaces['payments'] as { connector: Record<string, unknown> }).connector['headers'] = {
        Authorization: { env: 'PAYMENTS_API_TOKEN', prefix: 'Bearer ' },
        'X-Api-Key': { file: secretFile },
        'X-Tenant': 'acme',
      };
    },
  });
}, 60_000);

afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) {
    const exited = new Promise((resolve) => worker?.once('exit', resolve));
    worker.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (worker.exitCode === null) worker.kill('SIGKILL');
  }
  await temporal?.connection.close();
  await pool?.end();
  await fake?.close();
});

describe('when a connector secret is missing at start', () => {
  it('the worker does not start, and says which variable of which surface', async () => {
    const run = await runCli(['worker'], baseEnv(uniqueId('secret-missing')));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'CONNECTOR_SECRET_UNAVAILABLE: surface payments: header Authorization: environment variable PAYMENTS_API_TOKEN is not set',
    );
    expect(run.stdout).not.toContain('worker polling task queue');
  });

  it('the worker does not start when the file cannot be read, and names the file', async () => {
    const dir = await policiesVariant({
      files: {},
      editRegistry: (r) => {
        (r.surfaces['payments'] as { connector: Record<string, unknown> }).connector['headers'] = { 'X-Api-Key': { file: '/nonexistent/payments_key' } };
      },
    });
    const run = await runCli(['worker'], { ...baseEnv(uniqueId('secret-missing')), ACTIONGATE_POLICIES: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('surface payments: header X-Api-Key: file /nonexistent/payments_key cannot be read (ENOENT)');
  });
});

describe('when the active bundle of the bundle store names a secret that is missing', () => {
  it('the worker does not start either, and says which variable of which surface', async () => {
    const db = await freshDatabase();
    try {
      const signer = newSigner();
      const keysFile = join(await tempDir('actiongate-keys-'), 'trusted.json');
      await writeFile(keysFile, JSON.stringify(trustedKeys(signer)));
      const env = { ...baseEnv(uniqueId('secret-store')), DATABASE_URL: db.url, ACTIONGATE_BUNDLE_KEYS: keysFile, ACTIONGATE_POLICIES: '/nonexistent' };
      const config = resolveConfig(env);
      const bundle = await signedBundle(signer, { dir: policiesDir });
      const bundlePath = join(await tempDir('actiongate-bundle-'), 'b.json');
      await writeFile(bundlePath, bundle.text);
      const io = { out: () => undefined, log: () => undefined };
      expect(await policyPublishCommand(config, [bundlePath, '--by', 'test'], io)).toBe(0);
      expect(await policyActivateCommand(config, [bundle.version, '--by', 'test'], io)).toBe(0);

      const run = await runCli(['worker'], env);
      expect(run.code).toBe(1);
      expect(run.stdout + run.stderr).toContain('POLICY BUNDLE REJECTED: CONNECTOR_SECRET_UNAVAILABLE');
      expect(run.stderr).toContain(
        'CONNECTOR_SECRET_UNAVAILABLE: surface payments: header Authorization: environment variable PAYMENTS_API_TOKEN is not set',
      );
      expect(run.stdout).not.toContain('worker polling task queue');
    } finally {
      await db.pool.end();
    }
  });
});

describe('when the secrets are there', () => {
  let taskQueue: string;

  beforeAll(async () => {
    taskQueue = uniqueId('secrets');
    const started = await startCliWorker({ ...baseEnv(taskQueue), PAYMENTS_API_TOKEN: ENV_CANARY });
    worker = started.process;
    workerLog = started.log;
  }, 120_000);

  /** Everything recorded about a key: its receipt rows and its workflow history, payloads decoded. */
  async function recordsOf(key: string): Promise<{ receipts: string; history: string }> {
    const { rows } = await pool.query('SELECT * FROM receipts WHERE idempotency_key = $1', [key]);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const history = await temporal.client.workflow.getHandle(key).fetchHistory();
    // Payload data comes base64-encoded (or as bytes): decode it, or a canary in it would go unseen.
    const text = JSON.stringify(history, (key, v: unknown) =>
      v instanceof Uint8Array
        ? Buffer.from(v).toString('utf8')
        : key === 'data' && typeof v === 'string'
          ? Buffer.from(v, 'base64').toString('utf8')
          : typeof v === 'bigint'
            ? String(v)
            : v,
    );
    return { receipts: JSON.stringify(rows), history: text };
  }

  function expectNoCanary(text: string): void {
    expect(text).not.toContain(ENV_CANARY);
    expect(text).not.toContain(FILE_CANARY);
  }

  it('sends them to the external system, and they appear in no receipt, history or log line', async () => {
    const request = paymentRequest();
    const { result } = await gateClient(temporal.client, taskQueue).submit(request);
    const final = await result();
    expect(final).toMatchObject({ outcome: 'PERMIT', dispatch: { status: 'succeeded' } });

    const [call] = fake.callsFor(request.idempotencyKey);
    expect(call?.headers).toMatchObject({ authorization: `Bearer ${ENV_CANARY}`, 'x-api-key': FILE_CANARY, 'x-tenant': 'acme' });

    const { receipts, history } = await recordsOf(request.idempotencyKey);
    // The decoding works: the payload is readable in the history, so a canary would be too.
    expect(history).toContain(request.idempotencyKey);
    expect(history).toContain('acct-7');
    expectNoCanary(receipts);
    expectNoCanary(history);
    expectNoCanary(JSON.stringify(final));
    expectNoCanary(workerLog());
  });

  it('keeps them out of a failing dispatch too, even when the external system quotes them back', async () => {
    const request = paymentRequest();
    refuse.add(request.idempotencyKey);
    const { result } = await gateClient(temporal.client, taskQueue).submit(request);
    const final = await result();
    expect(final).toMatchObject({ outcome: 'PERMIT', dispatch: { status: 'failed' } });
    const message = JSON.stringify(final);
    expect(message).toContain('answered HTTP 401');
    expect(fake.callsFor(request.idempotencyKey)[0]?.headers['authorization']).toBe(`Bearer ${ENV_CANARY}`);

    const { receipts, history } = await recordsOf(request.idempotencyKey);
    expect(history).toContain('answered HTTP 401');
    // The failure's details (the answer's excerpt) reach the history: the quoted secrets are redacted.
    expect(history).toContain('invalid credentials: [redacted] / [redacted]');
    expectNoCanary(message);
    expectNoCanary(receipts);
    expectNoCanary(history);
    expectNoCanary(workerLog());
  });
});
