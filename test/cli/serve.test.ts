import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPrivateKeyFile } from '../../src/demo/demo-keys.js';
import { writePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { loadStaticPolicySource } from '../../src/policy/policy-source.js';
import { hashApiKey } from '../../src/server/authenticate.js';
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

  it('serves the API on the port it prints, gates a request by API key, and stops on SIGTERM', async () => {
    const dir = await tempDir('actiongate-serve-');
    await writePrivateKeyFile(join(dir, 'gateway.key.json'), demoPrivateKeyFile('actiongate-http'));
    await writeFile(
      join(dir, 'api.json'),
      JSON.stringify({ auth: { apiKeys: [{ principal: 'agent-42', sha256: hashApiKey(API_KEY) }] }, gateway: { id: 'actiongate-http', key: 'gateway.key.json' } }),
    );
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
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        const match = /serving the HTTP API on (http:\/\/[^ ]+)/.exec(stderr);
        if (match) resolve(match[1] as string);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    try {
      const request = paymentRequest();
      const res = await fetch(`${url}/v1/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', 'idempotency-key': request.idempotencyKey, prefer: 'wait=20' },
        body: JSON.stringify(request),
      });
      const body = (await res.json()) as { state: string; decision: { outcome: string } };
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({ state: 'completed', decision: { outcome: 'PERMIT' } });
      expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);
      // The line is written once the response has gone out.
      await expect.poll(() => stderr, { timeout: 5_000 }).toMatch(/serve: POST \/v1\/actions 200 agent-42 \d+ms/);
      expect(stderr).not.toMatch(/Warning/);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
