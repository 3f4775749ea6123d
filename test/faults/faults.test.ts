// Crash anywhere, lose nothing: real faults (SIGKILL of worker processes at named points, a Temporal
// server SIGKILLed and restarted on its SQLite file, Postgres stopped, its connections terminated, a
// COMMIT that hangs, misbehaving external systems) against real processes. Each row is checked by
// joining the recording external system's log with the receipts table and the workflow results, and
// the numbers are written to docs/RELIABILITY.md. `npm run test:faults`; `npm run test:faults:soak` runs 5× the actions.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionResult } from '../../src/action/action-result.js';
import type { FaultPointName } from '../../src/faults/fault-points.js';
import { REPO_ROOT } from '../support/paths.js';
import { FaultStack, renderFaultTable, sleep, type FaultRow } from './fault-stack.js';

const SOAK = process.env.FAULTS_SOAK === '1' ? 5 : 1;
const PER_POINT = 20 * SOAK;
const rows: FaultRow[] = [];
let stack: FaultStack;

beforeAll(async () => {
  stack = await FaultStack.start();
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  if (rows.length === 0) return;
  const table = renderFaultTable(rows);
  process.stderr.write(`\n${table}\n\n`);
  const path = join(REPO_ROOT, 'docs', 'RELIABILITY.md');
  const doc = await readFile(path, 'utf8').catch(() => '');
  const start = '<!-- fault-table:start -->';
  const end = '<!-- fault-table:end -->';
  if (doc.includes(start) && doc.includes(end)) {
    const stamp = `Last run: ${new Date().toISOString().slice(0, 10)}, ${SOAK === 1 ? 'CI size' : `soak (${SOAK}×)`}, on this project's 2-core machine.`;
    await writeFile(path, `${doc.slice(0, doc.indexOf(start) + start.length)}\n${stamp}\n\n${table}\n${doc.slice(doc.indexOf(end))}`);
  }
}, 120_000);

/** Every row's promise: nothing lost, nothing dispatched without its PERMIT, one effect per key, every action terminal and fully on record. */
function expectNothingLost(row: FaultRow): void {
  rows.push(row);
  expect({
    terminal: row.terminal,
    lost: row.lost,
    dispatchWithoutPermit: row.dispatchWithoutPermit,
    secondEffects: row.secondEffects,
    receiptAnomalies: row.receiptAnomalies,
    unknown: row.unknown,
    logVerifies: row.logVerifies,
  }).toEqual({ terminal: row.actions, lost: 0, dispatchWithoutPermit: 0, secondEffects: 0, receiptAnomalies: 0, unknown: 0, logVerifies: true });
}

/** Holds PER_POINT actions at a fault point in one worker, SIGKILLs it, lets a fresh worker finish them. */
async function killAt(point: FaultPointName, title: string): Promise<FaultRow> {
  const started = Date.now();
  const requests = Array.from({ length: PER_POINT }, () => stack.payment(point.replace(/\W/g, '-')));
  const doomed = await stack.startWorker([point]);
  const results = stack.submitAll(requests);
  const reached = await stack.waitForFaultPoints(doomed, requests.length, 60_000);
  expect(reached).toBe(requests.length);
  await doomed.kill();
  const fresh = await stack.startWorker();
  const row = await stack.measure(title, requests, results, started);
  await fresh.stop();
  return row;
}

describe('when a worker is SIGKILLed at each point of an action', () => {
  it('during the gate, before the decision receipt COMMIT: nothing is lost', async () => {
    expectNothingLost(await killAt('decide.before-commit', `worker killed during the gate, before the decision receipt COMMIT (${PER_POINT} held)`));
  }, 300_000);

  it('right after the decision receipt COMMIT, before dispatch: every PERMIT is dispatched once', async () => {
    const row = await killAt('decide.after-commit', `worker killed right after the decision receipt COMMIT, before dispatch (${PER_POINT} held)`);
    expectNothingLost(row);
    expect(row.duplicateDeliveries).toBe(0);
  }, 300_000);

  it('while the external system holds the request: retried under the same key, one effect', async () => {
    const started = Date.now();
    // The first delivery of each key is held 4 s (the worker dies meanwhile); later ones answer at once.
    stack.fake.respondWith((_call, n) => ({ status: 200, body: { accepted: true, n }, delayMs: n === 1 ? 4_000 : 0 }));
    try {
      const requests = Array.from({ length: PER_POINT }, () => stack.payment('holding'));
      const doomed = await stack.startWorker();
      const results = stack.submitAll(requests);
      const deadline = Date.now() + 60_000;
      while (requests.some((r) => stack.fake.callsFor(r.idempotencyKey).length === 0) && Date.now() < deadline) await sleep(50);
      await doomed.kill();
      const fresh = await stack.startWorker();
      const row = await stack.measure(`worker killed while the external system holds the request (${PER_POINT})`, requests, results, started);
      await fresh.stop();
      expectNothingLost(row);
    } finally {
      stack.fake.respondWith((_call, n) => ({ status: 200, body: { accepted: true, n } }));
    }
  }, 300_000);

  it('after the external system answered, before the outcome receipt: the outcome is recorded', async () => {
    expectNothingLost(await killAt('dispatch.after-connector', `worker killed after the external system answered, before the outcome receipt (${PER_POINT} held)`));
  }, 300_000);
});

describe('when workers keep dying during a burst', () => {
  it('two workers on one queue, one SIGKILLed every 2 s, 100 actions: nothing is lost', async () => {
    const started = Date.now();
    const workers = [await stack.startWorker(), await stack.startWorker()];
    const requests = Array.from({ length: 100 * SOAK }, () => stack.payment('burst'));
    const results = stack.submitAll(requests);
    let all = false;
    void Promise.all(results).then(() => (all = true));
    let kills = 0;
    while (!all && kills < 10 * SOAK) {
      await sleep(2_000);
      if (all) break;
      const victim = workers.shift();
      await victim?.kill();
      kills++;
      workers.push(await stack.startWorker());
    }
    const row = await stack.measure(`two workers, one killed every 2 s (${kills} kills) during a burst of ${requests.length}`, requests, results, started);
    for (const w of workers) await w.stop();
    expectNothingLost(row);
  }, 600_000);
});

describe('when the Temporal server crashes', () => {
  it('SIGKILLed and restarted on its SQLite file during a burst: nothing is lost', async () => {
    const started = Date.now();
    const worker = await stack.startWorker();
    const requests = Array.from({ length: 50 * SOAK }, () => stack.payment('temporal-crash'));
    const results = stack.submitAll(requests);
    await sleep(1_500);
    await stack.crashTemporal(2_000);
    const row = await stack.measure(`Temporal server SIGKILLed and restarted during a burst of ${requests.length}`, requests, results, started);
    await worker.stop();
    expectNothingLost(row);
  }, 600_000);
});

describe('when Postgres fails', () => {
  it('stopped for 20 s during a burst: actions are refused or decided, every one on record, nothing lost', async () => {
    const started = Date.now();
    const worker = await stack.startWorker();
    const requests = Array.from({ length: 50 * SOAK }, () => stack.payment('pg-down'));
    const results = stack.submitAll(requests);
    await sleep(500);
    await stack.stopPostgresFor(20_000);
    const row = await stack.measure(`Postgres stopped 20 s during a burst of ${requests.length}`, requests, results, started);
    expect(worker.process.exitCode).toBeNull();
    await worker.stop();
    expectNothingLost(row);
  }, 600_000);

  it('its connections terminated mid-write during a burst: the worker stays up, nothing is lost', async () => {
    const started = Date.now();
    const worker = await stack.startWorker();
    const admin = stack.adminPool();
    const requests = Array.from({ length: 30 * SOAK }, () => stack.payment('pg-terminate'));
    const results = stack.submitAll(requests);
    let done = false;
    void Promise.all(results).then(() => (done = true));
    let terminated = 0;
    const until = Date.now() + 8_000;
    while (!done && Date.now() < until) {
      const { rowCount } = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'actiongate_faults' AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
      );
      terminated += rowCount ?? 0;
      await sleep(100);
    }
    await admin.end();
    const row = await stack.measure(`Postgres connections terminated mid-write (${terminated} backends) during a burst of ${requests.length}`, requests, results, started);
    expect(worker.process.exitCode).toBeNull();
    expect(worker.process.signalCode).toBeNull();
    await worker.stop();
    expectNothingLost(row);
  }, 600_000);

  it('a COMMIT that hangs past the store budget: the agent is refused, and the late PERMIT is on record as superseded', async () => {
    const started = Date.now();
    const worker = await stack.startWorker();
    const admin = stack.adminPool();
    const requests = Array.from({ length: 5 * SOAK }, () => stack.payment('commit-hang'));
    let results: Array<Promise<ActionResult | Error>>;
    try {
      // A synchronous standby that does not exist: every COMMIT waits for it.
      await admin.query("ALTER SYSTEM SET synchronous_standby_names = 'missing_standby'");
      await admin.query('SELECT pg_reload_conf()');
      const gate = stack.gate();
      const decisions = await Promise.all(requests.map((r) => gate.submit(r)));
      // The gate could not answer within its budget and the store's: the agent is refused at once.
      for (const { decision } of decisions) {
        expect(decision.outcome).toBe('DENY');
        expect(['gate_timeout', 'receipt_store_unavailable']).toContain(decision.reasons[0]);
      }
      results = decisions.map((d) => d.result().catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))));
      await sleep(2_000);
    } finally {
      await admin.query('ALTER SYSTEM RESET synchronous_standby_names');
      await admin.query('SELECT pg_reload_conf()');
      await admin.end();
    }
    const row = await stack.measure(`a COMMIT hanging past the store budget (a synchronous standby missing), ${requests.length} actions`, requests, results, started);
    await worker.stop();
    expectNothingLost(row);
    // The record agrees with what the agent was told: the refusal itself (when it reached the store
    // first), or the late PERMIT with an outcome that says it was superseded. Nothing was dispatched.
    const { rows: decisions } = await stack.pool.query<{ idempotency_key: string; outcome: string }>(
      "SELECT idempotency_key, outcome FROM receipts WHERE kind = 'decision' AND idempotency_key = ANY($1)",
      [requests.map((r) => r.idempotencyKey)],
    );
    const refusedOnRecord = decisions.filter((d) => d.outcome === 'DENY').length;
    expect(refusedOnRecord + row.superseded).toBe(requests.length);
    expect(row.superseded).toBeGreaterThan(0);
    for (const r of requests) expect(stack.fake.callsFor(r.idempotencyKey)).toHaveLength(0);
  }, 600_000);
});

describe('when the external system misbehaves', () => {
  const cases: Array<{ title: string; respond: (n: number) => { status: number; delayMs?: number; reset?: boolean }; status: string }> = [
    { title: 'external system answers 500 three times, then 200', respond: (n) => ({ status: n <= 3 ? 500 : 200 }), status: 'succeeded' },
    { title: 'external system resets the connection twice, then answers 200', respond: (n) => (n <= 2 ? { status: 200, reset: true } : { status: 200 }), status: 'succeeded' },
    { title: 'external system hangs past the attempt timeout (3 s) once, then answers 200', respond: (n) => ({ status: 200, delayMs: n === 1 ? 6_000 : 0 }), status: 'succeeded' },
    { title: 'external system answers 400', respond: () => ({ status: 400 }), status: 'failed' },
  ];
  for (const c of cases) {
    it(`${c.title}: retried under one key where it may, recorded as ${c.status}`, async () => {
      const started = Date.now();
      stack.fake.respondWith((_call, n) => ({ body: { n }, ...c.respond(n) }));
      const worker = await stack.startWorker();
      try {
        const requests = Array.from({ length: PER_POINT }, () => stack.payment('external'));
        const results = stack.submitAll(requests);
        const row = await stack.measure(`${c.title} (${requests.length})`, requests, results, started);
        expectNothingLost(row);
        for (const result of await Promise.all(results)) expect(result instanceof Error ? result.message : result.dispatch.status).toBe(c.status);
      } finally {
        stack.fake.respondWith((_call, n) => ({ status: 200, body: { accepted: true, n } }));
        await worker.stop();
      }
    }, 300_000);
  }
});
