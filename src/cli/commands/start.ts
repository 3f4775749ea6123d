import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, makeTelemetryFilterString, type Worker } from '@temporalio/worker';
import { ActionGateClient } from '../../client/actiongate-client.js';
import { ConnectorRegistry, defineConnector } from '../../connectors/connector.js';
import { httpConnector } from '../../connectors/http-connector.js';
import { DEMO_API_KEY, demoPrivateKeyFile } from '../../demo/demo-keys.js';
import { demoScenario } from '../../demo/demo-scenario.js';
import { ActionGateHttpClient } from '../../client/http-client.js';
import { resolveApiConfig } from '../../server/api-config.js';
import { hashApiKey } from '../../server/authenticate.js';
import { createApiServer } from '../../server/http-api.js';
import { renderDemoTable } from '../../demo/demo-table.js';
import { startRecordingHttpServer } from '../../demo/recording-http-server.js';
import { runDemo } from '../../demo/run-demo.js';
import { slowPolicySource } from '../../demo/slow-policy-source.js';
import { isPortFree } from '../../devstack/free-port.js';
import { startLocalStack } from '../../devstack/local-stack.js';
import { loadStaticPolicySource } from '../../policy/policy-source.js';
import { generatePrivateKeyFile, readPrivateKeyFile, writePrivateKeyFile } from '../../keys/private-key-file.js';
import type { KeySet } from '../../keys/key-set.js';
import type { Signer } from '../../keys/signer.js';
import { formatProblem, nobleBackend, verifyLog } from '../../receipt/verify/index.js';
import { exportReceiptLog } from '../../store/receipt-export.js';
import { migrate } from '../../store/migrate.js';
import { PgReceiptStore } from '../../store/receipt-store.js';
import { parseCheckpointDestination } from '../../store/checkpoint-destination.js';
import { CheckpointPublisher } from '../../store/checkpoint-publisher.js';
import { DEFAULT_LOG_ORIGIN } from './checkpoint.js';
import { ensureSearchAttributes } from '../../temporal/search-attributes.js';
import { createActionGateWorker, loadWorkflowBundle } from '../../worker/actiongate-worker.js';
import { ActionGateError } from '../../errors.js';
import { PACKAGE_ROOT } from '../../package-root.js';
import { CliError } from '../cli-error.js';
import type { ActionGateConfig } from '../config.js';
import { connectClient, connectDatabase, connectWorker, redactUrl } from '../connect.js';

const TOOLS_DIR = join(PACKAGE_ROOT, '.tools');
/** The slow demo gate's policy store answers after this; the sample surfaces' budget is 2 s. */
const SLOW_POLICY_STORE_MS = 3_000;

export async function startCommand(
  config: ActionGateConfig,
  options: { once: boolean },
  io: { out: (line: string) => void; log: (line: string) => void },
): Promise<number> {
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  io.log(`starting ActionGate (state in ${config.dataDir})`);
  // The demo's table is the output; the SDK's own lines only when something is wrong.
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });

  let stack: Awaited<ReturnType<typeof startLocalStack>>;
  try {
    stack = await startLocalStack({
      dataDir: config.dataDir,
      toolsDir: TOOLS_DIR,
      namespace: config.temporalNamespace,
      ...(config.temporalAddressSet ? { temporalAddress: config.temporalAddress } : {}),
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
      log: io.log,
    });
  } catch (err) {
    if (err instanceof ActionGateError) throw err;
    throw new CliError('UNAVAILABLE', `could not start the local Temporal and Postgres: ${(err as Error).message.split('\n')[0]}`, undefined, { cause: err });
  }
  // What this stack runs on, for the connection helpers (their errors name what to fix, passwords redacted).
  const stackConfig: ActionGateConfig = { ...config, temporalAddress: stack.temporalAddress, temporalNamespace: stack.namespace, databaseUrl: stack.databaseUrl };
  const cleanups: Array<() => Promise<unknown>> = [() => stack.stop()];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((err) => io.log(`stopping: ${(err as Error).message}`));
  };

  try {
    const pool = await connectDatabase(stackConfig);
    cleanups.push(() => pool.end());
    const migrated = await migrate(pool);
    if (migrated.applied.length > 0) io.log(`applied migrations: ${migrated.applied.join(', ')}`);

    const { connection } = await connectClient(stackConfig);
    cleanups.push(() => connection.close());
    await ensureSearchAttributes(connection, stack.namespace);

    const { source, set, error } = await loadStaticPolicySource(config.policiesDir);
    if (error) io.log(`POLICIES UNAVAILABLE from ${config.policiesDir}: ${error.message} — every action will be SILENCE`);
    else if (set) io.log(`policies ${set.digest} loaded from ${config.policiesDir}`);

    const sink = await startRecordingHttpServer();
    cleanups.push(() => sink.close());
    const surfaces = set ? Object.keys(set.registry.surfaces) : [];
    const connectors = new ConnectorRegistry(surfaces.map((s) => defineConnector(s, httpConnector({ url: sink.url(`/${s}`) }))));
    io.log(`demo external system on ${sink.url('/')} (stands in for the systems each surface's connector calls)`);

    const workerConnection = await connectWorker(stackConfig);
    cleanups.push(() => workerConnection.close());
    const workflowBundle = await loadWorkflowBundle(quiet(io.log));
    const receipts = await demoReceiptKey(config, io.log);
    // Checkpoint notes after each checkpoint, as a worker with ACTIONGATE_CHECKPOINT_PUBLISH writes them.
    const notePath = join(config.dataDir, 'checkpoint.note');
    const publisher = new CheckpointPublisher({
      pool,
      signer: receipts.signer,
      origin: config.logOrigin ?? DEFAULT_LOG_ORIGIN,
      destination: parseCheckpointDestination(notePath),
      log: (line) => io.log(line),
    });
    cleanups.push(() => publisher.close());
    const store = new PgReceiptStore(pool, { signer: receipts.signer, checkpointEvery: 10, onCheckpoint: () => publisher.notify() });
    const slowQueue = `${config.taskQueue}-demo-slow-gate`;
    const workers: Worker[] = await Promise.all([
      createActionGateWorker({ connection: workerConnection, namespace: stack.namespace, taskQueue: config.taskQueue, workflowBundle, policies: source, store, connectors }),
      createActionGateWorker({
        connection: workerConnection,
        namespace: stack.namespace,
        taskQueue: slowQueue,
        workflowBundle,
        policies: slowPolicySource(source, SLOW_POLICY_STORE_MS),
        store,
        connectors,
      }),
    ]);
    const running = Promise.all(workers.map((w) => w.run()));
    cleanups.push(async () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
    });
    io.log(`worker polling task queue ${config.taskQueue} (and ${slowQueue} for the demo's slow gate), ready after ${elapsed()}`);

    const client = new Client({ connection, namespace: stack.namespace });
    const api = await startDemoApi(config, { client, pool, keySetPath: receipts.keySetPath, log: io.log });
    cleanups.push(() => api.close());
    const runId = `demo-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`;
    const steps = demoScenario(runId);
    io.out(`\nDemo ${runId}: ${steps.length} governed actions\n`);
    const rows = await runDemo(steps, {
      gates: {
        normal: new ActionGateClient({ client, taskQueue: config.taskQueue }),
        slow: new ActionGateClient({ client, taskQueue: slowQueue }),
        http: new ActionGateHttpClient({ baseUrl: api.url, apiKey: DEMO_API_KEY }),
      },
      callsFor: (key) => sink.callsFor(key).length,
      progress: (line) => io.log(line),
    });
    io.out(`\n${renderDemoTable(rows)}\n`);
    const mismatches = rows.filter((r) => r.outcome !== r.expected);
    if (rows[0]) io.out(`start-up to first decision: ${((rows[0].decidedAt - started) / 1000).toFixed(1)} s`);
    if (stack.uiUrl) {
      const query = encodeURIComponent(`WorkflowId STARTS_WITH "${runId}"`);
      io.out(`Temporal UI, this demo's workflows: ${stack.uiUrl}/namespaces/${stack.namespace}/workflows?query=${query}`);
    } else {
      io.out(`Find this demo's workflows in your Temporal UI with: WorkflowId STARTS_WITH "${runId}"`);
    }
    await publisher.idle();
    const published = await readFile(notePath, 'utf8').catch(() => undefined);
    const log: string[] = [];
    for await (const line of exportReceiptLog(pool)) log.push(line);
    const audit = verifyLog(log, receipts.keySet, nobleBackend, published === undefined ? {} : { trustedCheckpoint: published });
    io.out(
      `receipt log: ${audit.receipts.length} signed receipts, ${audit.checkpoints.length} checkpoint(s): ` +
        (audit.ok ? 'chain and signatures verify with the public key only' : `${audit.problems.length} PROBLEM(S)`) +
        (published === undefined ? '' : `; it extends the checkpoint note of ${published.split('\n')[1]} receipts in ${notePath}`),
    );
    for (const problem of audit.problems) io.out(`  ${formatProblem(problem)}`);
    io.out(
      `  check it yourself, with DATABASE_URL=${redactUrl(stack.databaseUrl)}` +
        (config.databaseUrl ? ' (yours)' : ' (the embedded Postgres; its development password is in src/devstack/local-postgres.ts)') +
        `:\n    npx actiongate receipts export | npx actiongate verify --keys ${receipts.keySetPath}${published === undefined ? '' : ` --checkpoint ${notePath}`} -`,
    );
    if (mismatches.length > 0) io.out(`UNEXPECTED: ${mismatches.map((r) => `#${r.step} ${r.outcome} (expected ${r.expected})`).join('; ')}`);

    if (options.once) return mismatches.length === 0 && audit.ok ? 0 : 1;

    io.out(`\nActionGate is running. Submit your own actions from another terminal:
  TEMPORAL_ADDRESS=${stack.temporalAddress} npx actiongate submit request.json
or over the HTTP API (OpenAPI: ${api.url}/openapi.json), as agent-42 with the demo API key:
  curl -sS ${api.url}/v1/actions -H 'Authorization: Bearer ${DEMO_API_KEY}' -H 'Content-Type: application/json' \\
    -H 'Idempotency-Key: example-payment-0001' -H 'Prefer: wait=10' --data @examples/payments-transfer.json
Dispatches go to the demo external system. Ctrl-C stops everything.`);
    await running; // the Temporal runtime shuts the workers down on SIGINT/SIGTERM
    io.log('stopping');
    return 0;
  } finally {
    await cleanup();
  }
}

/**
 * The demo's HTTP API, in front of the normal gate: agent-42 authenticates with the public demo API
 * key, and the API attests it with the demo gateway key (actiongate-http in the sample principals).
 * On ACTIONGATE_API_PORT (default 8080), or any free port when that one is taken. Development only.
 */
async function startDemoApi(
  config: ActionGateConfig,
  deps: { client: Client; pool: Awaited<ReturnType<typeof connectDatabase>>; keySetPath: string; log: (line: string) => void },
): Promise<{ url: string; close: () => Promise<unknown> }> {
  const dir = join(config.dataDir, 'keys');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const gatewayKey = join(dir, 'gateway.key.json');
  if (!existsSync(gatewayKey)) await writePrivateKeyFile(gatewayKey, demoPrivateKeyFile('actiongate-http'));
  const loaded = await resolveApiConfig(
    {
      auth: { apiKeys: [{ principal: 'agent-42', sha256: hashApiKey(DEMO_API_KEY) }] },
      gateway: { id: 'actiongate-http', key: gatewayKey },
      keySets: [deps.keySetPath],
    },
    dir,
    'the demo API configuration',
  );
  const app = await createApiServer({ loaded, client: deps.client, taskQueue: config.taskQueue, pool: deps.pool, log: () => {} });
  const wanted = Number(config.apiPort ?? '8080');
  const free = Number.isInteger(wanted) && wanted > 0 && wanted < 65_536 && (await isPortFree(wanted));
  if (!free) deps.log(`port ${config.apiPort ?? '8080'} is taken or not a port: the HTTP API listens on another one`);
  await app.listen({ port: free ? wanted : 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : wanted}`;
  deps.log(`HTTP API on ${url} (demo API key of agent-42: ${DEMO_API_KEY})`);
  return { url, close: () => app.close() };
}

/**
 * The demo's receipt signing key: made once under the data dir (mode 0600) with its public key
 * set beside it, so the demo's log is signed like a production one. Development only.
 */
async function demoReceiptKey(config: ActionGateConfig, log: (line: string) => void): Promise<{ signer: Signer; keySet: KeySet; keySetPath: string }> {
  const dir = join(config.dataDir, 'keys');
  const keyPath = join(dir, 'receipt.key.json');
  const keySetPath = join(dir, 'receipt-keyset.json');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(keyPath)) {
    await writePrivateKeyFile(keyPath, generatePrivateKeyFile());
    log(`made a development receipt signing key in ${keyPath}`);
  }
  const signer = await readPrivateKeyFile(keyPath);
  const keySet: KeySet = { version: 1, keys: [{ keyId: signer.keyId, publicKey: signer.publicKey, purpose: 'receipt' }] };
  await writeFile(keySetPath, `${JSON.stringify(keySet, null, 2)}\n`);
  return { signer, keySet, keySetPath };
}

function quiet(log: (line: string) => void) {
  const none = () => undefined;
  return { log: none, trace: none, debug: none, info: none, warn: (m: string) => log(`bundler: ${m}`), error: (m: string) => log(`bundler: ${m}`) };
}
