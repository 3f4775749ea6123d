import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { connectorsFromRegistry } from '../../connectors/connectors-from-registry.js';
import { ConnectorRegistry } from '../../connectors/connector.js';
import { PolicyConnectors } from '../../connectors/policy-connectors.js';
import { loadKeySet } from '../../keys/key-set-schema.js';
import { BundleStorePolicySource } from '../../policy/bundle-policy-source.js';
import { loadStaticPolicySource, type PolicySource } from '../../policy/policy-source.js';
import { PgBundleStore } from '../../store/bundle-store.js';
import { migrate } from '../../store/migrate.js';
import { PgReceiptStore } from '../../store/receipt-store.js';
import { parseCheckpointDestination, type CheckpointDestination } from '../../store/checkpoint-destination.js';
import { CheckpointPublisher } from '../../store/checkpoint-publisher.js';
import { resolve } from 'node:path';
import { pgListenerFactory } from '../../store/pg-listener.js';
import { readPrivateKeyFile } from '../../keys/private-key-file.js';
import { verifyEd25519 } from '../../keys/ed25519-verify.js';
import type { Signer } from '../../keys/signer.js';
import { ensureSearchAttributes } from '../../temporal/search-attributes.js';
import { startHealthServer } from '../../worker/health-server.js';
import { GateMetrics, type PolicyBundleState } from '../../metrics/gate-metrics.js';
import { freePort } from '../../devstack/free-port.js';
import type { CompiledPolicySet } from '../../policy/policy-set.js';
import { Runtime } from '@temporalio/worker';
import { createActionGateWorker, loadWorkflowBundle } from '../../worker/actiongate-worker.js';
import { registerOtlpTracing, type ActionGateTracing } from '../../tracing/tracing.js';
import type { LogLine } from '../../logging/log-line.js';
import type { WorkerLogging } from '../worker-logger.js';
import { connectClient, connectWorker, waitForDatabase } from '../connect.js';
import type { ActionGateConfig } from '../config.js';
import { CliError } from '../cli-error.js';
import { DEFAULT_LOG_ORIGIN } from './checkpoint.js';

/** ACTIONGATE_CHECKPOINT_PUBLISH read: a file path (resolved here) or an http(s) URL; it needs the receipt key. */
function checkpointDestination(config: ActionGateConfig): CheckpointDestination | undefined {
  if (config.checkpointPublish === undefined) return undefined;
  if (config.receiptSigningKey === undefined) throw new CliError('USAGE', 'ACTIONGATE_CHECKPOINT_PUBLISH needs ACTIONGATE_RECEIPT_KEY: checkpoint notes are signed with the receipt key');
  let destination: CheckpointDestination;
  try {
    destination = parseCheckpointDestination(config.checkpointPublish);
  } catch (err) {
    throw new CliError('USAGE', (err as Error).message);
  }
  return destination.kind === 'file' ? { kind: 'file', path: resolve(destination.path) } : destination;
}

/** A server (or namespace) that is still starting answers UNAVAILABLE or NOT_FOUND for a while. */
const TEMPORAL_STARTUP_WAIT_MS = 60_000;

async function registerSearchAttributes(config: ActionGateConfig, log: LogLine, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + TEMPORAL_STARTUP_WAIT_MS;
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      const { connection } = await connectClient(config);
      try {
        const added = await ensureSearchAttributes(connection, config.temporalNamespace);
        if (added.length > 0) log(`registered search attributes: ${added.join(', ')}`, { searchAttributes: added });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw err;
      const message = (err as Error).message.split('\n')[0];
      log(`Temporal not ready (attempt ${attempt}: ${message}); retrying for up to ${TEMPORAL_STARTUP_WAIT_MS / 1000} s`, { level: 'warn', attempt, error: message ?? null });
      await sleep(Math.min(5_000, 500 * attempt), undefined, { signal }).catch(() => undefined);
    }
  }
}

/**
 * SIGINT and SIGTERM while the worker is starting (waiting for Postgres or Temporal): stop the
 * start and exit 0. Once the Temporal worker runs, its runtime handles them (drain, then stop).
 */
function stopOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  const signals = ['SIGINT', 'SIGTERM'] as const;
  for (const name of signals) process.on(name, stop);
  return { signal: controller.signal, dispose: () => signals.forEach((name) => process.off(name, stop)) };
}

export async function workerCommand(config: ActionGateConfig, logging: WorkerLogging): Promise<number> {
  const { log } = logging;
  // Configuration mistakes stop the worker before it waits for anything.
  const httpPort = parseHttpPort(config.httpPort);
  const publishTo = checkpointDestination(config);
  await checkPolicyFolder(config);
  // Before anything that could create the default runtime (which logs plain text): one install per process.
  const telemetry = await installRuntime(logging, httpPort !== undefined);
  const tracing = await startTracing(config, log);
  try {
    return await runWorker(config, logging, httpPort, publishTo, telemetry, tracing);
  } finally {
    await stopTracing(tracing, log);
  }
}

async function runWorker(
  config: ActionGateConfig,
  logging: WorkerLogging,
  httpPort: number | undefined,
  publishTo: CheckpointDestination | undefined,
  telemetry: { url: string } | undefined,
  tracing: ActionGateTracing | undefined,
): Promise<number> {
  const { log } = logging;
  const starting = stopOnSignals();
  const stoppedEarly = () => {
    log('stopped before the worker started');
    return 0;
  };
  try {
    // Postgres not there yet (or gone during the migrations) is waited for, not a reason to exit.
    const database = await waitForDatabase(config, { log, signal: starting.signal, ready: (pool) => migrate(pool) });
    if (!database) return stoppedEarly();
    const { pool, ready: migrated } = database;
    try {
      if (migrated.applied.length > 0) log(`applied migrations: ${migrated.applied.join(', ')}`, { migrations: migrated.applied });

      const signer = config.receiptSigningKey === undefined ? undefined : await readPrivateKeyFile(config.receiptSigningKey);
      if (signer) log(`receipts signed with ${signer.keyId} into the hash-chained log`, { receiptKeyId: signer.keyId });
      else log('receipts NOT signed (ACTIONGATE_RECEIPT_KEY is not set)', { level: 'warn' });
      const policies = config.bundleKeys === undefined ? await directoryPolicies(config, log) : await storePolicies(config, config.bundleKeys, pool, log);
      try {
        await registerSearchAttributes(config, log, starting.signal);
        if (starting.signal.aborted) return stoppedEarly();

        const metrics = httpPort === undefined ? undefined : new GateMetrics({ bundle: bundleState(policies) });
        const publisher =
          publishTo && signer
            ? new CheckpointPublisher({ pool, signer, origin: config.logOrigin ?? DEFAULT_LOG_ORIGIN, destination: publishTo, log, ...(metrics ? { metrics } : {}) })
            : undefined;
        const connection = await connectWorker(config);
        try {
          const worker = await createActionGateWorker({
            connection,
            // The prebuilt bundle, or the workflows bundled now with the bundler's statistics at debug
            // (always with tracing: the OpenTelemetry workflow interceptors must be in the bundle).
            workflowBundle: await loadWorkflowBundle(logging.bundler, { tracing: tracing !== undefined }),
            ...(tracing ? { tracing } : {}),
            namespace: config.temporalNamespace,
            taskQueue: config.taskQueue,
            policies: policies.source,
            store: new PgReceiptStore(pool, signer ? { signer, ...(publisher ? { onCheckpoint: () => publisher.notify() } : {}) } : {}),
            connectors: policies.connectors,
            ...(metrics ? { metrics } : {}),
          });
          starting.dispose();
          if (starting.signal.aborted) return stoppedEarly();
          const health = httpPort === undefined ? undefined : await startHealthServer({
            port: httpPort,
            checks: {
              worker: async () => worker.getState() === 'RUNNING',
              postgres: async () => (await pool.query('SELECT 1')).rowCount === 1,
              policies: async () => (await policies.source.active()) !== undefined,
              // The key signs, and its signature verifies with its public key (a key file whose halves disagree would not).
              ...(signer ? { receiptKey: async () => receiptKeySigns(signer) } : {}),
            },
            ...(metrics ? { metrics: async () => mergedMetrics(metrics, telemetry) } : {}),
          });
          if (publisher) {
            log(`checkpoint notes of ${config.logOrigin ?? DEFAULT_LOG_ORIGIN} published to ${publisher.name} after each checkpoint`, { checkpointPublish: publisher.name });
            publisher.notify(); // one the last run may not have published
          }
          if (health) log(`health on http://0.0.0.0:${httpPort}/healthz and /readyz, metrics on /metrics`, { httpPort: httpPort ?? null });
          try {
            log(`worker polling task queue ${config.taskQueue} on ${config.temporalAddress} (namespace ${config.temporalNamespace}); Ctrl-C to stop`, {
              taskQueue: config.taskQueue,
              temporalAddress: config.temporalAddress,
              namespace: config.temporalNamespace,
            });
            await worker.run();
          } finally {
            health?.close();
          }
          log('worker stopped');
          return 0;
        } finally {
          await publisher?.close();
          await connection.close();
        }
      } finally {
        await policies.close();
      }
    } finally {
      await pool.end();
    }
  } finally {
    starting.dispose();
  }
}

/** OpenTelemetry traces when the OTEL_* variables ask for them (config.tracing); undefined when off. */
async function startTracing(config: ActionGateConfig, log: LogLine): Promise<ActionGateTracing | undefined> {
  const settings = config.tracing;
  if (!settings.enabled) {
    if (settings.ignored) log(settings.ignored, { level: 'warn' });
    return undefined;
  }
  const tracing = await registerOtlpTracing({ serviceName: settings.serviceName });
  log(`traces exported over OTLP/HTTP as service ${settings.serviceName}`, { tracing: 'otlp', serviceName: settings.serviceName });
  return tracing;
}

/** Sends the spans still queued; a collector that does not answer does not hold up the exit for long. */
async function stopTracing(tracing: ActionGateTracing | undefined, log: LogLine): Promise<void> {
  if (!tracing) return;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), TRACING_FLUSH_MS);
  });
  const flushed = await Promise.race([tracing.shutdown().then(() => 'flushed' as const, (err: unknown) => err), timedOut]);
  clearTimeout(timer);
  if (flushed === 'timeout') log(`traces: spans not sent within ${TRACING_FLUSH_MS / 1000} s at exit, dropped`, { level: 'warn' });
  else if (flushed !== 'flushed') log(`traces: flushing spans at exit failed: ${(flushed as Error).message}`, { level: 'warn' });
}

const TRACING_FLUSH_MS = 5_000;

/**
 * The Temporal runtime, installed once: the SDK's and the core's logs into the worker's logger
 * (the core's forwarded, filtered at the worker's level), and with `metrics`, the SDK's own worker
 * metrics (task slots, poll and schedule-to-start latencies, ...): the core's Prometheus exporter
 * on a loopback port nobody else sees, merged into this worker's one /metrics endpoint, so a
 * deployment scrapes one target and opens one port. Returns that exporter's URL.
 */
async function installRuntime(logging: WorkerLogging, metrics: boolean): Promise<{ url: string } | undefined> {
  const port = metrics ? await freePort() : undefined;
  Runtime.install({
    logger: logging.sdk,
    telemetryOptions: {
      logging: { forward: {}, filter: logging.coreFilter },
      ...(port === undefined ? {} : { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}`, countersTotalSuffix: true } } }),
    },
  });
  return port === undefined ? undefined : { url: `http://127.0.0.1:${port}/metrics` };
}

/** The gate's metrics, then the SDK's (a line says so when the SDK's exporter did not answer). */
async function mergedMetrics(metrics: GateMetrics, telemetry: { url: string } | undefined): Promise<string> {
  const own = await metrics.render();
  if (!telemetry) return own;
  const sdk = await fetch(telemetry.url, { signal: AbortSignal.timeout(1_000), redirect: 'manual' })
    .then((res) => (res.ok ? res.text() : `# Temporal SDK metrics: HTTP ${res.status}\n`))
    .catch((err: unknown) => `# Temporal SDK metrics unavailable: ${(err as Error).message}\n`);
  return `${own}${own.endsWith('\n') ? '' : '\n'}${sdk}`;
}

/** The active policy set as the info metric reports it; the load time is when this worker first held that digest. */
function bundleState(policies: { current: () => CompiledPolicySet | undefined; verification: 'verified' | 'unsigned' }): () => PolicyBundleState | undefined {
  const firstSeen = new Map<string, Date>();
  return () => {
    const set = policies.current();
    if (!set) return { digest: 'none', version: null, verification: 'unavailable', loadedAt: new Date(0) };
    if (!firstSeen.has(set.digest)) firstSeen.set(set.digest, new Date());
    return { digest: set.digest, version: set.version, verification: policies.verification, loadedAt: firstSeen.get(set.digest) as Date };
  };
}

/**
 * Directory mode: a policy folder that is not there is a typo or a missing mount. Stop at once,
 * rather than look like a healthy worker that refuses everything (policies that are there but do
 * not load are refused with SILENCE, and said so, instead).
 */
async function checkPolicyFolder(config: ActionGateConfig): Promise<void> {
  if (config.bundleKeys !== undefined) return;
  const found = await stat(config.policiesDir).catch(() => undefined);
  if (!found?.isDirectory()) {
    throw new CliError('USAGE', `ACTIONGATE_POLICIES: ${config.policiesDir} is not a directory (set ACTIONGATE_POLICIES to the policy folder, or ACTIONGATE_BUNDLE_KEYS for signed bundles)`);
  }
}

/** ACTIONGATE_HTTP_PORT: a port number, checked before anything starts. */
function parseHttpPort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65_535) throw new CliError('USAGE', `ACTIONGATE_HTTP_PORT must be a port number (1-65535), not ${JSON.stringify(value)}`);
  return port;
}

interface WorkerPolicies {
  source: PolicySource;
  connectors: ConnectorRegistry;
  close(): Promise<void>;
  /** The policy set in use now, without a store round trip (for the metrics); undefined when none is. */
  current(): CompiledPolicySet | undefined;
  verification: 'verified' | 'unsigned';
}

/** Development mode: the policy directory, unsigned, read once. */
async function directoryPolicies(config: ActionGateConfig, log: LogLine): Promise<WorkerPolicies> {
  log(`policies from directory (unsigned, development mode): ${config.policiesDir}; set ACTIONGATE_BUNDLE_KEYS to use signed bundles from the bundle store`, { policyMode: 'directory', policiesDir: config.policiesDir });
  const { source, set, error } = await loadStaticPolicySource(config.policiesDir);
  if (error) {
    const fields = { level: 'error', policiesDir: config.policiesDir, error: error.message } as const;
    log(`POLICIES UNAVAILABLE from ${config.policiesDir}: ${error.message}`, fields);
    log('every action will be refused with SILENCE (policy_unavailable) until the policies are fixed and the worker restarted', { level: 'error' });
  } else if (set) {
    const surfaces = Object.keys(set.registry.surfaces).sort();
    log(`policies ${set.digest} loaded from ${config.policiesDir}: surfaces ${surfaces.join(', ')}`, { policyDigest: set.digest, surfaces });
  }
  // A connector secret that is missing is a deployment error: it stops the worker here
  // (CONNECTOR_SECRET_UNAVAILABLE naming the surface, header and variable or file).
  return { source, connectors: set ? connectorsFromRegistry(set.registry) : new ConnectorRegistry(), close: async () => undefined, current: () => set, verification: 'unsigned' as const };
}

/**
 * Store mode: the active signed bundle, followed without a restart. Connectors are resolved per
 * dispatch from the bundle the action was pinned to (built once per digest), so an activation that
 * changes a surface's system needs no restart either, and never redirects an action in flight.
 */
async function storePolicies(config: ActionGateConfig, keysFile: string, pool: pg.Pool, log: LogLine): Promise<WorkerPolicies> {
  // A key set that cannot be read is a configuration error: stop here rather than refuse every action.
  const trusted = await loadKeySet(keysFile);
  const keys = trusted.keys.filter((key) => key.purpose === 'policy-bundle').map((key) => key.keyId);
  log(`policies from the bundle store (signed bundles, trusted keys from ${keysFile}: ${keys.join(', ') || 'none for policy-bundle'})`, { policyMode: 'store', trustedKeys: keys });
  const databaseUrl = config.databaseUrl as string; // waitForDatabase succeeded, so it is set
  const connectors = new PolicyConnectors({ current: () => source.lastVerifiedActive(), pinned: (digest) => source.pinned(digest) });
  const source: BundleStorePolicySource = new BundleStorePolicySource({
    store: new PgBundleStore(pool),
    trusted,
    log,
    connectListener: pgListenerFactory(databaseUrl),
    // Every bundle's connector secrets are resolved when it is loaded: one whose secrets are
    // missing is rejected (POLICY BUNDLE REJECTED: CONNECTOR_SECRET_UNAVAILABLE), never used.
    accept: (set) => connectors.prepare(set),
  });
  const state = await source.start();
  if (state.kind === 'rejected' && state.code === 'CONNECTOR_SECRET_UNAVAILABLE') {
    // At start this is the deployment's fault, not the bundle's: stop rather than refuse every action.
    await source.close();
    throw state.error;
  }
  if (state.kind === 'ready') log(`policy mode store: active bundle ${state.set.version} (${state.set.digest})`, { policyVersion: state.set.version, policyDigest: state.set.digest });
  else log(`policy mode store: no usable active bundle (${state.kind}); every action is refused with SILENCE (policy_unavailable) until one is activated`, { level: 'error', policyState: state.kind });
  return {
    source,
    connectors,
    close: () => source.close(),
    current: () => {
      const held = source.status();
      return held.kind === 'ready' ? held.set : undefined;
    },
    verification: 'verified' as const,
  };
}

/** Whether the receipt key signs a probe that verifies with its own public key. */
function receiptKeySigns(signer: Signer): boolean {
  const probe = new TextEncoder().encode('actiongate/readiness-probe/v1');
  return verifyEd25519(signer.publicKey, probe, signer.sign(probe));
}
