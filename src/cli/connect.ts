import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { connectionErrorReason, isConnectionError } from '../store/connection-error.js';
import type { ActionGateConfig } from './config.js';
import { CliError } from './cli-error.js';

const CONNECT_TIMEOUT_MS = 5_000;

function noTemporal(config: ActionGateConfig, err: unknown): CliError {
  return new CliError(
    'UNAVAILABLE',
    `no Temporal server at ${config.temporalAddress} (${(err as Error).message.split('\n')[0]}). ` +
      'Start one (`npm start` runs a local one, or `temporal server start-dev`) or set TEMPORAL_ADDRESS.',
  );
}

export async function connectClient(config: ActionGateConfig): Promise<{ client: Client; connection: Connection }> {
  try {
    const connection = await Connection.connect({ address: config.temporalAddress, connectTimeout: CONNECT_TIMEOUT_MS });
    return { connection, client: new Client({ connection, namespace: config.temporalNamespace }) };
  } catch (err) {
    throw noTemporal(config, err);
  }
}

export async function connectWorker(config: ActionGateConfig): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ address: config.temporalAddress });
  } catch (err) {
    throw noTemporal(config, err);
  }
}

/** A pool that has answered one query, or a CliError that says what to fix. */
export async function connectDatabase(config: ActionGateConfig): Promise<pg.Pool> {
  const url = databaseUrlOf(config);
  try {
    return await openPool(url);
  } catch (err) {
    throw unreachable(url, err);
  }
}

function unreachable(url: string, err: unknown): CliError {
  return new CliError(
    'UNAVAILABLE',
    `cannot reach Postgres at ${redact(url)}: ${connectionErrorReason(err)}. Check DATABASE_URL and that the server is running.`,
    undefined,
    { cause: err },
  );
}

export interface WaitForDatabaseOptions<T> {
  log: (line: string) => void;
  /** Stops the wait: the result is then undefined. */
  signal: AbortSignal;
  /** What must also succeed before the pool is handed out (migrations); a lost connection there is waited out too. */
  ready: (pool: pg.Pool) => Promise<T>;
  /** First and longest wait between attempts (default 1 s and 30 s, doubling). */
  delayMs?: { min: number; max: number };
}

/**
 * For a long-running process (the worker): a Postgres that is not there yet, or that goes away
 * before `ready` finished, is waited for, one log line per attempt, rather than ending the process
 * (which a supervisor would only restart, in a loop). Errors Postgres answers with are not waited
 * out: a wrong password or a missing database throws CliError `UNAVAILABLE`, an error of `ready`
 * (a failing migration) is thrown as it is.
 *
 * @example
 * const started = await waitForDatabase(config, { log, signal, ready: (pool) => migrate(pool) });
 * if (!started) return 0; // stopped while waiting
 */
export async function waitForDatabase<T>(config: ActionGateConfig, options: WaitForDatabaseOptions<T>): Promise<{ pool: pg.Pool; ready: T } | undefined> {
  const url = databaseUrlOf(config);
  const { min, max } = options.delayMs ?? DATABASE_RETRY_MS;
  const stopped = new Promise<undefined>((resolve) => {
    if (options.signal.aborted) resolve(undefined);
    options.signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
  for (let attempt = 1, delay = min; ; attempt++, delay = Math.min(max, delay * 2)) {
    if (options.signal.aborted) return undefined;
    const opening = attemptDatabase(url, options.ready);
    // An attempt can take the connect timeout: a stop does not wait for it.
    const outcome = await Promise.race([opening, stopped]);
    if (outcome === undefined) {
      void opening.then((o) => (o.ok ? o.pool.end() : undefined)).catch(() => undefined);
      return undefined;
    }
    if (outcome.ok) return { pool: outcome.pool, ready: outcome.ready };
    if (!isConnectionError(outcome.error)) {
      if (outcome.stage === 'ready') throw outcome.error;
      throw unreachable(url, outcome.error);
    }
    options.log(`waiting for Postgres at ${redact(url)}: ${connectionErrorReason(outcome.error)} (attempt ${attempt}, next in ${formatSeconds(delay)})`);
    await sleep(delay, undefined, { signal: options.signal }).catch(() => undefined);
  }
}

const DATABASE_RETRY_MS = { min: 1_000, max: 30_000 };

type Attempt<T> = { ok: true; pool: pg.Pool; ready: T } | { ok: false; stage: 'connect' | 'ready'; error: unknown };

async function attemptDatabase<T>(url: string, ready: (pool: pg.Pool) => Promise<T>): Promise<Attempt<T>> {
  let pool: pg.Pool;
  try {
    pool = await openPool(url);
  } catch (error) {
    return { ok: false, stage: 'connect', error };
  }
  try {
    return { ok: true, pool, ready: await ready(pool) };
  } catch (error) {
    await pool.end().catch(() => undefined);
    return { ok: false, stage: 'ready', error };
  }
}

async function openPool(url: string): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, max: 10 });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  return pool;
}

function databaseUrlOf(config: ActionGateConfig): string {
  if (!config.databaseUrl) {
    throw new CliError('CONFIG', 'DATABASE_URL is not set. Set it to a Postgres connection string, e.g. postgres://user:password@localhost:5432/actiongate.');
  }
  return config.databaseUrl;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
