// A worker process for the fault-injection suite: the real worker (createActionGateWorker) with the
// Postgres receipt store signing every receipt, the policies of a directory, and HTTP connectors to
// the suite's recording external system. Optionally it stops at named fault points (reported on
// stdout) so the suite can SIGKILL it there. Config: FAULT_WORKER_CONFIG (JSON), see FaultWorkerConfig.
import { readFile } from 'node:fs/promises';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import pg from 'pg';
import { connectorsFromRegistry } from '../../src/connectors/connectors-from-registry.js';
import { pausingFaultPoints } from '../../src/faults/fault-points.js';
import { parsePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { loadStaticPolicySource } from '../../src/policy/policy-source.js';
import { PgReceiptStore } from '../../src/store/receipt-store.js';
import { createActionGateWorker } from '../../src/worker/actiongate-worker.js';

export interface FaultWorkerConfig {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  databaseUrl: string;
  policiesDir: string;
  workflowBundlePath: string;
  /** The receipt signing key file's text. */
  receiptKey: string;
  /** Fault points to stop at (src/faults/fault-points.ts). */
  faultPoints: string[];
}

const out = (line: string) => process.stdout.write(`${line}\n`);

async function main(config: FaultWorkerConfig): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const { source, set, error } = await loadStaticPolicySource(config.policiesDir);
  if (!set) throw new Error(`policies did not load: ${error?.message}`);
  const pool = new pg.Pool({ connectionString: config.databaseUrl, connectionTimeoutMillis: 5_000, max: 10 });
  pool.on('error', () => undefined);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await createActionGateWorker({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    workflowBundle: { code: await readFile(config.workflowBundlePath, 'utf8') },
    policies: source,
    store: new PgReceiptStore(pool, { signer: parsePrivateKeyFile(config.receiptKey, 'receipt key') }),
    connectors: connectorsFromRegistry(set.registry),
    faultPoints: pausingFaultPoints(new Set(config.faultPoints), out),
    workerOptions: { shutdownGraceTime: '1s' },
  });
  process.once('SIGTERM', () => worker.shutdown());
  const running = worker.run();
  out('READY');
  await running;
  await connection.close();
  await pool.end();
}

main(JSON.parse(process.env.FAULT_WORKER_CONFIG ?? '{}') as FaultWorkerConfig).catch((err: unknown) => {
  process.stderr.write(`fault worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
