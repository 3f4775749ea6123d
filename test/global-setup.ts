// One real Temporal dev server and one fresh Postgres database per test run, shared by every test file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { findOrInstallTemporalCli } from '../src/devstack/temporal-cli.js';
import { startTemporalDevServer } from '../src/devstack/temporal-dev-server.js';
import { startLocalPostgres } from '../src/devstack/local-postgres.js';
import { migrate } from '../src/store/migrate.js';
import { ensureSearchAttributes } from '../src/temporal/search-attributes.js';
import { WORKFLOWS_PATH } from '../src/worker/actiongate-worker.js';
import { REPO_ROOT } from './support/paths.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    databaseUrl: string;
    workflowBundlePath: string;
  }
}

const log = (line: string) => process.stderr.write(`[test setup] ${line}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const scratch = await mkdtemp(join(tmpdir(), 'actiongate-test-'));
  const cleanups: Array<() => Promise<void>> = [() => rm(scratch, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err) => log(`cleanup: ${(err as Error).message}`));
  };
  try {
    const [temporal, postgres, bundle] = await Promise.all([
      (async () => {
        const cliPath = await findOrInstallTemporalCli({ toolsDir: join(REPO_ROOT, '.tools'), log });
        // Standalone activities stay on here: the trust-boundary tests run `temporal activity execute`
        // against a worker to show its activities refuse such calls by themselves.
        const server = await startTemporalDevServer({ cliPath, headless: true, log, standaloneActivities: true });
        cleanups.push(() => server.stop());
        return server;
      })(),
      (async () => {
        const pgServer = await startLocalPostgres({ dataDir: join(scratch, 'pgdata'), log });
        cleanups.push(() => pgServer.stop());
        return pgServer;
      })(),
      bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger }),
    ]);

    const databaseUrl = await postgres.createDatabase(`actiongate_test_${Date.now()}`);
    const pool = new pg.Pool({ connectionString: databaseUrl });
    try {
      await migrate(pool);
    } finally {
      await pool.end();
    }

    const connection = await Connection.connect({ address: temporal.address });
    try {
      await ensureSearchAttributes(connection, temporal.namespace);
    } finally {
      await connection.close();
    }

    const workflowBundlePath = join(scratch, 'workflow-bundle.js');
    await writeFile(workflowBundlePath, bundle.code);

    project.provide('temporalAddress', temporal.address);
    project.provide('temporalNamespace', temporal.namespace);
    project.provide('databaseUrl', databaseUrl);
    project.provide('workflowBundlePath', workflowBundlePath);
    log(`Temporal ${temporal.address}, Postgres ${postgres.port}, ready in ${Date.now() - started} ms`);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return cleanup;
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => log(`bundler: ${message}`),
  error: (message: string) => log(`bundler: ${message}`),
};
