// The worker's /healthz and /readyz (ACTIONGATE_HTTP_PORT; the compose file's health check), and a
// worker whose policy folder is missing stopping at once.
import { mkdtemp, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/devstack/free-port.js';
import { generatePrivateKeyFile, writePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { testEnv, uniqueId } from '../support/harness.js';
import { POLICIES_DIR } from '../support/paths.js';
import { runCli, startCliWorker, type CliWorker } from '../support/run-cli.js';

const workers: CliWorker[] = [];

afterAll(async () => {
  for (const worker of workers) {
    if (worker.process.exitCode === null && worker.process.signalCode === null) {
      const exited = new Promise((resolve) => worker.process.once('exit', resolve));
      worker.process.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (worker.process.exitCode === null) worker.process.kill('SIGKILL');
    }
  }
});

async function worker(policies: string, extra: NodeJS.ProcessEnv = {}): Promise<{ port: number }> {
  const env = testEnv();
  const port = await freePort();
  workers.push(
    await startCliWorker({
      TEMPORAL_ADDRESS: env.temporalAddress,
      TEMPORAL_NAMESPACE: env.namespace,
      DATABASE_URL: env.databaseUrl,
      ACTIONGATE_TASK_QUEUE: uniqueId('health'),
      ACTIONGATE_POLICIES: policies,
      ACTIONGATE_HTTP_PORT: String(port),
      ...extra,
    }),
  );
  return { port };
}

describe('when a worker runs with ACTIONGATE_HTTP_PORT', () => {
  it('answers /healthz, and /readyz 200 with every check passing', async () => {
    const { port } = await worker(POLICIES_DIR);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { worker: true, postgres: true, policies: true } });
    expect((await fetch(`http://127.0.0.1:${port}/metrics-or-anything`)).status).toBe(404);
  }, 120_000);

  it('reports the receipt key in /readyz when it signs receipts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'actiongate-receipt-key-'));
    await writePrivateKeyFile(join(dir, 'receipt.key.json'), generatePrivateKeyFile());
    const { port } = await worker(POLICIES_DIR, { ACTIONGATE_RECEIPT_KEY: join(dir, 'receipt.key.json') });
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { worker: true, postgres: true, policies: true, receiptKey: true } });
  }, 120_000);

  it('answers /readyz 503 naming the policies when they do not load', async () => {
    const broken = await mkdtemp(join(tmpdir(), 'actiongate-broken-policies-'));
    await cp(POLICIES_DIR, broken, { recursive: true });
    await writeFile(join(broken, 'surfaces.json'), '{ not json');
    const { port } = await worker(broken);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false, checks: { worker: true, postgres: true, policies: false } });
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  }, 120_000);
});

describe('when the worker is misconfigured', () => {
  it('stops at once when the policy folder does not exist, naming it', async () => {
    const ran = await runCli(['worker'], { ACTIONGATE_POLICIES: '/nonexistent/polices', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('ACTIONGATE_POLICIES: /nonexistent/polices is not a directory');
  });

  it('stops at once on an ACTIONGATE_HTTP_PORT that is not a port', async () => {
    const ran = await runCli(['worker'], { ACTIONGATE_HTTP_PORT: 'eighty', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('ACTIONGATE_HTTP_PORT must be a port number');
  });
});
