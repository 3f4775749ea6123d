// Every client the store holds (a transaction, the migration lock, an activation, a listener) can
// lose its backend: the operation fails, the process does not (an unhandled 'error' event would
// end this test process), and the pool goes on with fresh connections.
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTIVATION_LOCK_ID, PgBundleStore } from '../../src/store/bundle-store.js';
import { isConnectionError } from '../../src/store/connection-error.js';
import { migrate } from '../../src/store/migrate.js';
import { pgListenerFactory } from '../../src/store/pg-listener.js';
import { withPooledClient } from '../../src/store/pooled-client.js';
import { PgReceiptStore } from '../../src/store/receipt-store.js';
import { decisionBody } from '../fixtures/decision-body.js';
import { freshDatabase, newSigner } from '../support/bundles.js';
import { uniqueId } from '../support/harness.js';

const MIGRATION_LOCK_ID = 0x4147_4154; // src/store/migrate.ts

let db: { url: string; pool: pg.Pool };
const pools: pg.Pool[] = [];

beforeAll(async () => {
  db = await freshDatabase();
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.end().catch(() => undefined)));
});

afterAll(async () => {
  await db?.pool.end();
});

/** A pool whose backends carry their own application_name, so the test can terminate exactly them. */
function namedPool(): { pool: pg.Pool; name: string } {
  const name = uniqueId('conn-loss');
  const pool = new pg.Pool({ connectionString: db.url, application_name: name, max: 4 });
  pool.on('error', () => undefined);
  pools.push(pool);
  return { pool, name };
}

async function terminate(name: string): Promise<number> {
  const { rows } = await db.pool.query<{ ok: boolean }>(
    `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
    [name],
  );
  return rows.filter((r) => r.ok).length;
}

/** Waits until a backend of `name` waits on a lock (the operation is then held mid-way). */
async function waitingOnLock(name: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
    const { rows } = await db.pool.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [name]);
    if (rows.length > 0) return;
  }
  throw new Error(`no backend of ${name} waited on a lock`);
}

/** Holds a lock in a transaction of its own until `release` is called. */
async function holding(lockSql: string, params: unknown[]): Promise<{ release(): Promise<void> }> {
  const holder = await db.pool.connect();
  await holder.query('BEGIN');
  await holder.query(lockSql, params);
  return {
    async release() {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    },
  };
}

describe('when a held client loses its backend between two queries', () => {
  it('fails the work with a connection error, discards the client, and the pool goes on', async () => {
    const { pool, name } = namedPool();
    const failed = await withPooledClient(pool, async (client) => {
      await client.query('BEGIN');
      // Listen first: under load the client may end before terminate() returns.
      const ended = new Promise((r) => client.once('end', r));
      expect(await terminate(name)).toBe(1);
      // The termination reaches the idle client with no query in flight: an 'error' event only.
      await ended;
      await client.query('SELECT 1');
    }).catch((err: unknown) => err);
    expect(isConnectionError(failed)).toBe(true);
    expect(pool.totalCount).toBe(0);
    expect((await withPooledClient(pool, (client) => client.query<{ one: number }>('SELECT 1 AS one'))).rows[0]?.one).toBe(1);
  });
});

describe('when a signed append loses its connection inside its transaction', () => {
  it('fails, leaves no gap in the log, and the next append continues the chain', async () => {
    const { pool, name } = namedPool();
    const store = new PgReceiptStore(pool, { signer: newSigner() });
    await store.append(decisionBody(uniqueId('before')));
    const lock = await holding('SELECT 1 FROM receipt_log_head WHERE id = 1 FOR UPDATE', []);
    const key = uniqueId('cut');
    const appending = store.append(decisionBody(key)).catch((err: unknown) => err);
    try {
      await waitingOnLock(name);
      expect(await terminate(name)).toBe(1);
      expect(isConnectionError(await appending)).toBe(true);
    } finally {
      await lock.release();
    }
    expect(await store.findByKey(key)).toEqual([]);
    const retried = await store.append(decisionBody(key));
    expect(retried.inserted).toBe(true);
    const { rows } = await db.pool.query<{ log_seq: string }>('SELECT log_seq FROM receipts WHERE log_seq IS NOT NULL ORDER BY log_seq');
    expect(rows.map((r) => Number(r.log_seq))).toEqual(rows.map((_, i) => i + 1));
  });
});

describe('when migrate loses its connection while it waits for the migration lock', () => {
  it('fails with a connection error, and migrates once the connection is back', async () => {
    const { pool, name } = namedPool();
    const lock = await holding('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
    const migrating = migrate(pool).catch((err: unknown) => err);
    try {
      await waitingOnLock(name);
      expect(await terminate(name)).toBe(1);
      expect(isConnectionError(await migrating)).toBe(true);
    } finally {
      await lock.release();
    }
    expect((await migrate(pool)).applied).toEqual([]);
  });
});

describe('when a bundle activation loses its connection while it waits for the activation lock', () => {
  it('fails with a connection error and records nothing', async () => {
    const { pool, name } = namedPool();
    const store = new PgBundleStore(pool);
    const before = await store.activations();
    const lock = await holding('SELECT pg_advisory_xact_lock($1)', [ACTIVATION_LOCK_ID]);
    const activating = store.activate('no-such-version', { by: 'test' }).catch((err: unknown) => err);
    try {
      await waitingOnLock(name);
      expect(await terminate(name)).toBe(1);
      expect(isConnectionError(await activating)).toBe(true);
    } finally {
      await lock.release();
    }
    expect(await store.activations()).toEqual(before);
  });
});

describe('when a listener client loses its backend', () => {
  it('ends, even before its user attached an error listener', { timeout: 10_000 }, async () => {
    const name = uniqueId('conn-loss-listener');
    const url = new URL(db.url);
    url.searchParams.set('application_name', name);
    const client = await pgListenerFactory(url.toString())();
    await client.query('LISTEN some_channel');
    const ended = new Promise((r) => client.once('end', r));
    expect(await terminate(name)).toBe(1);
    await ended;
  });
});
