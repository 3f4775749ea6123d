import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPrivateKeyFile } from '../../src/demo/demo-keys.js';
import { writePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { loadStaticPolicySource } from '../../src/policy/policy-source.js';
import { hashApiKey } from '../../src/server/authenticate.js';
import type { ActionRequest } from '../../src/request/action-request.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { connectorsTo, openPool, paymentRequest, startTestWorker, testEnv, uniqueId, type RunningWorker } from '../support/harness.js';
import { POLICIES_DIR, REPO_ROOT } from '../support/paths.js';
import { runCli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

const API_KEY = 'agk_cli_test_agent42_0123456789abcdef';

describe('actiongate serve --hash-api-key', () => {
  it('prints the sha256 the configuration stores', async () => {
    const run = await runCli(['serve', '--hash-api-key'], {}, REPO_ROOT, `${API_KEY}\n`);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(hashApiKey(API_KEY));
  });

  it('refuses a key too short to be one', async () => {
    const run = await runCli(['serve', '--hash-api-key'], {}, REPO_ROOT, 'short\n');
    expect(run.code).toBe(2);
  });
});

describe('actiongate serve with a bad configuration', () => {
  it('exits 2 naming the field, before connecting to anything', async () => {
    const dir = await tempDir('actiongate-serve-');
    await writeFile(join(dir, 'api.json'), JSON.stringify({ auth: { apiKeys: [{ principal: 'a', sha256: 'nope' }] }, extra: 1 }));
    const run = await runCli(['serve', '--config', join(dir, 'api.json')], { DATABASE_URL: 'postgres://127.0.0.1:1/none' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/auth.apiKeys.0.sha256: must be 64 lower-case hex digits/);
    expect(run.stderr).toMatch(/extra: unknown field/);
  });

  it('exits 2 without a configuration', async () => {
    const run = await runCli(['serve'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/serve needs --config FILE/);
  });
});

describe('actiongate serve', () => {
  let fake: FakeExternalSystem;
  let worker: RunningWorker;
  const pool = openPool();
  const taskQueue = uniqueId('serve-cli');

  beforeAll(async () => {
    fake = await startFakeExternalSystem();
    const { source } = await loadStaticPolicySource(POLICIES_DIR);
    worker = await startTestWorker({ taskQueue, policies: source, connectors: connectorsTo(fake), pool });
  });

  afterAll(async () => {
    await worker?.stop();
    await pool.end();
    await fake?.close();
  });

  async function configDir(): Promise<string> {
    const dir = await tempDir('actiongate-serve-');
    await writePrivateKeyFile(join(dir, 'gateway.key.json'), demoPrivateKeyFile('actiongate-http'));
    await writeFile(
      join(dir, 'api.json'),
      JSON.stringify({ auth: { apiKeys: [{ principal: 'agent-42', sha256: hashApiKey(API_KEY) }] }, gateway: { id: 'actiongate-http', key: 'gateway.key.json' } }),
    );
    return dir;
  }

  /** `actiongate serve --port 0` as a child process; resolves with the URL it prints. */
  async function startServe(dir: string): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
    const env = testEnv();
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'actiongate.js'), 'serve', '--port', '0'], {
      env: {
        PATH: process.env.PATH,
        TEMPORAL_ADDRESS: env.temporalAddress,
        TEMPORAL_NAMESPACE: env.namespace,
        DATABASE_URL: env.databaseUrl,
        ACTIONGATE_TASK_QUEUE: taskQueue,
        ACTIONGATE_API_CONFIG: join(dir, 'api.json'),
      },
    });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr?.on('data', (chunk) => {
        stderr += chunk;
        const match = /serving the HTTP API on (http:\/\/[^ ]+)/.exec(stderr);
        if (match) resolve(match[1] as string);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    return { url, child, stderr: () => stderr };
  }

  function post(url: string, request: ActionRequest): Promise<Response> {
    return fetch(`${url}/v1/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', 'idempotency-key': request.idempotencyKey, prefer: 'wait=20' },
      body: JSON.stringify(request),
    });
  }

  it('serves the API on the port it prints, gates a request by API key, and stops on SIGTERM', async () => {
    const { url, child, stderr } = await startServe(await configDir());
    try {
      const request = paymentRequest();
      const res = await post(url, request);
      const body = (await res.json()) as { state: string; decision: { outcome: string } };
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({ state: 'completed', decision: { outcome: 'PERMIT' } });
      expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);
      // The line is written once the response has gone out.
      await expect.poll(stderr, { timeout: 5_000 }).toMatch(/serve: POST \/v1\/actions 200 agent-42 \d+ms/);
      expect(stderr()).not.toMatch(/Warning/);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('SIGKILLed while an agent waits for its result: the retry gets the first decision, and the action is carried out once', async () => {
    const dir = await configDir();
    const request = paymentRequest();
    // The external system holds the dispatch for 1.5 s (the connector's timeout is 2 s), so the server
    // is waiting for the result when it dies.
    fake.respondWith((call, n) => ({ status: 200, body: { accepted: true, n }, delayMs: call.idempotencyKey === request.idempotencyKey ? 1_500 : 0 }));
    try {
      const first = await startServe(dir);
      const lost = post(first.url, request).then(() => 'answered', () => 'connection lost');
      await expect.poll(() => fake.callsFor(request.idempotencyKey).length, { timeout: 15_000 }).toBe(1);
      first.child.kill('SIGKILL');
      expect(await lost).toBe('connection lost');
      await once(first.child, 'exit');

      const second = await startServe(dir);
      try {
        const res = await post(second.url, request);
        const body = (await res.json()) as { state: string; decision: { outcome: string; receipts: { decision: string } }; result: { dispatch: { status: string } } };
        expect(res.status, JSON.stringify(body)).toBe(200);
        expect(body.state).toBe('completed');
        expect(body.result.dispatch.status).toBe('succeeded');
        const { rows } = await pool.query('SELECT kind, receipt_id FROM receipts WHERE idempotency_key = $1 ORDER BY seq', [request.idempotencyKey]);
        expect(rows.map((r) => r.kind)).toEqual(['decision', 'outcome']);
        expect(body.decision.receipts.decision).toBe(rows[0]?.receipt_id);
        expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);
      } finally {
        second.child.kill('SIGTERM');
        await once(second.child, 'exit');
      }
    } finally {
      fake.respondWith((_call, n) => ({ status: 200, body: { accepted: true, n } }));
    }
  });
});
