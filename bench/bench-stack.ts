// Temporal and Postgres for one bench run: the ones named by TEMPORAL_ADDRESS / DATABASE_URL, or a
// headless Temporal dev server and an embedded Postgres started here (as test/global-setup.ts does).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import pg from 'pg';
import { startLocalPostgres } from '../src/devstack/local-postgres.js';
import { findOrInstallTemporalCli } from '../src/devstack/temporal-cli.js';
import { startTemporalDevServer } from '../src/devstack/temporal-dev-server.js';
import { migrate } from '../src/store/migrate.js';
import { ensureSearchAttributes } from '../src/temporal/search-attributes.js';

const execFileAsync = promisify(execFile);

export interface BenchStackOptions {
  repoRoot: string;
  /** From TEMPORAL_ADDRESS: use that server instead of starting one. */
  temporalAddress?: string;
  /** From DATABASE_URL: use that database instead of starting Postgres. */
  databaseUrl?: string;
  namespace: string;
  log: (line: string) => void;
}

export interface BenchStack {
  temporalAddress: string;
  namespace: string;
  databaseUrl: string;
  /** How Temporal was provided, for the report. */
  temporalSource: string;
  postgresSource: string;
  /** `temporal --version` of the CLI that started the dev server, when this stack started it. */
  temporalCliVersion: string | null;
  stop(): Promise<void>;
}

export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const { log } = options;
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((err) => log(`stopping: ${(err as Error).message}`));
  };
  try {
    const scratch = await mkdtemp(join(tmpdir(), 'actiongate-bench-'));
    cleanups.push(() => rm(scratch, { recursive: true, force: true }));
    let cliVersion: string | null = null;
    const [temporal, database] = await Promise.all([
      (async () => {
        if (options.temporalAddress) return { address: options.temporalAddress, source: 'TEMPORAL_ADDRESS' };
        const cliPath = await findOrInstallTemporalCli({ toolsDir: join(options.repoRoot, '.tools'), log });
        cliVersion = (await execFileAsync(cliPath, ['--version'])).stdout.trim();
        const server = await startTemporalDevServer({ cliPath, headless: true, log });
        cleanups.push(() => server.stop());
        return { address: server.address, source: 'temporal server start-dev (in-memory SQLite, headless), started by the bench' };
      })(),
      (async () => {
        if (options.databaseUrl) return { url: options.databaseUrl, source: 'DATABASE_URL' };
        const postgres = await startLocalPostgres({ dataDir: join(scratch, 'pgdata'), log });
        cleanups.push(() => postgres.stop());
        const url = await postgres.createDatabase(`actiongate_bench_${Date.now()}`);
        return { url, source: 'embedded Postgres (fresh cluster and database), started by the bench' };
      })(),
    ]);

    const pool = new pg.Pool({ connectionString: database.url });
    try {
      await migrate(pool);
    } finally {
      await pool.end();
    }
    const connection = await Connection.connect({ address: temporal.address });
    try {
      await ensureSearchAttributes(connection, options.namespace);
    } finally {
      await connection.close();
    }
    return {
      temporalAddress: temporal.address,
      namespace: options.namespace,
      databaseUrl: database.url,
      temporalSource: temporal.source,
      postgresSource: database.source,
      temporalCliVersion: cliVersion,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
