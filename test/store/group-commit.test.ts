// Group commit of signed receipts: concurrent appends on one store are written in batches, one
// head-row lock per batch, and the log stays ordered, gapless and verifiable.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isPermanentStoreError } from '../../activities/store-errors.js';
import type { Signer } from '../../src/keys/signer.js';
import type { DecisionReceiptBody } from '../../src/receipt/receipt-body.js';
import { receiptHash, signReceipt, type SignedReceipt } from '../../src/receipt/signed-receipt.js';
import { nobleBackend, verifyLog } from '../../src/receipt/verify/index.js';
import { canonicalJson } from '../../src/request/canonical-json.js';
import { exportReceiptLog } from '../../src/store/receipt-export.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import { signedEnvelopeText } from '../../src/store/signed-batch.js';
import { PgReceiptStore, type AppendResult } from '../../src/store/receipt-store.js';
import { decisionBody } from '../fixtures/decision-body.js';
import { freshDatabase, newSigner } from '../support/bundles.js';
import { uniqueId } from '../support/harness.js';

let signer: Signer;
const databases: Array<{ url: string; pool: pg.Pool }> = [];
const pools: pg.Pool[] = [];

beforeAll(() => {
  signer = newSigner();
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
  await Promise.all(databases.map((db) => db.pool.end().catch(() => undefined)));
});

/** A database of its own: the log starts at seq 1 and nobody else appends to it. */
async function ownDatabase(): Promise<{ url: string; pool: pg.Pool }> {
  const db = await freshDatabase();
  databases.push(db);
  return db;
}

/** Another pool on the same database, as another worker process would have. */
async function otherPool(url: string): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => undefined);
  pools.push(pool);
  return pool;
}

const receiptKeys = () => ({ version: 1 as const, keys: [{ keyId: signer.keyId, publicKey: signer.publicKey, purpose: 'receipt' as const }] });

/** The export, with every checkpoint ever written (the export itself carries only the latest). */
async function exportWithAllCheckpoints(pool: pg.Pool): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of exportReceiptLog(pool)) if (!line.includes('"kind":"checkpoint"')) lines.push(line);
  const { rows } = await pool.query<{ checkpoint_canonical: string }>('SELECT checkpoint_canonical FROM receipt_checkpoints ORDER BY size');
  return [...lines, ...rows.map((r) => r.checkpoint_canonical)];
}

async function envelopeAt(pool: pg.Pool, seq: number): Promise<SignedReceipt> {
  const { rows } = await pool.query<{ envelope_canonical: string }>('SELECT envelope_canonical FROM receipts WHERE log_seq = $1', [seq]);
  return JSON.parse(rows[0]?.envelope_canonical ?? 'null') as SignedReceipt;
}

/** Until the store is idle: a batch just written keeps the queue open one turn of the event loop for its callers' next appends. */
const idle = () => new Promise((resolve) => setTimeout(resolve, 5));

function decision(key: string, overrides: Partial<DecisionReceiptBody> = {}): DecisionReceiptBody {
  return decisionBody(key, overrides);
}

describe('group commit itself', () => {
  /** A writer whose batches finish when the test says so. */
  function controlledWriter() {
    const calls: Array<{ items: readonly number[]; finish: (err?: Error) => void }> = [];
    const write = (items: readonly number[]) =>
      new Promise<number[]>((resolve, reject) => calls.push({ items, finish: (err) => (err ? reject(err) : resolve(items.map((i) => i * 10))) }));
    return { calls, write };
  }

  it('writes a lone submission at once, queues the ones that come while it is in flight, and writes them as the next batch', async () => {
    const { calls, write } = controlledWriter();
    const commits = new GroupCommit(write, { maxBatch: 3, retryAlone: () => true });
    const first = commits.submit(1);
    expect(calls.map((c) => c.items)).toEqual([[1]]); // no waiting: written before submit returned
    const queued = [2, 3, 4, 5].map((i) => commits.submit(i));
    expect(calls).toHaveLength(1);
    calls[0]?.finish();
    expect(await first).toBe(10);
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(calls[1]?.items).toEqual([2, 3, 4]); // at most maxBatch, oldest first
    calls[1]?.finish();
    await vi.waitFor(() => expect(calls).toHaveLength(3));
    expect(calls[2]?.items).toEqual([5]);
    calls[2]?.finish();
    expect(await Promise.all(queued)).toEqual([20, 30, 40, 50]);
    await idle();
    const later = commits.submit(6);
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3, 4], [5], [6]]); // idle again: at once
    calls[3]?.finish();
    expect(await later).toBe(60);
    expect(commits.stats).toMatchObject({ batches: 4, items: 6, largestBatch: 3, retriedAlone: 0 });
  });

  it('fails every item of a failed batch with its error when it is not worth retrying them alone (a lost connection)', async () => {
    const { calls, write } = controlledWriter();
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    const commits = new GroupCommit(write, { maxBatch: 10, retryAlone: (err) => err !== lost });
    const first = commits.submit(1);
    const batch = [2, 3].map((i) => commits.submit(i).catch((err: unknown) => err));
    calls[0]?.finish();
    await first;
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    calls[1]?.finish(lost);
    expect(await Promise.all(batch)).toEqual([lost, lost]);
    expect(calls).toHaveLength(2);
  });
});

describe('the envelope the store writes', () => {
  it('is byte for byte canonicalJson(signReceipt(...)), spliced around the canonical body', () => {
    const bodies = [
      decision('k-1'),
      decision('k-\u00e9\u{1F600}\u2028"\\</script>', { detail: 'line\nbreak \ud800 lone surrogate', outcome: 'SILENCE', reasons: ['z', 'a\u0000b'] }),
      decision('k-3', { policy: { digest: `sha256:${'f'.repeat(64)}`, version: '2026-11-24.1' }, actor: { id: 'agent-\u00fc', type: 'agent', keyId: null } }),
    ];
    let prevHash: ReturnType<typeof receiptHash> | null = null;
    bodies.forEach((body, i) => {
      const expected = signReceipt(body, { seq: i + 1, prevHash }, signer);
      expect(signedEnvelopeText(canonicalJson(body), i + 1, prevHash, signer)).toBe(canonicalJson(expected));
      prevHash = receiptHash(expected);
    });
    expect(() => signedEnvelopeText(canonicalJson(bodies[0]), 2, null, signer)).toThrow();
    expect(() => signedEnvelopeText(canonicalJson(bodies[0]), 1, prevHash, signer)).toThrow();
  });
});

describe('when 50 writers append at once through two stores on separate pools', () => {
  it('writes 1,000 receipts in batches, into one gapless chain whose export and checkpoints verify', async () => {
    const db = await ownDatabase();
    const stores = [new PgReceiptStore(db.pool, { signer, checkpointEvery: 25 }), new PgReceiptStore(await otherPool(db.url), { signer, checkpointEvery: 25 })];
    const total = 1_000;
    const writers = 50;
    let next = 0;
    const results: Array<{ body: DecisionReceiptBody; result: AppendResult }> = [];
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const store = stores[w % 2] as PgReceiptStore;
        for (let i = next++; i < total; i = next++) {
          const body = decision(uniqueId(`gc-${i}`));
          results.push({ body, result: await store.append(body) });
        }
      }),
    );

    expect(results).toHaveLength(total);
    for (const { body, result } of results) {
      expect(result.inserted).toBe(true);
      expect(result.receipt.body).toEqual(body);
    }
    const stats = stores.map((s) => s.groupCommitStats);
    expect(stats.reduce((n, s) => n + s.items, 0)).toBe(total);
    // Batches formed: far fewer transactions than appends, and some of many receipts.
    expect(stats.reduce((n, s) => n + s.batches, 0)).toBeLessThan(total / 2);
    expect(Math.max(...stats.map((s) => s.largestBatch))).toBeGreaterThan(5);

    const verification = verifyLog(await exportWithAllCheckpoints(db.pool), receiptKeys(), nobleBackend);
    expect(verification.problems).toEqual([]);
    expect(verification.ok).toBe(true);
    expect(verification.receipts.map((r) => r.log.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // The first receipt (no checkpoint yet), then exactly every 25th.
    expect(verification.checkpoints.map((c) => c.size)).toEqual([1, ...Array.from({ length: total / 25 }, (_, i) => (i + 1) * 25)]);
    // Each caller got its own receipt, at its own place in the log.
    const bySeq = new Map(verification.receipts.map((r) => [r.log.seq, r.body.idempotencyKey]));
    const { rows } = await db.pool.query<{ log_seq: string; idempotency_key: string; seq: string }>('SELECT log_seq, idempotency_key, seq FROM receipts');
    expect(new Set(rows.map((r) => r.seq))).toEqual(new Set(results.map((r) => r.result.receipt.seq)));
    for (const row of rows) expect(bySeq.get(Number(row.log_seq))).toBe(row.idempotency_key);
  }, 120_000);
});

describe('when another store moved the head since this one last wrote', () => {
  it('writes nothing on the old head: the batch goes again under the head lock, and the chain holds', async () => {
    const db = await ownDatabase();
    const a = new PgReceiptStore(db.pool, { signer });
    const b = new PgReceiptStore(await otherPool(db.url), { signer });
    await a.append(decision(uniqueId('gc-a'))); // seq 1, under the lock (nothing known yet)
    await a.append(decision(uniqueId('gc-a'))); // seq 2, on the head a left
    await b.append(decision(uniqueId('gc-b'))); // seq 3
    const third = await a.append(decision(uniqueId('gc-a'))); // a's head (2) is stale
    expect(third.inserted).toBe(true);
    expect(a.groupCommitStats).toMatchObject({ batches: 3, onKnownHead: 1, underLock: 2 });

    const verification = verifyLog(await exportWithAllCheckpoints(db.pool), receiptKeys(), nobleBackend);
    expect(verification.problems).toEqual([]);
    expect(verification.receipts.map((r) => r.log.seq)).toEqual([1, 2, 3, 4]);
    expect(verification.receipts[3]?.body.idempotencyKey).toBe(third.receipt.body.idempotencyKey);
  });
});

describe('when the same key and kind come twice in one batch', () => {
  it('inserts the first and answers the second with it; a key already stored is answered with the stored receipt', async () => {
    const db = await ownDatabase();
    const store = new PgReceiptStore(db.pool, { signer });
    const stored = await store.append(decision(uniqueId('gc-stored'), { outcome: 'DENY' }));
    const before = store.groupCommitStats.batches;
    const key = uniqueId('gc-twice');
    // On an idle store the first append goes at once, alone; the others queue behind it and go as one batch.
    await idle();
    const [, first, second, again] = await Promise.all([
      store.append(decision(uniqueId('gc-alone'))),
      store.append(decision(key, { outcome: 'PERMIT', reasons: ['payments-agent-limit'] })),
      store.append(decision(key, { outcome: 'DENY' })),
      store.append(decision(stored.receipt.body.idempotencyKey, { outcome: 'PERMIT', reasons: ['payments-agent-limit'] })),
    ]);
    expect(store.groupCommitStats.batches - before).toBe(2);

    expect(first.inserted).toBe(true);
    expect(second.inserted).toBe(false);
    expect(second.receipt).toEqual(first.receipt);
    expect(again.inserted).toBe(false);
    expect(again.receipt).toEqual(stored.receipt);
    expect((await store.findByKey(key)).map((r) => r.body)).toEqual([first.receipt.body]);

    const verification = verifyLog(await exportWithAllCheckpoints(db.pool), receiptKeys(), nobleBackend);
    expect(verification.problems).toEqual([]);
    expect(verification.receipts.map((r) => r.log.seq)).toEqual([1, 2, 3]);
  });
});

describe('when one body of a batch is refused by Postgres', () => {
  it('fails only its own caller, with the error it gets alone; the others commit and the chain has no gap', async () => {
    const db = await ownDatabase();
    const store = new PgReceiptStore(db.pool, { signer });
    const bad = uniqueId('gc-bad');
    const goods = [uniqueId('gc-good'), uniqueId('gc-good')];
    const before = store.groupCommitStats;
    await idle();
    const settled = await Promise.allSettled([
      store.append(decision(uniqueId('gc-alone'))),
      store.append(decision(goods[0] as string)),
      // jsonb refuses \u0000: the body column cannot hold it.
      store.append(decision(bad, { detail: 'nul \u0000 byte' })),
      store.append(decision(goods[1] as string)),
    ]);
    expect(store.groupCommitStats.batches - before.batches).toBe(2);
    expect(store.groupCommitStats.retriedAlone - before.retriedAlone).toBe(3);

    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const error = (settled[2] as PromiseRejectedResult).reason as { code?: string };
    expect(error.code).toBe('22P05');
    expect(isPermanentStoreError(error)).toBe(true);
    for (const s of settled) if (s.status === 'fulfilled') expect(s.value.inserted).toBe(true);
    expect(await store.findByKey(bad)).toEqual([]);

    const verification = verifyLog(await exportWithAllCheckpoints(db.pool), receiptKeys(), nobleBackend);
    expect(verification.problems).toEqual([]);
    expect(verification.receipts.map((r) => r.body.idempotencyKey).slice(1)).toEqual(goods);
  });

  it('fails a body alone with the same error as a batch of one (no batch around it)', async () => {
    const db = await ownDatabase();
    const store = new PgReceiptStore(db.pool, { signer });
    const error = await store.append(decision(uniqueId('gc-bad'), { detail: 'nul \u0000 byte' })).catch((err: unknown) => err);
    expect((error as { code?: string }).code).toBe('22P05');
    expect((await store.append(decision(uniqueId('gc-after')))).receipt.body.kind).toBe('decision');
    const { rows } = await db.pool.query<{ size: string }>('SELECT size FROM receipt_log_head');
    expect(rows[0]?.size).toBe('1');
  });
});

describe('when checkpoints fall due inside a batch', () => {
  it('writes each at its exact seq, with that receipt\'s hash, and they verify', async () => {
    const db = await ownDatabase();
    const store = new PgReceiptStore(db.pool, { signer, checkpointEvery: 3, checkpointAfterMs: 3_600_000 });
    await store.append(decision(uniqueId('gc-cp'))); // seq 1: the first checkpoint
    const before = store.groupCommitStats.batches;
    // seq 2 alone, then seqs 3 to 9 in one batch: checkpoints 3, 6 and 9 inside it.
    await idle();
    await Promise.all(Array.from({ length: 8 }, () => store.append(decision(uniqueId('gc-cp')))));
    expect(store.groupCommitStats.batches - before).toBe(2);

    const { rows } = await db.pool.query<{ size: string; head_hash: string }>('SELECT size, head_hash FROM receipt_checkpoints ORDER BY size');
    expect(rows.map((r) => Number(r.size))).toEqual([1, 3, 6, 9]);
    for (const row of rows) expect(row.head_hash).toBe(receiptHash(await envelopeAt(db.pool, Number(row.size))));

    const verification = verifyLog(await exportWithAllCheckpoints(db.pool), receiptKeys(), nobleBackend);
    expect(verification.problems).toEqual([]);
    expect(verification.checkpoints.map((c) => c.size)).toEqual([1, 3, 6, 9]);
  });

  it('checkpoints by time with the first receipt of a batch after the interval, and by count after it', async () => {
    const db = await ownDatabase();
    const t0 = Date.parse('2026-11-24T10:00:00Z');
    // The store reads the clock once per batch: the instants of the six batches below.
    const instants = [t0, t0 + 1_500, t0 + 2_600, t0 + 3_700, t0 + 3_800, t0 + 5_000];
    const store = new PgReceiptStore(db.pool, { signer, checkpointEvery: 6, checkpointAfterMs: 1_000, now: () => new Date(instants.shift() ?? Number.NaN) });
    await store.append(decision(uniqueId('gc-time'))); // seq 1: the first checkpoint
    await store.append(decision(uniqueId('gc-time'))); // seq 2, 1.5 s later: by time
    // seq 3 alone, 1.1 s later: by time; then 4 to 8 in one batch, 1.1 s later again: by time at 4,
    // its first receipt, and at 6 by count.
    await idle();
    await Promise.all(Array.from({ length: 6 }, () => store.append(decision(uniqueId('gc-time')))));
    // seq 9 alone, 0.1 s later: none; then 10 and 11 in one batch, 1.3 s after the last checkpoint: by time at 10.
    await idle();
    await Promise.all(Array.from({ length: 3 }, () => store.append(decision(uniqueId('gc-time')))));
    expect(store.groupCommitStats.batches).toBe(6);
    expect(instants).toEqual([]);

    const { rows } = await db.pool.query<{ size: string }>('SELECT size FROM receipt_checkpoints ORDER BY size');
    expect(rows.map((r) => Number(r.size))).toEqual([1, 2, 3, 4, 6, 10]);
    const verification = verifyLog(await exportWithAllCheckpoints(db.pool), receiptKeys(), nobleBackend);
    expect(verification.problems).toEqual([]);
    expect(verification.checkpoints.map((c) => c.size)).toEqual([1, 2, 3, 4, 6, 10]);
  });
});
