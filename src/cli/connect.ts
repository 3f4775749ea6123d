import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { connectionErrorReason, isConnectionError } from '../store/connection-error.js';
import {
  describeTemporalConnection,
  explainConnectFailure,
  probeTls,
  temporalConnectionOptions,
  type TLSConfig,
  TemporalConfigError,
  type TemporalConnectionSettings,
} from '../temporal/connection-config.js';
import type { ActionGateConfig } from './config.js';
import { tracingClientInterceptors, type ActionGateTracing } from '../tracing/tracing.js';
import { CliError } from './cli-error.js';

const CONNECT_TIMEOUT_MS = 5_000;

/**
 * The settings to connect with: the configured TLS, API key and metadata (TEMPORAL_* variables and
 * the Temporal profile) while the config points at the configured server; a config pointed at
 * another one (the local server `actiongate start` runs) connects to it in plaintext.
 */
function temporalSettingsOf(config: ActionGateConfig): TemporalConnectionSettings {
  const target = { address: config.temporalAddress, addressSet: config.temporalAddressSet, namespace: config.temporalNamespace };
  const configured = config.temporal;
  if (!configured || configured.address !== config.temporalAddress) return target;
  return { ...configured, ...target };
}

async function temporalOptionsOf(config: ActionGateConfig): Promise<{ settings: TemporalConnectionSettings; options: Awaited<ReturnType<typeof temporalConnectionOptions>> }> {
  const settings = temporalSettingsOf(config);
  try {
    return { settings, options: await temporalConnectionOptions(settings) };
  } catch (err) {
    if (err instanceof TemporalConfigError) throw new CliError('CONFIG', `cannot connect to Temporal: ${err.message}`);
    throw err;
  }
}

async function noTemporal(settings: TemporalConnectionSettings, tls: TLSConfig | boolean | null | undefined, err: unknown): Promise<CliError> {
  // The SDK's error seldom says what was wrong with TLS (grpc-js only times out): ask a plain handshake.
  const probe = typeof tls === 'object' && tls !== null ? await probeTls(settings.address, tls) : undefined;
  const { reason, hint } = explainConnectFailure(err, settings, probe);
  const message = settings.tls
    ? `cannot connect to Temporal at ${describeTemporalConnection(settings)}: ${reason}. ${hint}`
    : `no Temporal server at ${settings.address} (${reason}). ${hint}`;
  return new CliError('UNAVAILABLE', message, undefined, { cause: err });
}

/**
 * A Temporal client with the configured TLS/mTLS and API key; CliError `CONFIG` or `UNAVAILABLE`
 * saying what to fix. With `tracing`, each workflow call opens a span whose context the workflow
 * continues (the OpenTelemetry client interceptor).
 */
export async function connectClient(config: ActionGateConfig, use: { tracing?: ActionGateTracing } = {}): Promise<{ client: Client; connection: Connection }> {
  const { settings, options } = await temporalOptionsOf(config);
  const interceptors = use.tracing ? { workflow: await tracingClientInterceptors(use.tracing) } : undefined;
  try {
    const connection = await Connection.connect({ ...options.client, connectTimeout: CONNECT_TIMEOUT_MS });
    return { connection, client: new Client({ connection, namespace: config.temporalNamespace, ...(interceptors ? { interceptors } : {}) }) };
  } catch (err) {
    throw await noTemporal(settings, options.client.tls, err);
  }
}

/** The worker's connection, with the same TLS/mTLS and API key as the client's. */
export async function connectWorker(config: ActionGateConfig): Promise<NativeConnection> {
  const { settings, options } = await temporalOptionsOf(config);
  // NativeConnection has no connect timeout: a server that never answers the handshake must not hang the worker.
  const connecting = NativeConnection.connect(options.worker);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
  });
  try {
    return await Promise.race([connecting, timedOut]);
  } catch (err) {
    void connecting.then((connection) => connection.close()).catch(() => undefined);
    throw await noTemporal(settings, options.client.tls, err);
  } finally {
    clearTimeout(timer);
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
    `cannot reach Postgres at ${redactUrl(url)}: ${connectionErrorReason(err)}. Check DATABASE_URL and that the server is running.`,
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
    options.log(`waiting for Postgres at ${redactUrl(url)}: ${connectionErrorReason(outcome.error)} (attempt ${attempt}, next in ${formatSeconds(delay)})`);
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

/** A connection URL with its password replaced by `***` (for messages and logs): `postgres://user:***@host/db`. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
