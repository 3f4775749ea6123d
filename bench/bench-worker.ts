// The bench's worker, run as a child process so its memory is its own: both variants (governed and
// bare) on one task queue, with the sample policies, the signed Postgres receipt store and connectors that
// answer at once (no HTTP), so what is measured is Temporal and the gate, not an external system.
import { readFile } from 'node:fs/promises';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import pg from 'pg';
import { ConnectorRegistry, defineConnector } from '../src/connectors/connector.js';
import { loadStaticPolicySource } from '../src/policy/policy-source.js';
import { PgReceiptStore } from '../src/store/receipt-store.js';
import { generatePrivateKeyFile, parsePrivateKeyFile } from '../src/keys/private-key-file.js';
import { createActionGateWorker } from '../src/worker/actiongate-worker.js';
import { TimedReceiptStore } from './timed-receipt-store.js';
import { createBareActivities } from './bare-activities.js';
import type { BenchWorkerConfig, FromWorker, ToWorker } from './worker-protocol.js';

function send(message: FromWorker): void {
  process.send?.(message);
}

async function main(config: BenchWorkerConfig): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const { source, set, error } = await loadStaticPolicySource(config.policiesDir);
  if (!set) throw new Error(`policies in ${config.policiesDir} did not load: ${error?.message}`);
  const surfaces = Object.keys(set.registry.surfaces).sort();
  const connectors = new ConnectorRegistry(surfaces.map((surface) => defineConnector(surface, async () => ({ ok: true }))));

  // The same pool settings as `actiongate worker` (src/cli/connect.ts).
  const pool = new pg.Pool({ connectionString: config.databaseUrl, connectionTimeoutMillis: 5_000, max: 10 });
  pool.on('error', () => undefined);
  await pool.query('SELECT 1');
  // Signed, as \`actiongate worker\` runs with a receipt key (a fresh one per bench run).
  const signer = parsePrivateKeyFile(JSON.stringify(generatePrivateKeyFile()), 'bench receipt key');
  const store = new TimedReceiptStore(new PgReceiptStore(pool, { signer }));

  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const workers = await Promise.all(
    config.queues.map(async ({ taskQueue, workflowBundlePath }) =>
      createActionGateWorker({
        connection,
        namespace: config.namespace,
        taskQueue,
        workflowBundle: { code: await readFile(workflowBundlePath, 'utf8') },
        policies: source,
        store,
        connectors,
        additionalActivities: createBareActivities(connectors),
        workerOptions: { shutdownGraceTime: '5s' },
      }),
    ),
  );
  const shutdown = () => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  };

  process.on('message', (message: ToWorker) => {
    if (message.type === 'drain-timings') send({ type: 'timings', timings: store.drain(), rss: process.memoryUsage().rss });
    if (message.type === 'stop') shutdown();
  });
  // The parent going away must not leave a polling worker behind.
  process.on('disconnect', shutdown);

  const running = Promise.all(workers.map((worker) => worker.run()));
  send({ type: 'ready', policyDigest: set.digest, surfaces });
  try {
    await running;
  } finally {
    await connection.close();
    await pool.end();
  }
}

process.once('message', (message: ToWorker) => {
  if (message.type !== 'start') return;
  const disconnect = () => {
    if (process.connected) process.disconnect();
  };
  main(message.config).then(disconnect, (err: unknown) => {
    send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exitCode = 1;
    disconnect();
  });
});
