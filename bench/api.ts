// npm run bench:api: what the HTTP API (actiongate serve) adds in front of the gate, measured side by
// side in one run on one stack: submit → decision through ActionGateClient (Temporal, Update-With-Start)
// and through POST /v1/actions (authentication, attestation, Fastify, the same Update-With-Start,
// and the receipt listing of the answer), alternating in rounds at concurrency 1 and C.
// Worker, server and load driver share this process: the ratio is what to read, not the absolute times.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import pg from 'pg';
import { ActionGateClient } from '../src/client/actiongate-client.js';
import { ConnectorRegistry, defineConnector } from '../src/connectors/connector.js';
import { httpConnector } from '../src/connectors/http-connector.js';
import { DEMO_API_KEY, demoPrivateKeyFile, demoSigner } from '../src/demo/demo-keys.js';
import { startRecordingHttpServer } from '../src/demo/recording-http-server.js';
import { writePrivateKeyFile } from '../src/keys/private-key-file.js';
import { loadStaticPolicySource } from '../src/policy/policy-source.js';
import type { ActionRequest } from '../src/request/action-request.js';
import { resolveApiConfig } from '../src/server/api-config.js';
import { hashApiKey } from '../src/server/authenticate.js';
import { createApiServer } from '../src/server/http-api.js';
import { PgReceiptStore } from '../src/store/receipt-store.js';
import { createActionGateWorker, loadWorkflowBundle } from '../src/worker/actiongate-worker.js';
import { startBenchStack } from './bench-stack.js';
import { summarize, type Summary } from './stats.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '16' },
    round: { type: 'string', default: '50' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(`Usage: npm run bench:api -- [--n N] [--concurrency C] [--round R]

Submit → decision through ActionGateClient (Temporal) and through the HTTP API, alternating in rounds
of R actions, N per way, at concurrency 1 and C (defaults 300, 16, 50). Prints p50/p95/p99 and the ratios.
Environment: TEMPORAL_ADDRESS, DATABASE_URL (default: a dev server and an embedded Postgres).`);
  process.exit(0);
}
const N = Number(values.n);
const C = Number(values.concurrency);
const ROUND = Number(values.round);
const log = (line: string) => process.stderr.write(`bench:api: ${line}\n`);

Runtime.install({ logger: new DefaultLogger('ERROR') });
const stack = await startBenchStack({
  repoRoot: REPO_ROOT,
  temporalAddress: process.env.TEMPORAL_ADDRESS,
  databaseUrl: process.env.DATABASE_URL,
  namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  log,
});
const scratch = await mkdtemp(join(tmpdir(), 'actiongate-bench-api-'));
const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 20 });
// Postgres stops with the stack; an idle client's error then is not the bench's.
pool.on('error', () => undefined);
const sink = await startRecordingHttpServer();
const taskQueue = `bench-api-${Date.now()}`;
const { source, error } = await loadStaticPolicySource(join(REPO_ROOT, 'policies'));
if (error) throw error;
const connectors = new ConnectorRegistry(['payments'].map((s) => defineConnector(s, httpConnector({ url: sink.url(`/${s}`) }))));
const workerConnection = await NativeConnection.connect({ address: stack.temporalAddress });
const worker = await createActionGateWorker({
  connection: workerConnection,
  namespace: stack.namespace,
  taskQueue,
  workflowBundle: await loadWorkflowBundle(),
  policies: source,
  store: new PgReceiptStore(pool),
  connectors,
});
const running = worker.run();
const connection = await Connection.connect({ address: stack.temporalAddress });
const client = new Client({ connection, namespace: stack.namespace });

await writePrivateKeyFile(join(scratch, 'gateway.key.json'), demoPrivateKeyFile('actiongate-http'));
const loaded = await resolveApiConfig(
  {
    auth: { apiKeys: [{ principal: 'agent-42', sha256: hashApiKey(DEMO_API_KEY) }] },
    gateway: { id: 'actiongate-http', key: 'gateway.key.json' },
    limits: { perPrincipalPerMinute: 1_000_000 },
  },
  scratch,
  'bench API configuration',
);
const app = await createApiServer({ loaded, client, taskQueue, pool, log: () => {} });
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

const gate = new ActionGateClient({ client, taskQueue, signer: demoSigner('agent-42') });
let counter = 0;
const request = (way: string): ActionRequest => ({
  idempotencyKey: `${taskQueue}-${way}-${++counter}`,
  actor: { id: 'agent-42', type: 'agent' },
  surface: 'payments',
  action: 'transfer',
  target: { type: 'account', id: 'acct-7' },
  context: { amount: 12_000, currency: 'EUR' },
  payload: { amount: 12_000, currency: 'EUR', to: 'acct-7' },
});

type Way = 'temporal' | 'http';
const WAYS: Record<Way, () => Promise<void>> = {
  async temporal() {
    const { decision } = await gate.submit(request('temporal'));
    if (decision.outcome !== 'PERMIT') throw new Error(`temporal: ${decision.outcome}`);
  },
  async http() {
    const r = request('http');
    const res = await fetch(`${apiUrl}/v1/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_API_KEY}`, 'content-type': 'application/json', 'idempotency-key': r.idempotencyKey },
      body: JSON.stringify(r),
    });
    const body = (await res.json()) as { decision?: { outcome: string } };
    if (res.status !== 202 || body.decision?.outcome !== 'PERMIT') throw new Error(`http: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
  },
};

async function round(way: Way, count: number, concurrency: number, samples: number[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const started = performance.now();
        await WAYS[way]();
        samples.push(performance.now() - started);
      }
    }),
  );
}

async function measure(concurrency: number): Promise<Record<Way, Summary & { perSecond: number }>> {
  const samples: Record<Way, number[]> = { temporal: [], http: [] };
  const busy: Record<Way, number> = { temporal: 0, http: 0 };
  // Warm-up, discarded.
  for (const way of ['temporal', 'http'] as const) await round(way, Math.min(30, ROUND), concurrency, []);
  for (let done = 0; done < N; done += ROUND) {
    for (const way of done % (2 * ROUND) === 0 ? (['temporal', 'http'] as const) : (['http', 'temporal'] as const)) {
      const started = performance.now();
      await round(way, Math.min(ROUND, N - done), concurrency, samples[way]);
      busy[way] += performance.now() - started;
    }
  }
  return {
    temporal: { ...summarize(samples.temporal), perSecond: (samples.temporal.length / busy.temporal) * 1_000 },
    http: { ...summarize(samples.http), perSecond: (samples.http.length / busy.http) * 1_000 },
  };
}

try {
  const lines = [
    `| concurrency | way | n | p50 ms | p95 ms | p99 ms | actions/s |`,
    `| --- | --- | --- | --- | --- | --- | --- |`,
  ];
  const ratios: string[] = [];
  for (const concurrency of [1, C]) {
    log(`measuring at concurrency ${concurrency} (${N} actions per way)`);
    const result = await measure(concurrency);
    for (const way of ['temporal', 'http'] as const) {
      const s = result[way];
      lines.push(`| ${concurrency} | ${way === 'temporal' ? 'ActionGateClient (Temporal)' : 'HTTP API'} | ${s.n} | ${s.p50.toFixed(1)} | ${s.p95.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.perSecond.toFixed(0)} |`);
    }
    ratios.push(
      `c=${concurrency}: HTTP/Temporal submit→decision p50 ${(result.http.p50 / result.temporal.p50).toFixed(2)}×, p99 ${(result.http.p99 / result.temporal.p99).toFixed(2)}×, throughput ${(result.http.perSecond / result.temporal.perSecond).toFixed(2)}×`,
    );
  }
  console.log(lines.join('\n'));
  console.log('');
  for (const line of ratios) console.log(line);
} finally {
  await app.close();
  worker.shutdown();
  await running;
  await connection.close();
  await workerConnection.close();
  await pool.end();
  await sink.close();
  await stack.stop();
  await rm(scratch, { recursive: true, force: true });
}
