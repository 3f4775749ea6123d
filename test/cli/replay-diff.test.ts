// `actiongate replay` and `actiongate policy diff` against decisions made by real workers.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleStorePolicySource } from '../../src/policy/bundle-policy-source.js';
import { loadStaticPolicySource } from '../../src/policy/policy-source.js';
import { PgBundleStore } from '../../src/store/bundle-store.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { freshDatabase, newSigner, signedBundle, trustedKeys, type TestBundle } from '../support/bundles.js';
import { connectTemporal, connectorsTo, gateClient, paymentRequest, policiesVariant, startTestWorker, testEnv, uniqueId, type RunningWorker } from '../support/harness.js';
import { POLICIES_DIR } from '../support/paths.js';
import { runCli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

let db: { url: string; pool: pg.Pool };
let fake: FakeExternalSystem;
let client: Client;
let connection: Connection;
let source: BundleStorePolicySource;
let bundle: TestBundle;
let env: NodeJS.ProcessEnv;
const workers: RunningWorker[] = [];
let storeQueue: string;
let dirQueue: string;

beforeAll(async () => {
  db = await freshDatabase();
  fake = await startFakeExternalSystem();
  ({ client, connection } = await connectTemporal());
  const signer = newSigner();
  const keys = trustedKeys(signer);
  const keysFile = join(await tempDir('actiongate-keys-'), 'keyset.json');
  await writeFile(keysFile, JSON.stringify(keys));
  bundle = await signedBundle(signer);
  const store = new PgBundleStore(db.pool, { trusted: keys });
  await store.publish(bundle.text, 'test');
  await store.activate(bundle.version, { by: 'test' });
  source = new BundleStorePolicySource({ store, trusted: keys, log: () => undefined });
  await source.start();
  storeQueue = uniqueId('replay-store');
  dirQueue = uniqueId('replay-dir');
  const { source: dirSource } = await loadStaticPolicySource(POLICIES_DIR);
  workers.push(await startTestWorker({ taskQueue: storeQueue, policies: source, connectors: connectorsTo(fake), pool: db.pool }));
  workers.push(await startTestWorker({ taskQueue: dirQueue, policies: dirSource, connectors: connectorsTo(fake), pool: db.pool }));
  const t = testEnv();
  env = { TEMPORAL_ADDRESS: t.temporalAddress, DATABASE_URL: db.url, ACTIONGATE_BUNDLE_KEYS: keysFile };
});

afterAll(async () => {
  for (const w of workers) await w.stop();
  await source?.close();
  await connection?.close();
  await db?.pool.end();
  await fake?.close();
});

describe('when replaying a decision made with a signed bundle', () => {
  it.each([
    ['a permit', 12_000, 'PERMIT'],
    ['a denial', 60_000, 'DENY'],
  ])('shows %s again, identical, from the archived request and bundle', async (_label, amount, outcome) => {
    const request = paymentRequest({ context: { amount, currency: 'EUR' } });
    const done = await gateClient(client, storeQueue).execute(request);
    expect(done.outcome).toBe(outcome);
    expect(done.policy.version).toBe(bundle.version);

    const ran = await runCli(['replay', request.idempotencyKey], env);
    expect(ran.code).toBe(0);
    const lines = ran.stdout.trim().split('\n');
    expect(lines[0]).toContain(`recorded  ${outcome}  [${done.reasons.join(', ')}]`);
    expect(lines[0]).toContain(`(${bundle.version})`);
    expect(lines[1]).toContain(`replayed  ${outcome}  [${done.reasons.join(', ')}]  policy ${done.policy.digest}`);
    expect(lines[2]).toBe('identical');
  });
});

describe('when replaying a decision made from a policy directory', () => {
  it('needs the directory, checks its digest, and replays identically', async () => {
    const request = paymentRequest();
    const done = await gateClient(client, dirQueue).execute(request);
    expect(done.policy.version).toBeNull();

    const without = await runCli(['replay', request.idempotencyKey], env);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('not in the bundle store');

    const other = await policiesVariant({ editRegistry: (r) => void ((r.surfaces.payments as { budgetMs: number }).budgetMs = 1_500) });
    const wrong = await runCli(['replay', request.idempotencyKey, '--policies', other], env);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('but the decision was made with');

    const ran = await runCli(['replay', request.idempotencyKey, '--policies', POLICIES_DIR], env);
    expect(ran.code).toBe(0);
    expect(ran.stdout.trim().split('\n').at(-1)).toBe('identical');
  });

  it('says so when no decision is recorded for the key', async () => {
    const ran = await runCli(['replay', uniqueId('never')], env);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain('no decision');
  });
});

describe('when diffing a candidate against recorded decisions', () => {
  it('lists exactly the decisions the candidate would change', async () => {
    const amounts = [10_000, 25_000, 45_000, 60_000];
    const keys: string[] = [];
    for (const amount of amounts) {
      const request = paymentRequest({ context: { amount, currency: 'EUR' } });
      keys.push(request.idempotencyKey);
      await gateClient(client, storeQueue).execute(request);
    }
    // Candidate: agents limited to 200.00 instead of 500.00.
    const candidate = await policiesVariant({});
    for (const file of ['payments/permit.cedar', 'payments/guards.cedar']) {
      await writeFile(join(candidate, file), (await readFile(join(candidate, file), 'utf8')).replaceAll('50000', '20000'));
    }
    const ran = await runCli(['policy', 'diff', candidate, '--last', '4', '--surface', 'payments'], env);
    expect(ran.code).toBe(0);
    const lines = ran.stdout.trim().split('\n');
    const changed = lines.slice(0, -1);
    expect(changed.map((l) => l.split('  ')[0]).sort()).toEqual([keys[1], keys[2]].sort());
    for (const line of changed) {
      expect(line).toContain('PERMIT [payments.permit-agent-transfer] -> DENY [payments.forbid-agent-over-limit]');
    }
    expect(lines.at(-1)).toMatch(/^4 decisions checked against sha256:[0-9a-f]{64}: 2 would change$/);
  });
});
