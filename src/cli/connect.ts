import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import pg from 'pg';
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
  if (!config.databaseUrl) {
    throw new CliError('CONFIG', 'DATABASE_URL is not set. Set it to a Postgres connection string, e.g. postgres://user:password@localhost:5432/actiongate.');
  }
  const pool = new pg.Pool({ connectionString: config.databaseUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, max: 10 });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new CliError('UNAVAILABLE', `cannot reach Postgres at ${redact(config.databaseUrl)}: ${(err as Error).message}. Check DATABASE_URL and that the server is running.`);
  }
  return pool;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
