// With a signing receipt store, a dispatch completion made up by a stranger with a Temporal client
// (`temporal activity complete`) must not be believed even when it carries a genuine signed outcome
// envelope of another action: the workflow settles from what is on record for its own run. (A
// shortcut that took the outcome from the completion, its signature checked in the workflow, was
// measured and dropped: docs/PERFORMANCE.md. This guards against a naive one coming back.)
import type { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOrInstallTemporalCli } from '../../src/devstack/temporal-cli.js';
import { generatePrivateKeyFile, parsePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { loadStaticPolicySource } from '../../src/policy/policy-source.js';
import { PgReceiptStore } from '../../src/store/receipt-store.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { connectTemporal, connectorsTo, gateClient, openPool, paymentRequest, policiesDispatchingTo, startTestWorker, uniqueId, type RunningWorker } from '../support/harness.js';
import { REPO_ROOT } from '../support/paths.js';
import { completeRunningActivityFromOutside } from '../support/complete-from-outside.js';
import { join } from 'node:path';

let fake: FakeExternalSystem;
let pool: pg.Pool;
let client: Client;
let connection: Connection;
let signedWorker: RunningWorker;
let signedQueue: string;
let temporalCli: string;

beforeAll(async () => {
  fake = await startFakeExternalSystem();
  pool = openPool();
  const { source } = await loadStaticPolicySource(await policiesDispatchingTo(fake));
  const signer = parsePrivateKeyFile(JSON.stringify(generatePrivateKeyFile()), 'test receipt key');
  signedQueue = uniqueId('outcome-proof');
  signedWorker = await startTestWorker({ taskQueue: signedQueue, policies: source, connectors: connectorsTo(fake), store: new PgReceiptStore(pool, { signer }) });
  ({ client, connection } = await connectTemporal());
  temporalCli = await findOrInstallTemporalCli({ toolsDir: join(REPO_ROOT, '.tools'), log: () => undefined });
});

afterAll(async () => {
  await signedWorker?.stop();
  await connection?.close();
  await pool?.end();
  await fake?.close();
});

/** Local activities that ran for a workflow, by the type their marker names. */
async function localActivities(workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .map((e) => {
      const data = e.markerRecordedEventAttributes?.details?.['data']?.payloads?.[0]?.data;
      return (JSON.parse(Buffer.from(data ?? new Uint8Array()).toString('utf8')) as { activity_type?: string }).activity_type ?? '?';
    });
}

async function outcomeRow(key: string): Promise<{ receipt_id: string; outcome: string; envelope_canonical: string; body: { dispatch: { error: { code: string } | null } } } | undefined> {
  const { rows } = await pool.query("SELECT receipt_id, outcome, envelope_canonical, body FROM receipts WHERE idempotency_key = $1 AND kind = 'outcome'", [key]);
  return rows[0];
}

describe('when the receipt store signs', () => {
  it('does not believe a made-up completion that carries another action\'s genuine signed outcome', async () => {
    const donor = paymentRequest();
    await gateClient(client, signedQueue).execute(donor);
    const genuine = await outcomeRow(donor.idempotencyKey);
    expect(genuine?.envelope_canonical).toBeTruthy();

    const request = paymentRequest();
    fake.respondWith(() => ({ status: 200, body: { accepted: true }, delayMs: 3_000 }));
    try {
      const { decision, result } = await gateClient(client, signedQueue).submit(request);
      expect(decision.outcome).toBe('PERMIT');
      await completeRunningActivityFromOutside(client, temporalCli, request.idempotencyKey, {
        resultHash: `sha256:${'f'.repeat(64)}`,
        outcomeReceiptId: genuine?.receipt_id,
        outcomeEnvelope: genuine?.envelope_canonical,
      });
      const done = await result();
      expect(done.dispatch.status).not.toBe('succeeded');
      expect(done.dispatch.error?.code).toBe('DISPATCH_UNCONFIRMED');
      expect(done.receipts.outcome).not.toBe(genuine?.receipt_id);
      // The made-up completion was not taken: the workflow read what is on record (a second local activity).
      expect(await localActivities(request.idempotencyKey)).toEqual(['decide', 'recordOutcome']);
      expect((await outcomeRow(request.idempotencyKey))?.body.dispatch.error?.code).toBe('DISPATCH_UNCONFIRMED');
    } finally {
      fake.respondWith((_call, n) => ({ status: 200, body: { accepted: true, n } }));
    }
  }, 60_000);
});
