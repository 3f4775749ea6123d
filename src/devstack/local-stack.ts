import { join } from 'node:path';
import { isPortFree } from './free-port.js';
import { startLocalPostgres, type LocalPostgres } from './local-postgres.js';
import { findOrInstallTemporalCli } from './temporal-cli.js';
import { startTemporalDevServer, type TemporalDevServer } from './temporal-dev-server.js';

export interface LocalStackOptions {
  /** Project-local state: the Temporal SQLite file and the Postgres data directory. */
  dataDir: string;
  /** Where a missing Temporal CLI is installed. */
  toolsDir: string;
  namespace: string;
  /** Use this Temporal server instead of starting one. */
  temporalAddress?: string;
  /** Use this database instead of starting Postgres. */
  databaseUrl?: string;
  log: (line: string) => void;
}

export interface LocalStack {
  temporalAddress: string;
  namespace: string;
  /** The Temporal Web UI, when this stack started the server. */
  uiUrl: string | null;
  databaseUrl: string;
  stop(): Promise<void>;
}

const TEMPORAL_PORT = 7233;
const TEMPORAL_UI_PORT = 8233;
const DATABASE_NAME = 'actiongate';

/**
 * Temporal and Postgres for a laptop: whatever is configured, else a Temporal dev server (UI,
 * state kept in a SQLite file) and an embedded Postgres, both with their data under `dataDir`,
 * so a second start finds the first one's runs and receipts.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of stops.splice(0).reverse()) await fn().catch((err) => options.log(`stopping: ${(err as Error).message}`));
  };
  try {
    const [temporal, postgres] = await Promise.all([startTemporal(options), startPostgres(options)]);
    if (temporal.server) stops.push(() => temporal.server!.stop());
    if (postgres.server) stops.push(() => postgres.server!.stop());
    return {
      temporalAddress: temporal.address,
      namespace: options.namespace,
      uiUrl: temporal.server?.uiUrl ?? null,
      databaseUrl: postgres.url,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startTemporal(options: LocalStackOptions): Promise<{ address: string; server?: TemporalDevServer }> {
  if (options.temporalAddress) {
    options.log(`Temporal: ${options.temporalAddress} (TEMPORAL_ADDRESS)`);
    return { address: options.temporalAddress };
  }
  const cliPath = await findOrInstallTemporalCli({ toolsDir: options.toolsDir, log: options.log });
  // The usual ports when they are free, so the UI link is the familiar one; any free ones otherwise.
  const port = (await isPortFree(TEMPORAL_PORT)) ? TEMPORAL_PORT : 0;
  const uiPort = (await isPortFree(TEMPORAL_UI_PORT)) ? TEMPORAL_UI_PORT : undefined;
  const server = await startTemporalDevServer({
    cliPath,
    port,
    ...(uiPort === undefined ? {} : { uiPort }),
    dbFile: join(options.dataDir, 'temporal.sqlite'),
    namespace: options.namespace,
    log: options.log,
  });
  return { address: server.address, server };
}

async function startPostgres(options: LocalStackOptions): Promise<{ url: string; server?: LocalPostgres }> {
  if (options.databaseUrl) {
    options.log('Postgres: DATABASE_URL');
    return { url: options.databaseUrl };
  }
  const server = await startLocalPostgres({ dataDir: join(options.dataDir, 'postgres'), log: options.log });
  try {
    return { url: await server.createDatabase(DATABASE_NAME), server };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
