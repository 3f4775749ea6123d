import { connectorsFromRegistry } from '../../connectors/connectors-from-registry.js';
import { ConnectorRegistry } from '../../connectors/connector.js';
import { loadStaticPolicySource } from '../../policy/policy-source.js';
import { migrate } from '../../store/migrate.js';
import { PgReceiptStore } from '../../store/receipt-store.js';
import { ensureSearchAttributes } from '../../temporal/search-attributes.js';
import { createActionGateWorker } from '../../worker/actiongate-worker.js';
import { connectClient, connectDatabase, connectWorker } from '../connect.js';
import { ENVIRONMENT_HELP, type ActionGateConfig } from '../config.js';

export const WORKER_HELP = `Usage: actiongate worker

Runs an ActionGate worker until SIGINT or SIGTERM, then finishes in-flight tasks and exits.
At start it applies database migrations, registers the search attributes ActionSurface,
ActionOutcome, ActionActor and PolicyDigest (waiting up to 60 s for a Temporal server or
namespace that is still starting), and loads the policies. Policies that cannot be
loaded do not stop the worker: every action is then answered SILENCE (policy_unavailable).

${ENVIRONMENT_HELP}`;

/** A server (or namespace) that is still starting answers UNAVAILABLE or NOT_FOUND for a while. */
const TEMPORAL_STARTUP_WAIT_MS = 60_000;

async function registerSearchAttributes(config: ActionGateConfig, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + TEMPORAL_STARTUP_WAIT_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      const { connection } = await connectClient(config);
      try {
        const added = await ensureSearchAttributes(connection, config.temporalNamespace);
        if (added.length > 0) log(`registered search attributes: ${added.join(', ')}`);
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw err;
      const message = (err as Error).message.split('\n')[0];
      log(`Temporal not ready (attempt ${attempt}: ${message}); retrying for up to ${TEMPORAL_STARTUP_WAIT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 500 * attempt)));
    }
  }
}

export async function workerCommand(config: ActionGateConfig, log: (line: string) => void): Promise<number> {
  const pool = await connectDatabase(config);
  try {
    const migrated = await migrate(pool);
    if (migrated.applied.length > 0) log(`applied migrations: ${migrated.applied.join(', ')}`);

    const { source, set, error } = await loadStaticPolicySource(config.policiesDir);
    if (error) {
      log(`POLICIES UNAVAILABLE from ${config.policiesDir}: ${error.message}`);
      log('every action will be refused with SILENCE (policy_unavailable) until the policies are fixed and the worker restarted');
    } else if (set) {
      log(`policies ${set.digest} loaded from ${config.policiesDir}: surfaces ${Object.keys(set.registry.surfaces).sort().join(', ')}`);
    }

    await registerSearchAttributes(config, log);

    const connection = await connectWorker(config);
    try {
      const worker = await createActionGateWorker({
        connection,
        namespace: config.temporalNamespace,
        taskQueue: config.taskQueue,
        policies: source,
        store: new PgReceiptStore(pool),
        connectors: set ? connectorsFromRegistry(set.registry) : new ConnectorRegistry(),
      });
      log(`worker polling task queue ${config.taskQueue} on ${config.temporalAddress} (namespace ${config.temporalNamespace}); Ctrl-C to stop`);
      await worker.run();
      log('worker stopped');
      return 0;
    } finally {
      await connection.close();
    }
  } finally {
    await pool.end();
  }
}
