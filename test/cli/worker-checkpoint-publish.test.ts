// The CLI worker with ACTIONGATE_CHECKPOINT_PUBLISH: the checkpoint notes of the receipt log are
// written to the file after each checkpoint, and hold against the export in `actiongate verify`.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/devstack/free-port.js';
import { generatePrivateKeyFile, parsePrivateKeyFile, writePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { eventually, freshDatabase } from '../support/bundles.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { connectTemporal, gateClient, paymentRequest, policiesDispatchingTo, testEnv, uniqueId } from '../support/harness.js';
import { runCli, startCliWorker, stopCliWorker, type CliWorker } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

let worker: CliWorker | undefined;
let fake: FakeExternalSystem | undefined;
let pool: pg.Pool | undefined;

afterAll(async () => {
  await stopCliWorker(worker);
  await fake?.close();
  await pool?.end();
});

describe('when a worker runs with ACTIONGATE_CHECKPOINT_PUBLISH', () => {
  it('writes the log checkpoint note to the file, which verify holds the export against, and reports it in /metrics', async () => {
    fake = await startFakeExternalSystem();
    const env = testEnv();
    const db = await freshDatabase();
    pool = db.pool;
    const dir = await tempDir('worker-publish');
    const file = generatePrivateKeyFile();
    const keyPath = join(dir, 'receipt.key.json');
    await writePrivateKeyFile(keyPath, file);
    const signer = parsePrivateKeyFile(JSON.stringify(file), 'receipt key');
    const keySet = join(dir, 'keyset.json');
    await writeFile(keySet, JSON.stringify({ version: 1, keys: [{ keyId: signer.keyId, publicKey: signer.publicKey, purpose: 'receipt' }] }));
    const notePath = join(dir, 'checkpoint.note');
    const port = await freePort();
    const taskQueue = uniqueId('publish-cli');
    worker = await startCliWorker({
      TEMPORAL_ADDRESS: env.temporalAddress,
      TEMPORAL_NAMESPACE: env.namespace,
      DATABASE_URL: db.url,
      ACTIONGATE_TASK_QUEUE: taskQueue,
      ACTIONGATE_POLICIES: await policiesDispatchingTo(fake),
      ACTIONGATE_RECEIPT_KEY: keyPath,
      ACTIONGATE_LOG_ORIGIN: 'acme.example/actiongate',
      ACTIONGATE_CHECKPOINT_PUBLISH: notePath,
      ACTIONGATE_HTTP_PORT: String(port),
    });
    expect(worker.log()).toContain(`checkpoint notes of acme.example/actiongate published to ${notePath} after each checkpoint`);
    const { client, connection } = await connectTemporal();
    try {
      expect((await gateClient(client, taskQueue).execute(paymentRequest())).dispatch.status).toBe('succeeded');
    } finally {
      await connection.close();
    }
    // The log's first receipt is checkpointed (there was none before it).
    await eventually(async () => (await readFile(notePath, 'utf8').catch(() => '')).startsWith('acme.example/actiongate\n1\n'), 15_000, 'the published note');
    expect(worker.log()).toContain(`published the 1-receipt checkpoint to ${notePath}`);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^actiongate_checkpoint_published_size 1$/m);
    expect(metrics).toMatch(/^actiongate_checkpoint_publish_failures_total 0$/m);

    const exported = await runCli(['receipts', 'export'], { DATABASE_URL: db.url });
    expect(exported.code).toBe(0);
    const exportPath = join(dir, 'export.jsonl');
    await writeFile(exportPath, exported.stdout);
    const verified = await runCli(['verify', '--keys', keySet, '--checkpoint', notePath, exportPath]);
    expect(verified.stdout).toContain('the log verifies');
    expect(verified.code).toBe(0);
  }, 120_000);

  it('refuses to start with a destination it cannot use, or without the receipt key, naming the variable', async () => {
    const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', ACTIONGATE_POLICIES: join(process.cwd(), 'policies') };
    const ftp = await runCli(['worker'], { ...env, ACTIONGATE_RECEIPT_KEY: '/nonexistent.key.json', ACTIONGATE_CHECKPOINT_PUBLISH: 'ftp://audit.example/checkpoint' });
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toContain('ACTIONGATE_CHECKPOINT_PUBLISH: \\"ftp://audit.example/checkpoint\\" is a ftp:// URL; give a file path or an http(s) URL'); // in a JSON log line
    const keyless = await runCli(['worker'], { ...env, ACTIONGATE_CHECKPOINT_PUBLISH: '/tmp/checkpoint.note' });
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toContain('ACTIONGATE_CHECKPOINT_PUBLISH needs ACTIONGATE_RECEIPT_KEY');
  });
});
