// A worker whose Postgres connections are terminated mid-write (pg_terminate_backend) stays up,
// and every action still ends: decided normally or refused, each with its decision receipt.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionResult } from '../../src/action/action-result.js';
import { generatePrivateKeyFile, writePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { connectTemporal, gateClient, openPool, paymentRequest, policiesDispatchingTo, testEnv, uniqueId } from '../support/harness.js';
import { startCliWorker } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

const BURST = 20;
const TERMINATE_EVERY_MS = 50;

let fake: FakeExternalSystem;
let admin: pg.Pool;
let temporal: { client: Client; connection: Connection };
let worker: ChildProcess;
let workerLog: () => string = () => '';
let taskQueue: string;
let applicationName: string;

beforeAll(async () => {
  fake = await startFakeExternalSystem();
  admin = openPool();
  temporal = await connectTemporal();
  const receiptKey = join(await tempDir('actiongate-receipt-key-'), 'receipts.key.json');
  await writePrivateKeyFile(receiptKey, generatePrivateKeyFile());
  taskQueue = uniqueId('conn-loss');
  // Names the worker's backends, so only they are terminated (the admin pool is left alone).
  applicationName = uniqueId('actiongate-worker');
  const t = testEnv();
  const databaseUrl = `${t.databaseUrl}${t.databaseUrl.includes('?') ? '&' : '?'}application_name=${applicationName}`;
  const started = await startCliWorker({
      TEMPORAL_ADDRESS: t.temporalAddress,
      TEMPORAL_NAMESPACE: t.namespace,
      DATABASE_URL: databaseUrl,
      ACTIONGATE_TASK_QUEUE: taskQueue,
      ACTIONGATE_POLICIES: await policiesDispatchingTo(fake),
      // Signed receipts: the append holds a checked-out client across a transaction.
      ACTIONGATE_RECEIPT_KEY: receiptKey,
  });
  worker = started.process;
  workerLog = started.log;
}, 120_000);

afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) {
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (worker.exitCode === null) worker.kill('SIGKILL');
  }
  await temporal?.connection.close();
  await admin?.end();
  await fake?.close();
});

/** Terminates every backend of the worker every `everyMs` until stopped; counts what it terminated. */
function terminateRepeatedly(everyMs: number): { stop(): Promise<number> } {
  let terminated = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await admin.query<{ ok: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1`,
        [applicationName],
      );
      terminated += rows.filter((r) => r.ok).length;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return terminated;
    },
  };
}

/** Resolves when the worker process exits (with what it printed), so a crash fails the test at once. */
function workerExit(): Promise<never> {
  return new Promise((_, reject) =>
    worker.once('exit', (code, signal) => reject(new Error(`the worker exited (code ${code}, signal ${signal}):\n${workerLog().slice(-4000)}`))),
  );
}

describe('when the worker loses its Postgres connections mid-write during a burst', () => {
  it('stays up, and every action ends decided or refused with its decision receipt on record', async () => {
    const crashed = workerExit();
    crashed.catch(() => undefined);
    const gate = gateClient(temporal.client, taskQueue);
    const requests = Array.from({ length: BURST }, () => paymentRequest());
    const terminator = terminateRepeatedly(TERMINATE_EVERY_MS);
    let results: ActionResult[];
    let terminated: number;
    try {
      const burst = Promise.all(
        requests.map(async (request, i) => {
          await new Promise((r) => setTimeout(r, i * 25)); // spread over the termination loop
          return (await gate.submit(request)).result();
        }),
      );
      // Keep terminating until the burst's first half has had its connections cut a few times.
      await Promise.race([new Promise((r) => setTimeout(r, 3_000)), crashed]);
      terminated = await terminator.stop();
      results = await Promise.race([burst, crashed]);
    } finally {
      await terminator.stop();
    }

    expect(terminated).toBeGreaterThan(0);
    expect(worker.exitCode).toBeNull();
    expect(workerLog()).not.toContain('unexpected error');
    for (const result of results) {
      const refused = result.outcome === 'DENY' && result.reasons.includes('receipt_store_unavailable');
      const decided = result.outcome === 'PERMIT' && result.dispatch.status === 'succeeded';
      expect({ key: result.idempotencyKey, refusedOrDecided: refused || decided }).toEqual({ key: result.idempotencyKey, refusedOrDecided: true });
      expect(result.receipts.decision).not.toBeNull();
      expect(result.receipts.outcome).not.toBeNull();
    }
    // No receipt is lost: each key has exactly one decision receipt, and it is the one the agent got.
    const { rows } = await admin.query<{ idempotency_key: string; receipt_id: string }>(
      `SELECT idempotency_key, receipt_id FROM receipts WHERE kind = 'decision' AND idempotency_key = ANY($1)`,
      [requests.map((r) => r.idempotencyKey)],
    );
    const recorded = new Map(rows.map((r) => [r.idempotency_key, r.receipt_id]));
    expect(rows).toHaveLength(BURST);
    for (const result of results) expect(recorded.get(result.idempotencyKey)).toBe(result.receipts.decision);
    // Refused actions never reach the external system. A permitted one may reach it again when its
    // outcome write was cut after the call: always under its own Idempotency-Key (docs/OPERATIONS.md).
    for (const result of results) {
      const calls = fake.callsFor(result.idempotencyKey).length;
      if (result.outcome === 'PERMIT') expect(calls).toBeGreaterThanOrEqual(1);
      else expect(calls).toBe(0);
    }
  }, 120_000);
});
