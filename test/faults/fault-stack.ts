// The fault-injection suite's own stack, so it can crash every part of it without touching the
// other test files: a Temporal dev server on a SQLite file (it survives a SIGKILL and restart), an
// embedded Postgres (stopped and started on the same data), a recording external system, and
// worker processes (test/faults/fault-worker.ts) that are SIGKILLed for real.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import pg from 'pg';
import { ActionGateClient } from '../../src/client/actiongate-client.js';
import { demoSigner } from '../../src/demo/demo-keys.js';
import { findOrInstallTemporalCli } from '../../src/devstack/temporal-cli.js';
import { freePort } from '../../src/devstack/free-port.js';
import { startLocalPostgres, type LocalPostgres } from '../../src/devstack/local-postgres.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/devstack/temporal-dev-server.js';
import { generatePrivateKeyFile } from '../../src/keys/private-key-file.js';
import type { KeySet } from '../../src/keys/key-set.js';
import type { ActionRequest } from '../../src/request/action-request.js';
import { nodeBackend } from '../../src/receipt/verify/node-backend.js';
import { verifyLog } from '../../src/receipt/verify/verify-log.js';
import { exportReceiptLog } from '../../src/store/receipt-export.js';
import { migrate } from '../../src/store/migrate.js';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes.js';
import { WORKFLOWS_PATH } from '../../src/worker/actiongate-worker.js';
import type { ActionResult } from '../../src/action/action-result.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { REPO_ROOT } from '../support/paths.js';
import { paymentRequest, policiesVariant, SAMPLE_SURFACES, uniqueId } from '../support/harness.js';
import type { FaultWorkerConfig } from './fault-worker.js';

const log = (line: string) => process.stderr.write(`[faults] ${line}\n`);
const WORKER_ENTRY = fileURLToPath(new URL('./fault-worker.ts', import.meta.url));
const NAMESPACE = 'default';

export interface FaultWorker {
  /** Fault-point lines the worker printed so far (`FAULT-POINT <name> <key>`). */
  readonly faultLines: string[];
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), and wait until the process is gone. */
  stop(): Promise<void>;
  readonly process: ChildProcess;
}

/** What one row of the reliability table counts (docs/RELIABILITY.md). */
export interface FaultRow {
  fault: string;
  actions: number;
  terminal: number;
  /** A PERMIT that is neither dispatched nor superseded by a refusal the agent was given first. */
  lost: number;
  /** Keys the external system received more than once (same Idempotency-Key, same request). */
  duplicateDeliveries: number;
  /** Deliveries for a key whose committed PERMIT (of the delivering run) is missing. */
  dispatchWithoutPermit: number;
  /** Keys whose deliveries carried more than one request. */
  secondEffects: number;
  /** Keys without exactly one decision and one outcome receipt. */
  receiptAnomalies: number;
  /** Results whose dispatch is `unknown` (may have happened, cannot be known). */
  unknown: number;
  /** PERMITs the agent was refused before they were recorded (outcome DECISION_SUPERSEDED). */
  superseded: number;
  logVerifies: boolean;
  seconds: number;
}

export class FaultStack {
  readonly fake: FakeExternalSystem;
  readonly taskQueue = uniqueId('faults');
  private temporal: TemporalDevServer;
  private postgres: LocalPostgres;
  private readonly workers = new Set<FaultWorker>();
  client: Client;
  private connection: Connection;
  readonly pool: pg.Pool;
  readonly adminPool: () => pg.Pool;

  private constructor(
    private readonly parts: {
      scratch: string;
      cliPath: string;
      temporalPort: number;
      pgPort: number;
      databaseUrl: string;
      adminUrl: string;
      policiesDir: string;
      bundlePath: string;
      receiptKey: string;
      keySet: KeySet;
    },
    temporal: TemporalDevServer,
    postgres: LocalPostgres,
    fake: FakeExternalSystem,
    connection: Connection,
  ) {
    this.temporal = temporal;
    this.postgres = postgres;
    this.fake = fake;
    this.connection = connection;
    this.client = new Client({ connection, namespace: NAMESPACE });
    this.pool = new pg.Pool({ connectionString: parts.databaseUrl, max: 5 });
    this.pool.on('error', () => undefined);
    this.adminPool = () => {
      const pool = new pg.Pool({ connectionString: parts.adminUrl, max: 2 });
      pool.on('error', () => undefined);
      return pool;
    };
  }

  static async start(): Promise<FaultStack> {
    const scratch = await mkdtemp(join(tmpdir(), 'actiongate-faults-'));
    const cliPath = await findOrInstallTemporalCli({ toolsDir: join(REPO_ROOT, '.tools'), log });
    const temporalPort = await freePort();
    const [temporal, postgres, bundle, fake] = await Promise.all([
      startTemporalDevServer({ cliPath, port: temporalPort, headless: true, dbFile: join(scratch, 'temporal.sqlite'), log }),
      startLocalPostgres({ dataDir: join(scratch, 'pgdata'), log }),
      bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: log } }),
      startFakeExternalSystem(),
    ]);
    const databaseUrl = await postgres.createDatabase('actiongate_faults');
    const pool = new pg.Pool({ connectionString: databaseUrl });
    await migrate(pool);
    await pool.end();
    const connection = await Connection.connect({ address: temporal.address });
    await ensureSearchAttributes(connection, NAMESPACE);
    const bundlePath = join(scratch, 'workflow-bundle.js');
    await writeFile(bundlePath, bundle.code);
    // Every sample surface dispatches to the recording system; an attempt gives up after 3 s.
    const policiesDir = await policiesVariant({
      editRegistry: (registry) => {
        for (const surface of SAMPLE_SURFACES) {
          (registry.surfaces[surface] as { connector: { url: string; timeoutMs: number } }).connector = {
            kind: 'http',
            url: fake.url(`/${surface}`),
            timeoutMs: 3_000,
          } as never;
        }
      },
    });
    const key = generatePrivateKeyFile();
    return new FaultStack(
      {
        scratch,
        cliPath,
        temporalPort,
        pgPort: postgres.port,
        databaseUrl,
        adminUrl: postgres.adminUrl,
        policiesDir,
        bundlePath,
        receiptKey: JSON.stringify(key),
        keySet: { version: 1, keys: [{ keyId: key.keyId, publicKey: key.publicKey, purpose: 'receipt' }] },
      },
      temporal,
      postgres,
      fake,
      connection,
    );
  }

  /** A worker process; resolves once it polls. `faultPoints`: where it stops (src/faults/fault-points.ts). */
  async startWorker(faultPoints: string[] = []): Promise<FaultWorker> {
    const config: FaultWorkerConfig = {
      temporalAddress: this.temporal.address,
      namespace: NAMESPACE,
      taskQueue: this.taskQueue,
      databaseUrl: this.parts.databaseUrl,
      policiesDir: this.parts.policiesDir,
      workflowBundlePath: this.parts.bundlePath,
      receiptKey: this.parts.receiptKey,
      faultPoints,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
      cwd: REPO_ROOT,
      env: { ...process.env, FAULT_WORKER_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const faultLines: string[] = [];
    let output = '';
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        for (const line of chunk.split('\n')) if (line.startsWith('FAULT-POINT ')) faultLines.push(line);
        if (output.includes('READY')) resolve();
      });
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
      });
      void exited.then(() => reject(new Error(`fault worker exited before it was ready:\n${output.slice(-2_000)}`)));
    });
    const worker: FaultWorker = {
      faultLines,
      process: child,
      kill: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
        this.workers.delete(worker);
      },
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
        this.workers.delete(worker);
      },
    };
    this.workers.add(worker);
    await ready;
    return worker;
  }

  /** A client that signs every request with its actor's demo key. */
  gate(): ActionGateClient {
    return new ActionGateClient({ client: this.client, taskQueue: this.taskQueue, signer: (r) => demoSigner(r.actor.id) });
  }

  /** A payment the sample policies permit (agent-42, 120.00 EUR), under a fresh key. */
  payment(prefix: string): ActionRequest {
    return paymentRequest({ idempotencyKey: uniqueId(prefix) });
  }

  /** Submits every request (signed) without waiting: each promise settles with the action's result. */
  submitAll(requests: ActionRequest[]): Array<Promise<ActionResult | Error>> {
    const gate = this.gate();
    return requests.map((request) =>
      gate.execute(request).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))),
    );
  }

  /** Resolves once `count` fault-point lines have been printed by `worker`, or after `timeoutMs`. */
  async waitForFaultPoints(worker: FaultWorker, count: number, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (worker.faultLines.length < count && Date.now() < deadline) await sleep(50);
    return worker.faultLines.length;
  }

  /** SIGKILL the Temporal server, then start it again on the same port and SQLite file. */
  async crashTemporal(downMs: number): Promise<void> {
    await this.temporal.kill();
    await sleep(downMs);
    this.temporal = await startTemporalDevServer({
      cliPath: this.parts.cliPath,
      port: this.parts.temporalPort,
      headless: true,
      dbFile: join(this.parts.scratch, 'temporal.sqlite'),
      log,
    });
  }

  /** Stops Postgres (fast shutdown) for `downMs`, then starts it again on the same data and port. */
  async stopPostgresFor(downMs: number): Promise<void> {
    await this.postgres.stop();
    await sleep(downMs);
    this.postgres = await startLocalPostgres({ dataDir: join(this.parts.scratch, 'pgdata'), port: this.parts.pgPort, log });
  }

  /**
   * Awaits every result (bounded), then joins the external system's log with the receipts and the
   * results, and counts what the row reports. `expectDispatch(key)`: whether the key's request is one
   * the policies permit.
   */
  async measure(fault: string, requests: ActionRequest[], results: Array<Promise<ActionResult | Error>>, started: number): Promise<FaultRow> {
    const settled = await Promise.all(results.map((p) => withTimeout(p, 180_000)));
    const keys = requests.map((r) => r.idempotencyKey);
    const { rows } = await this.pool.query<{
      idempotency_key: string;
      kind: string;
      outcome: string;
      run_id: string;
      request_hash: string;
      body: { mode: string; dispatch?: { status: string; error: { code: string } | null } };
    }>('SELECT idempotency_key, kind, outcome, run_id, request_hash, body FROM receipts WHERE idempotency_key = ANY($1)', [keys]);
    let terminal = 0;
    let unknown = 0;
    for (const [i, result] of settled.entries()) {
      // Terminal: the workflow closed with a result. A failed workflow or no answer in 3 minutes is not.
      if (result === 'timeout' || result instanceof Error) {
        log(`${keys[i]}: not terminal: ${result === 'timeout' ? 'no result within 180 s' : result.message}`);
        continue;
      }
      terminal++;
      if (result.dispatch.status === 'unknown') unknown++;
    }
    let lost = 0;
    let duplicateDeliveries = 0;
    let dispatchWithoutPermit = 0;
    let secondEffects = 0;
    let receiptAnomalies = 0;
    let superseded = 0;
    for (const key of keys) {
      const receipts = rows.filter((r) => r.idempotency_key === key);
      const decisions = receipts.filter((r) => r.kind === 'decision');
      const outcomes = receipts.filter((r) => r.kind === 'outcome');
      if (decisions.length !== 1 || outcomes.length !== 1) receiptAnomalies++;
      const decision = decisions[0];
      const outcome = outcomes[0];
      const calls = this.fake.callsFor(key);
      const permitted = decision?.outcome === 'PERMIT';
      const wasSuperseded = outcome?.body.dispatch?.error?.code === 'DECISION_SUPERSEDED';
      if (wasSuperseded) superseded++;
      if (permitted && !wasSuperseded && calls.length === 0) lost++;
      if (calls.length > 1) duplicateDeliveries++;
      if (calls.length > 0 && (!permitted || calls.some((c) => c.requestHash !== decision?.request_hash))) dispatchWithoutPermit++;
      if (new Set(calls.map((c) => JSON.stringify([c.requestHash, c.body]))).size > 1) secondEffects++;
    }
    return {
      fault,
      actions: keys.length,
      terminal,
      lost,
      duplicateDeliveries,
      dispatchWithoutPermit,
      secondEffects,
      receiptAnomalies,
      unknown,
      superseded,
      logVerifies: await this.logVerifies(),
      seconds: Math.round((Date.now() - started) / 1000),
    };
  }

  /** The whole signed log, exported and verified with the public key only. */
  async logVerifies(): Promise<boolean> {
    const lines: string[] = [];
    for await (const line of exportReceiptLog(this.pool)) lines.push(line);
    const verified = verifyLog(lines, this.parts.keySet, nodeBackend);
    if (!verified.ok) log(`log problems: ${JSON.stringify(verified.problems.slice(0, 3))}`);
    return verified.ok;
  }

  async stop(): Promise<void> {
    for (const worker of [...this.workers]) await worker.kill().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
    await this.fake.close().catch(() => undefined);
    await this.temporal.stop().catch(() => undefined);
    await this.postgres.stop().catch(() => undefined);
    await rm(this.parts.scratch, { recursive: true, force: true }).catch(() => undefined);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The reliability table as Markdown. */
export function renderFaultTable(rows: readonly FaultRow[]): string {
  const head = '| fault | actions | terminal | lost (PERMIT, never dispatched) | duplicate deliveries (same key) | dispatch without PERMIT | second distinct effect | receipt anomalies | unknown | superseded | log verifies | s |';
  const rule = '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |';
  const body = rows.map(
    (r) =>
      `| ${r.fault} | ${r.actions} | ${r.terminal} | ${r.lost} | ${r.duplicateDeliveries} | ${r.dispatchWithoutPermit} | ${r.secondEffects} | ${r.receiptAnomalies} | ${r.unknown} | ${r.superseded} | ${r.logVerifies ? 'yes' : '**no**'} | ${r.seconds} |`,
  );
  return [head, rule, ...body].join('\n');
}

export async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}
