// The receipt log's Merkle tree stored in Postgres (integrated behind the chain), and the
// publication of its checkpoints to a file or URL after each one, with SIGKILLs at named points.
import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKeyFile, parsePrivateKeyFile } from '../../src/keys/private-key-file.js';
import type { Signer } from '../../src/keys/signer.js';
import { consistencyProof, inclusionProof, rootFromLeafHashes, verifyConsistency, verifyInclusion } from '../../src/receipt/merkle/index.js';
import { parseCheckpoint, splitNote } from '../../src/receipt/note/index.js';
import type { SignedReceipt } from '../../src/receipt/signed-receipt.js';
import { checkTrustedCheckpoint } from '../../src/receipt/verify/trusted-checkpoint.js';
import { parseCheckpointDestination } from '../../src/store/checkpoint-destination.js';
import { CheckpointPublisher } from '../../src/store/checkpoint-publisher.js';
import { exportReceiptLog } from '../../src/store/receipt-export.js';
import { PgReceiptStore } from '../../src/store/receipt-store.js';
import {
  integrateReceiptTree,
  receiptConsistencyProof,
  receiptInclusionProof,
  receiptLogTree,
  receiptTreeRoot,
  receiptTreeSize,
} from '../../src/store/receipt-tree.js';
import { decisionBody } from '../fixtures/decision-body.js';
import { eventually, freshDatabase } from '../support/bundles.js';
import { uniqueId } from '../support/harness.js';
import { tempDir } from '../support/temp-dir.js';
import type { TreeFaultConfig } from './tree-fault-process.js';

const FAULT_PROCESS = fileURLToPath(new URL('./tree-fault-process.ts', import.meta.url));
const keyFile = generatePrivateKeyFile();
const keyText = JSON.stringify(keyFile);
const signer: Signer = parsePrivateKeyFile(keyText, 'receipt key');
const keys = { version: 1 as const, keys: [{ keyId: signer.keyId, publicKey: signer.publicKey, purpose: 'receipt' as const }] };
const ORIGIN = 'test.example/receipts';
const databases: Array<{ url: string; pool: pg.Pool }> = [];

afterAll(async () => {
  await Promise.all(databases.map((db) => db.pool.end().catch(() => undefined)));
});

async function ownDatabase(): Promise<{ url: string; pool: pg.Pool }> {
  const db = await freshDatabase();
  databases.push(db);
  return db;
}

/** `count` signed receipts appended by `writers` concurrent appenders, a checkpoint every `every`. */
async function appendReceipts(store: PgReceiptStore, count: number, writers = 8): Promise<void> {
  const prefix = uniqueId('tree');
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < count) {
        const i = next++;
        await store.append(decisionBody(`${prefix}-${i}`));
      }
    }),
  );
}

async function exportedReceipts(pool: pg.Pool): Promise<SignedReceipt[]> {
  const receipts: SignedReceipt[] = [];
  for await (const line of exportReceiptLog(pool)) {
    const entry = JSON.parse(line) as { kind?: string };
    if (entry.kind !== 'checkpoint') receipts.push(entry as SignedReceipt);
  }
  return receipts;
}

async function nodeCount(pool: pg.Pool): Promise<number> {
  return Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM receipt_tree_nodes')).rows[0]?.n);
}

/** Runs tree-fault-process.ts until it reports a fault point (then SIGKILLs it) or ends. */
async function runUntilFault(config: TreeFaultConfig): Promise<{ fault?: string; done?: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FAULT_PROCESS], {
    env: { ...process.env, TREE_FAULT_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const fault = /^FAULT-POINT (\S+ \S+)$/m.exec(stdout)?.[1];
      if (fault) {
        child.kill('SIGKILL');
        resolve({ fault, stderr });
      }
    });
    child.on('error', reject);
    child.on('exit', () => resolve({ done: /^DONE (.*)$/m.exec(stdout)?.[1], stderr }));
  });
}

describe('the stored Merkle tree', () => {
  let db: { url: string; pool: pg.Pool };
  let store: PgReceiptStore;

  beforeAll(async () => {
    db = await ownDatabase();
    store = new PgReceiptStore(db.pool, { signer, checkpointEvery: 50 });
  });

  it('integrated behind concurrent appends and concurrent integrators, holds exactly the tree of the whole log', async () => {
    expect(await integrateReceiptTree(db.pool)).toBe(0);
    const appending = appendReceipts(store, 2_345);
    const integrators: Array<Promise<number>> = [];
    while (integrators.length < 12) {
      integrators.push(integrateReceiptTree(db.pool));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await appending;
    await Promise.all(integrators);
    const size = await integrateReceiptTree(db.pool);
    expect(size).toBe(2_345);
    const { tree } = await receiptLogTree(db.pool);
    expect(await receiptTreeRoot(db.pool, size)).toEqual(tree.root());
    // Every perfect subtree once: 2n − popcount(n) nodes.
    expect(await nodeCount(db.pool)).toBe(2 * 2_345 - (2_345).toString(2).replaceAll('0', '').length);
  });

  it('gives the roots, inclusion and consistency proofs the leaves give, and they verify', async () => {
    const { tree, leaves } = await receiptLogTree(db.pool, { keepLeaves: true });
    const size = tree.size;
    for (const at of [1, 2, 3, 64, 1_000, 2_047, 2_048, 2_049, size]) {
      expect(await receiptTreeRoot(db.pool, at)).toEqual(rootFromLeafHashes(leaves.slice(0, at)));
    }
    const root = tree.root();
    for (const index of [0, 1, 777, 2_047, 2_048, size - 1]) {
      const proof = await receiptInclusionProof(db.pool, index, size);
      expect(proof).toEqual(inclusionProof(index, size, leaves));
      expect(verifyInclusion(leaves[index] as Uint8Array, index, size, proof, root)).toBe(true);
    }
    for (const old of [1, 50, 1_024, 2_000, size]) {
      const proof = await receiptConsistencyProof(db.pool, old, size);
      expect(proof).toEqual(consistencyProof(old, size, leaves));
      expect(verifyConsistency(old, size, rootFromLeafHashes(leaves.slice(0, old)), root, proof)).toBe(true);
    }
  });

  it('refuses sizes it does not hold, naming them', async () => {
    const size = await receiptTreeSize(db.pool);
    await expect(receiptTreeRoot(db.pool, size + 1)).rejects.toThrow(`a root needs a tree size from 1 to the ${size} receipts integrated, not ${size + 1}`);
    await expect(receiptInclusionProof(db.pool, 0, 0)).rejects.toThrow(/not 0/);
  });

  it('is append-only: its nodes cannot be changed or removed, its head only moves forward', async () => {
    await expect(db.pool.query("UPDATE receipt_tree_nodes SET hash = '\\x00'::bytea WHERE level = 0 AND idx = 0")).rejects.toThrow(/append-only/);
    await expect(db.pool.query('DELETE FROM receipt_tree_nodes WHERE level = 0')).rejects.toThrow(/append-only/);
    await expect(db.pool.query('UPDATE receipt_tree_head SET size = 1')).rejects.toThrow(/only grows/);
    await expect(db.pool.query('TRUNCATE receipt_tree_nodes')).rejects.toThrow(/append-only/);
  });

  it('stops at a gap below the log head, naming the missing receipt, and integrates nothing past it', async () => {
    const gap = await ownDatabase();
    await appendReceipts(new PgReceiptStore(gap.pool, { signer }), 12, 1);
    await gap.pool.query('ALTER TABLE receipts DISABLE TRIGGER receipts_no_update_delete');
    await gap.pool.query('DELETE FROM receipts WHERE log_seq = 7');
    await expect(integrateReceiptTree(gap.pool)).rejects.toThrow('receipt 7 is missing below its head 12');
    expect(await receiptTreeSize(gap.pool)).toBe(0);
    expect(await nodeCount(gap.pool)).toBe(0);
  });

  it('a head moved past its nodes, or a node written ahead of the integrator (a hand in the database), stops integration with an error', async () => {
    const ahead = await ownDatabase();
    await appendReceipts(new PgReceiptStore(ahead.pool, { signer }), 10, 1);
    await ahead.pool.query("INSERT INTO receipt_tree_nodes (level, idx, hash) VALUES (0, 3, sha256('x'))");
    await expect(integrateReceiptTree(ahead.pool)).rejects.toThrow(/duplicate key/);
    expect(await receiptTreeSize(ahead.pool)).toBe(0);
    const moved = await ownDatabase();
    await appendReceipts(new PgReceiptStore(moved.pool, { signer }), 10, 1);
    await moved.pool.query('UPDATE receipt_tree_head SET size = 5');
    await expect(integrateReceiptTree(moved.pool)).rejects.toThrow('the stored Merkle tree has no node 2/0: receipt_tree_nodes is incomplete');
    await expect(receiptTreeRoot(moved.pool, 5)).rejects.toThrow(/has no node/);
  });

  it('SIGKILLed before a batch COMMIT: nothing of the batch is stored, and the next run integrates it', async () => {
    const crash = await ownDatabase();
    await appendReceipts(new PgReceiptStore(crash.pool, { signer }), 300);
    const killed = await runUntilFault({ databaseUrl: crash.url, mode: 'integrate', faultPoints: ['tree.before-commit'] });
    expect(killed.fault).toBe('tree.before-commit 300');
    await eventually(async () => (await crash.pool.query("SELECT 1 FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND datname = current_database()")).rowCount === 0, 10_000, 'the killed session ends');
    expect(await receiptTreeSize(crash.pool)).toBe(0);
    expect(await nodeCount(crash.pool)).toBe(0);
    const again = await runUntilFault({ databaseUrl: crash.url, mode: 'integrate', faultPoints: [] });
    expect(again.done).toBe('300');
    expect(await receiptTreeRoot(crash.pool, 300)).toEqual((await receiptLogTree(crash.pool)).tree.root());
  });
});

describe('publishing checkpoints', () => {
  it('after each checkpoint the store commits, the note of the latest one is in the file, and the export checks against it', async () => {
    const db = await ownDatabase();
    const dir = await tempDir('publish');
    const path = join(dir, 'checkpoint.note');
    const publisher = new CheckpointPublisher({ pool: db.pool, signer, origin: ORIGIN, destination: parseCheckpointDestination(path) });
    const store = new PgReceiptStore(db.pool, { signer, checkpointEvery: 40, onCheckpoint: () => publisher.notify() });
    await appendReceipts(store, 39, 1);
    await publisher.idle();
    // The log's first receipt is checkpointed (none before it), the next at 40.
    expect(parseCheckpoint(splitNote(await readFile(path, 'utf8')).text).size).toBe(1);
    await appendReceipts(store, 1, 1);
    await eventually(async () => (await readFile(path, 'utf8').catch(() => '')).includes('\n40\n'), 10_000, 'the 40-receipt note');
    await appendReceipts(store, 100, 4);
    await publisher.idle();
    await eventually(async () => (await readFile(path, 'utf8').catch(() => '')).includes('\n120\n'), 10_000, 'the 120-receipt note');
    const note = await readFile(path, 'utf8');
    const checkpoint = parseCheckpoint(splitNote(note).text);
    expect(checkpoint).toMatchObject({ origin: ORIGIN, size: 120 });
    expect(checkTrustedCheckpoint(await exportedReceipts(db.pool), note, keys).problems).toEqual([]);
    const { rows } = await db.pool.query('SELECT size, note FROM receipt_checkpoint_publications WHERE destination = $1', [path]);
    expect(rows).toEqual([{ size: '120', note }]);
    // Another worker's publisher on the same destination has nothing to do.
    const other = new CheckpointPublisher({ pool: db.pool, signer, origin: ORIGIN, destination: parseCheckpointDestination(path) });
    expect(await other.publishOnce()).toEqual({ published: false, size: 120, why: 'already published' });
    await publisher.close();
  });

  it('PUTs the note to a URL as text/plain; a redirect or an error status fails the round, which is retried until it lands', async () => {
    const db = await ownDatabase();
    await appendReceipts(new PgReceiptStore(db.pool, { signer, checkpointEvery: 10 }), 25, 1);
    const got: Array<{ method?: string; url?: string; type?: string; body: string }> = [];
    const answers = [302, 500, 204];
    const server: Server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        got.push({ method: req.method, url: req.url, type: req.headers['content-type'], body });
        const status = answers.shift() ?? 204;
        res.writeHead(status, status === 302 ? { location: '/elsewhere' } : {});
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/log/checkpoint`;
    let failures = 0;
    const publisher = new CheckpointPublisher({
      pool: db.pool,
      signer,
      origin: ORIGIN,
      destination: parseCheckpointDestination(url),
      retryMs: 20,
      metrics: { checkpointPublished: () => undefined, checkpointPublishFailed: () => void failures++ },
    });
    try {
      publisher.notify();
      await eventually(async () => (await db.pool.query("SELECT 1 FROM receipt_checkpoint_publications WHERE size = 20")).rowCount === 1, 10_000, 'the note recorded as published');
      expect(failures).toBe(2);
      expect(got.map((r) => r.url)).toEqual(['/log/checkpoint', '/log/checkpoint', '/log/checkpoint']); // the redirect was not followed
      expect(got.every((r) => r.method === 'PUT' && r.type === 'text/plain; charset=utf-8')).toBe(true);
      expect(parseCheckpoint(splitNote(got[2]?.body ?? '').text).size).toBe(20);
    } finally {
      await publisher.close();
      server.close();
    }
  });

  it('coalesces checkpoints that land within minIntervalMs into one note of the latest, and publishes an owed one at close', async () => {
    const db = await ownDatabase();
    const dir = await tempDir('publish-coalesce');
    const path = join(dir, 'checkpoint.note');
    const sizes: number[] = [];
    const publisher = new CheckpointPublisher({
      pool: db.pool,
      signer,
      origin: ORIGIN,
      destination: parseCheckpointDestination(path),
      minIntervalMs: 60_000,
      metrics: { checkpointPublished: (size) => void sizes.push(size), checkpointPublishFailed: () => undefined },
    });
    const store = new PgReceiptStore(db.pool, { signer, checkpointEvery: 5, onCheckpoint: () => publisher.notify() });
    await appendReceipts(store, 200, 4); // 40 checkpoints, in well under a minute
    await publisher.close(); // ends the minute's wait: the owed round runs now
    const published = sizes.filter((size, i) => size !== sizes[i - 1]);
    expect(published.length).toBeLessThanOrEqual(3); // the first checkpoint's round, perhaps one started before the rest landed, and the owed one
    expect(published.at(-1)).toBe(200);
    expect(parseCheckpoint(splitNote(await readFile(path, 'utf8')).text).size).toBe(200);
  });

  it('a publication record past the log (a hand in the database) fails the round loudly instead of reading as published', async () => {
    const db = await ownDatabase();
    await appendReceipts(new PgReceiptStore(db.pool, { signer, checkpointEvery: 10 }), 25, 1);
    const path = join(await tempDir('publish-forged'), 'checkpoint.note');
    await db.pool.query('INSERT INTO receipt_checkpoint_publications (destination, size) VALUES ($1, 1000000)', [path]);
    const publisher = new CheckpointPublisher({ pool: db.pool, signer, origin: ORIGIN, destination: parseCheckpointDestination(path) });
    await expect(publisher.publishOnce()).rejects.toThrow(`receipt_checkpoint_publications says ${path} holds a 1000000-receipt checkpoint, but the log's latest checkpoint is 20`);
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it('refuses to sign a tree that does not extend the note it last published (a node changed in the database), and keeps the old note out', async () => {
    const db = await ownDatabase();
    const store = new PgReceiptStore(db.pool, { signer, checkpointEvery: 10 });
    await appendReceipts(store, 35, 1);
    const path = join(await tempDir('publish-fork'), 'checkpoint.note');
    const publisher = new CheckpointPublisher({ pool: db.pool, signer, origin: ORIGIN, destination: parseCheckpointDestination(path) });
    expect(await publisher.publishOnce()).toMatchObject({ published: true, size: 30 });
    const published = await readFile(path, 'utf8');
    await appendReceipts(store, 10, 1);
    await integrateReceiptTree(db.pool);
    // Receipts 1..32's subtree, which the root of 40 reads, rewritten by the database's owner.
    await db.pool.query('ALTER TABLE receipt_tree_nodes DISABLE TRIGGER receipt_tree_nodes_no_update_delete');
    await db.pool.query("UPDATE receipt_tree_nodes SET hash = sha256('forged') WHERE level = 5 AND idx = 0");
    await expect(publisher.publishOnce()).rejects.toThrow(`the stored Merkle tree at 40 receipts does not extend the 30-receipt checkpoint published to ${path}: refusing to sign a fork`);
    expect(await readFile(path, 'utf8')).toBe(published);
  });

  it('SIGKILLed before the note is written: nothing is recorded, and the next round publishes it', async () => {
    const db = await ownDatabase();
    await appendReceipts(new PgReceiptStore(db.pool, { signer, checkpointEvery: 10 }), 35, 1);
    const path = join(await tempDir('publish-crash'), 'checkpoint.note');
    const config = { databaseUrl: db.url, mode: 'publish' as const, receiptKey: keyText, origin: ORIGIN, destination: path };
    expect((await runUntilFault({ ...config, faultPoints: ['publish.before-write'] })).fault).toBe('publish.before-write 30');
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
    const done = await runUntilFault({ ...config, faultPoints: [] });
    expect(JSON.parse(done.done ?? 'null')).toMatchObject({ published: true, size: 30 });
    expect(parseCheckpoint(splitNote(await readFile(path, 'utf8')).text).size).toBe(30);
  });

  it('SIGKILLed after the note is written, before it is recorded: the next round publishes the same bytes again, then has nothing to do', async () => {
    const db = await ownDatabase();
    await appendReceipts(new PgReceiptStore(db.pool, { signer, checkpointEvery: 10 }), 35, 1);
    const path = join(await tempDir('publish-crash'), 'checkpoint.note');
    const config = { databaseUrl: db.url, mode: 'publish' as const, receiptKey: keyText, origin: ORIGIN, destination: path };
    expect((await runUntilFault({ ...config, faultPoints: ['publish.after-write'] })).fault).toBe('publish.after-write 30');
    const written = await readFile(path, 'utf8');
    await writeFile(path, 'overwritten by someone\n');
    expect((await db.pool.query('SELECT size FROM receipt_checkpoint_publications WHERE size > 0')).rowCount).toBe(0);
    const again = JSON.parse((await runUntilFault({ ...config, faultPoints: [] })).done ?? 'null') as { published: boolean; note: string };
    expect(again).toMatchObject({ published: true, size: 30 });
    expect(await readFile(path, 'utf8')).toBe(written);
    expect(JSON.parse((await runUntilFault({ ...config, faultPoints: [] })).done ?? 'null')).toEqual({ published: false, size: 30, why: 'already published' });
  });
});
