// End to end with a real Prometheus (Debian's package, from .tools/prometheus): it scrapes a real
// worker's /metrics while a surface's traffic turns from permitted to denied, evaluates the alert
// rules of deploy/prometheus/alerts.yml, and its HTTP API shows the outcome-shift alert pending.
// The rules are the real ones with their time ranges scaled down (5m → 5s, 1h → 1m: the same 1:12,
// `for: 2m` → `for: 5s`, the recording group's 1m interval → 1s) so that a shift shows within a
// minute: expressions and thresholds unchanged.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionGateClient } from '../../src/client/actiongate-client.js';
import { freePort } from '../../src/devstack/free-port.js';
import { findOrInstallPrometheusTools } from '../../src/devstack/prometheus-tools.js';
import { GateMetrics } from '../../src/metrics/gate-metrics.js';
import { loadStaticPolicySource } from '../../src/policy/policy-source.js';
import { startHealthServer } from '../../src/worker/health-server.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { connectTemporal, connectorsTo, gateClient, openPool, paymentRequest, startTestWorker, uniqueId, type RunningWorker } from '../support/harness.js';
import { POLICIES_DIR, REPO_ROOT } from '../support/paths.js';
import { tempDir } from '../support/temp-dir.js';

let fake: FakeExternalSystem;
let pool: pg.Pool;
let worker: RunningWorker;
let metricsServer: Server;
let temporal: { client: Client; connection: Connection };
let gate: ActionGateClient;
let prometheus: ChildProcess | undefined;
let prometheusUrl: string;
let prometheusLog = '';

/** The real alert rules with shorter ranges, for a test that cannot wait an hour. */
function scaled(rules: string): string {
  return rules
    .replaceAll('[5m]', '[5s]')
    .replaceAll('[1h]', '[1m]')
    .replaceAll('for: 2m', 'for: 5s')
    .replaceAll('interval: 1m', 'interval: 1s');
}

beforeAll(async () => {
  const tools = await findOrInstallPrometheusTools({ toolsDir: join(REPO_ROOT, '.tools') });
  fake = await startFakeExternalSystem();
  pool = openPool();
  const metrics = new GateMetrics();
  const { source } = await loadStaticPolicySource(POLICIES_DIR);
  const taskQueue = uniqueId('prom');
  worker = await startTestWorker({ taskQueue, policies: source, connectors: connectorsTo(fake), pool, metrics });
  const metricsPort = await freePort();
  metricsServer = await startHealthServer({ port: metricsPort, host: '127.0.0.1', checks: {}, metrics: () => metrics.render() });
  temporal = await connectTemporal();
  gate = gateClient(temporal.client, taskQueue);

  const dir = await tempDir('actiongate-prometheus-');
  await writeFile(join(dir, 'alerts.yml'), scaled(await readFile(join(REPO_ROOT, 'deploy', 'prometheus', 'alerts.yml'), 'utf8')));
  await writeFile(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'rule_files: [alerts.yml]',
      'scrape_configs:',
      '  - job_name: actiongate-worker',
      `    static_configs: [{ targets: ["127.0.0.1:${metricsPort}"] }]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(tools.prometheus, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  prometheus.stdout?.on('data', (chunk) => (prometheusLog += chunk));
  prometheus.stderr?.on('data', (chunk) => (prometheusLog += chunk));
  const readyBy = Date.now() + 30_000;
  while ((await fetch(`${prometheusUrl}/-/ready`).then((r) => r.status, () => 0)) !== 200) {
    if (Date.now() > readyBy || prometheus.exitCode !== null) throw new Error(`Prometheus did not get ready: ${prometheusLog}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 120_000);

afterAll(async () => {
  prometheus?.kill('SIGTERM');
  metricsServer?.close();
  await worker?.stop();
  await temporal?.connection.close();
  await pool?.end();
  await fake?.close();
});

async function alerts(): Promise<Array<{ labels: Record<string, string>; state: string }>> {
  const res = await fetch(`${prometheusUrl}/api/v1/alerts`);
  const body = (await res.json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
  return body.data.alerts;
}

async function targetUp(): Promise<boolean> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent('up{job="actiongate-worker"}')}`);
  const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
  return body.data.result[0]?.value[1] === '1';
}

describe('when a surface turns from permitted to denied under a real Prometheus', () => {
  it('shows the outcome-shift alert pending for that surface, and not before', async () => {
    await expect.poll(targetUp, { timeout: 20_000, interval: 500 }).toBe(true);
    // Baseline: permitted payments for about 45 s (one denied), no alert.
    const baselineUntil = Date.now() + 45_000;
    let sent = 0;
    while (Date.now() < baselineUntil) {
      await gate.submit(sent === 10 ? paymentRequest({ context: { amount: 9_000_000, currency: 'EUR' } }) : paymentRequest());
      sent++;
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(sent).toBeGreaterThan(50);
    expect((await alerts()).filter((a) => a.labels.alertname === 'ActionGateOutcomeShift')).toEqual([]);

    // The burst: over the limit, again and again (an agent gone wrong), with a few permitted ones,
    // until Prometheus shows the alert (or 15 s pass). The 5s range holds only the burst; the 1m
    // baseline is mostly the permitted traffic before it.
    let stop = false;
    const burst = (async () => {
      for (let round = 0; !stop; round++) {
        await Promise.all([
          gate.submit(paymentRequest({ context: { amount: 9_000_000, currency: 'EUR' } })),
          round % 3 === 0 ? gate.submit(paymentRequest()) : Promise.resolve(),
        ]);
        await new Promise((r) => setTimeout(r, 60));
      }
    })();
    const shifted = () => alerts().then((all) => all.find((a) => a.labels.alertname === 'ActionGateOutcomeShift' && a.labels.surface === 'payments')?.state);
    let state: string | undefined;
    const giveUp = Date.now() + 15_000;
    while (state === undefined && Date.now() < giveUp) {
      await new Promise((r) => setTimeout(r, 250));
      state = await shifted();
    }
    stop = true;
    await burst;
    const shown = async (query: string) =>
      JSON.stringify(((await (await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as { data: { result: unknown } }).data.result);
    expect(state ?? 'no alert', `share5m ${await shown('surface:actiongate_refusals:share5m')}, share1h ${await shown('surface:actiongate_refusals:share1h')}`).toMatch(/^(pending|firing)$/);
  }, 150_000);
});
