// The signed, hash-chained receipt log under concurrency, checked by the independent verifier.
import type { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Signer } from '../../src/keys/signer.js';
import { loadStaticPolicySource } from '../../src/policy/policy-source.js';
import { nobleBackend, verifyLog } from '../../src/receipt/verify/index.js';
import { exportReceiptLog } from '../../src/store/receipt-export.js';
import { PgReceiptStore } from '../../src/store/receipt-store.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { freshDatabase, newSigner } from '../support/bundles.js';
import { connectTemporal, connectorsTo, gateClient, paymentRequest, startTestWorker, uniqueId, type RunningWorker } from '../support/harness.js';
import { POLICIES_DIR } from '../support/paths.js';
import { runCli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';
import { decisionBody } from '../fixtures/decision-body.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

let db: { url: string; pool: pg.Pool };
let fake: FakeExternalSystem;
let client: Client;
let connection: Connection;
let signer: Signer;
let worker: RunningWorker;
let taskQueue: string;

const receiptKeys = () => ({ version: 1 as const, keys: [{ keyId: signer.keyId, publicKey: signer.publicKey, purpose: 'receipt' as const }] });

async function exported(): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of exportReceiptLog(db.pool)) lines.push(line);
  return lines;
}

beforeAll(async () => {
  db = await freshDatabase();
  fake = await startFakeExternalSystem();
  ({ client, connection } = await connectTemporal());
  signer = newSigner();
  const { source } = await loadStaticPolicySource(POLICIES_DIR);
  taskQueue = uniqueId('chain');
  worker = await startTestWorker({
    taskQueue,
    policies: source,
    connectors: connectorsTo(fake),
    store: new PgReceiptStore(db.pool, { signer, checkpointEvery: 25 }),
  });
});

afterAll(async () => {
  await worker?.stop();
  await connection?.close();
  await db?.pool.end();
  await fake?.close();
});

describe('when 50 actions run at once', () => {
  it('appends 100 signed receipts in one unforked, gapless chain that the verifier accepts', async () => {
    const requests = Array.from({ length: 50 }, (_, i) => paymentRequest({ context: { amount: i % 2 === 0 ? 12_000 : 60_000, currency: 'EUR' } }));
    const results = await Promise.all(requests.map((r) => gateClient(client, taskQueue).execute(r)));
    expect(results.filter((r) => r.outcome === 'PERMIT')).toHaveLength(25);

    const lines = await exported();
    const verification = verifyLog(lines, receiptKeys(), nobleBackend);
    expect(verification.problems).toEqual([]);
    expect(verification.ok).toBe(true);
    expect(verification.receipts.map((r) => r.log.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(verification.checkpoints.map((c) => c.size)).toEqual([100]);
  }, 120_000);

  it('detects a line removed from the export, by its sequence number', async () => {
    const lines = await exported();
    const cut = [...lines.slice(0, 9), ...lines.slice(10)];
    const verification = verifyLog(cut, receiptKeys(), nobleBackend);
    expect(verification.ok).toBe(false);
    expect(verification.problems.map((p) => [p.code, p.seq])).toContainEqual(['GAP', 10]);
  });

  it('signs refusals like permits: an unknown surface\'s SILENCE is in the verified log', async () => {
    const request = paymentRequest({ surface: 'crypto-trades' });
    expect((await gateClient(client, taskQueue).execute(request)).outcome).toBe('SILENCE');
    const verification = verifyLog(await exported(), receiptKeys(), nobleBackend);
    expect(verification.problems).toEqual([]);
    const mine = verification.receipts.filter((r) => r.body.idempotencyKey === request.idempotencyKey);
    expect(mine.map((r) => (r.body.kind === 'outcome' ? r.body.dispatch.status : r.body.outcome))).toEqual(['SILENCE', 'skipped']);
  });

  it('narrows an export by surface', async () => {
    const lines: string[] = [];
    for await (const line of exportReceiptLog(db.pool, { surface: 'crypto-trades' })) lines.push(line);
    const receipts = lines.filter((l) => l.includes('"body"')).map((l) => JSON.parse(l) as { body: { surface: string } });
    expect(receipts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(receipts.map((r) => r.body.surface))).toEqual(new Set(['crypto-trades']));
  });

  it('does not spend a sequence number on a repeated write of the same key and kind', async () => {
    const before = (await exported()).length;
    const request = paymentRequest();
    await gateClient(client, taskQueue).execute(request);
    await gateClient(client, taskQueue).execute(request);
    const lines = await exported();
    expect(lines.length - before).toBe(2);
    expect(verifyLog(lines, receiptKeys(), nobleBackend).problems).toEqual([]);
  });
});

describe('when an auditor exports the log and verifies it with the public keys only', () => {
  it('actiongate receipts export | actiongate verify exits 0, and receipts show prints a key\'s envelopes', async () => {
    const dir = await tempDir('actiongate-audit-');
    const keysFile = join(dir, 'receipt-keyset.json');
    await writeFile(keysFile, JSON.stringify(receiptKeys()));
    const exportRun = await runCli(['receipts', 'export'], { DATABASE_URL: db.url });
    expect(exportRun.code).toBe(0);
    expect(exportRun.stdout.trim().split('\n').length).toBe((await exported()).length);
    const verify = await runCli(['verify', '--keys', keysFile, '-'], {}, undefined, exportRun.stdout);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('the log verifies');

    const request = paymentRequest();
    await gateClient(client, taskQueue).execute(request);
    const show = await runCli(['receipts', 'show', request.idempotencyKey], { DATABASE_URL: db.url });
    expect(show.code).toBe(0);
    const envelopes = show.stdout.trim().split('\n').map((l) => JSON.parse(l) as { body: { kind: string }; keyId: string });
    expect(envelopes.map((e) => [e.body.kind, e.keyId])).toEqual([
      ['decision', signer.keyId],
      ['outcome', signer.keyId],
    ]);
  });
});

describe('when receipts arrive slowly', () => {
  it('also checkpoints by time: with the first receipt after the interval since the last checkpoint', async () => {
    const own = await freshDatabase();
    try {
      let now = Date.parse('2026-11-24T10:00:00Z');
      const store = new PgReceiptStore(own.pool, { signer, checkpointEvery: 1_000, checkpointAfterMs: 1_000, now: () => new Date(now) });
      const bodyFor = (key: string) => decisionBody(key, { issuedAt: new Date(now).toISOString() });
      await store.append(bodyFor(uniqueId('slow')));
      now += 500;
      await store.append(bodyFor(uniqueId('slow')));
      now += 1_100;
      await store.append(bodyFor(uniqueId('slow')));
      const { rows } = await own.pool.query<{ size: string }>('SELECT size FROM receipt_checkpoints ORDER BY size');
      expect(rows.map((r) => Number(r.size))).toEqual([1, 3]);
    } finally {
      await own.pool.end();
    }
  });
});
