// Shared wiring for integration tests: the real Temporal server and Postgres from global-setup.
import { randomUUID } from 'node:crypto';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import pg from 'pg';
import { inject } from 'vitest';
import { ActionGateClient } from '../../src/client/actiongate-client.js';
import { DEMO_PRINCIPALS, demoSigner } from '../../src/demo/demo-keys.js';
import type { Signer } from '../../src/keys/signer.js';
import { ConnectorRegistry, defineConnector } from '../../src/connectors/connector.js';
import { httpConnector } from '../../src/connectors/http-connector.js';
import type { PolicySource } from '../../src/policy/policy-source.js';
import type { OperatorEventSink, RefusedCallSink } from '../../activities/index.js';
import type { ActionRequest } from '../../src/request/action-request.js';
import { PgReceiptStore, type ReceiptStore } from '../../src/store/receipt-store.js';
import { createActionGateWorker } from '../../src/worker/actiongate-worker.js';
import type { GateMetrics } from '../../src/metrics/gate-metrics.js';
import type { FakeExternalSystem } from './fake-external-system.js';
import { POLICIES_DIR } from './paths.js';
import { tempDir } from './temp-dir.js';

export const SAMPLE_SURFACES = ['payments', 'config-changes', 'data-exports', 'customer-messages'] as const;

export function testEnv() {
  return {
    temporalAddress: inject('temporalAddress'),
    namespace: inject('temporalNamespace'),
    databaseUrl: inject('databaseUrl'),
    workflowBundlePath: inject('workflowBundlePath'),
  };
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 12)}`;
}

export function openPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: testEnv().databaseUrl, max: 10 });
  pool.on('error', () => undefined);
  return pool;
}

export async function connectTemporal(namespace = testEnv().namespace): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: testEnv().temporalAddress });
  return { connection, client: new Client({ connection, namespace }) };
}

/** A client that signs each request with its actor's demo key (unsigned for actors without one). */
export function gateClient(client: Client, taskQueue: string): ActionGateClient {
  return new ActionGateClient({ client, taskQueue, signer: demoSignerFor });
}

/** The demo key of a request's actor, for the sample principals (src/demo/demo-keys.ts). */
export function demoSignerFor(request: ActionRequest): Signer | undefined {
  return (DEMO_PRINCIPALS as readonly string[]).includes(request.actor.id) ? demoSigner(request.actor.id) : undefined;
}

/** Every sample surface dispatches to the fake external system, at /<surface>. */
export function connectorsTo(fake: FakeExternalSystem): ConnectorRegistry {
  return new ConnectorRegistry(
    SAMPLE_SURFACES.map((surface) => defineConnector(surface, httpConnector({ url: fake.url(`/${surface}`), timeoutMs: 2_000 }))),
  );
}

export interface RunningWorker {
  stop(): Promise<void>;
}

let bundleCode: string | undefined;
let runtimeInstalled = false;

export async function startTestWorker(options: {
  taskQueue: string;
  policies: PolicySource;
  connectors: ConnectorRegistry;
  store?: ReceiptStore;
  pool?: pg.Pool;
  namespace?: string;
  onRefusedCall?: RefusedCallSink;
  onOperatorEvent?: OperatorEventSink;
  metrics?: GateMetrics;
  /** 0: no workflow cache, so every workflow task replays the history from the start. */
  maxCachedWorkflows?: number;
}): Promise<RunningWorker> {
  const env = testEnv();
  if (!runtimeInstalled) {
    // Tests provoke failing activities on purpose; keep the worker's log to real errors.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  bundleCode ??= await readFile(env.workflowBundlePath, 'utf8');
  const connection = await NativeConnection.connect({ address: env.temporalAddress });
  const worker = await createActionGateWorker({
    connection,
    namespace: options.namespace ?? env.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: { code: bundleCode },
    policies: options.policies,
    connectors: options.connectors,
    store: options.store ?? new PgReceiptStore(options.pool ?? openPool()),
    ...(options.onRefusedCall ? { onRefusedCall: options.onRefusedCall } : {}),
    ...(options.onOperatorEvent ? { onOperatorEvent: options.onOperatorEvent } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    workerOptions: { shutdownGraceTime: '2s', ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}) },
  });
  const running = worker.run();
  return {
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** A payments transfer the sample policies permit (an agent, 120.00 EUR). */
export function paymentRequest(overrides: Partial<ActionRequest> = {}): ActionRequest {
  return {
    idempotencyKey: uniqueId('pay'),
    actor: { id: 'agent-42', type: 'agent' },
    surface: 'payments',
    action: 'transfer',
    target: { type: 'account', id: 'acct-7' },
    context: { amount: 12_000, currency: 'EUR' },
    payload: { amount: 12_000, currency: 'EUR', to: 'acct-7' },
    ...overrides,
  };
}

/** A copy of policies/ whose every sample surface dispatches to the fake, at `/<prefix><surface>`. */
export function policiesDispatchingTo(fake: FakeExternalSystem, pathPrefix = ''): Promise<string> {
  return policiesVariant({
    editRegistry: (r) => {
      for (const s of SAMPLE_SURFACES) (r.surfaces[s] as { connector: { url: string } }).connector.url = fake.url(`/${pathPrefix}${s}`);
    },
  });
}

/**
 * A copy of policies/ with some files replaced, for tests that need a broken or altered policy set.
 * `edit` receives the parsed surfaces.json to change in place.
 */
export async function policiesVariant(options: {
  files?: Record<string, string>;
  editRegistry?: (registry: { surfaces: Record<string, Record<string, unknown>> }) => void;
}): Promise<string> {
  const dir = await tempDir('actiongate-policies-');
  await cp(POLICIES_DIR, dir, { recursive: true });
  if (options.editRegistry) {
    const registry = JSON.parse(await readFile(join(dir, 'surfaces.json'), 'utf8'));
    options.editRegistry(registry);
    await writeFile(join(dir, 'surfaces.json'), JSON.stringify(registry, null, 2));
  }
  for (const [path, text] of Object.entries(options.files ?? {})) await writeFile(join(dir, path), text);
  return dir;
}
