// Signed policy bundles end to end: a real worker, a real Temporal server, the bundle store in Postgres.
import type { Client, Connection } from '@temporalio/client';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDecision } from '../../src/action/action-result.js';
import { PolicyConnectors } from '../../src/connectors/policy-connectors.js';
import { demoSigner } from '../../src/demo/demo-keys.js';
import { approvalStatement, signApproval } from '../../src/identity/operator-approval.js';
import { operatorApprovalSignal, operatorsQuery, type OperatorsView } from '../../workflows/contract.js';
import { POLICIES_DIR } from '../support/paths.js';
import { freePort } from '../../src/devstack/free-port.js';
import type { Signer } from '../../src/keys/signer.js';
import { BundleStorePolicySource } from '../../src/policy/bundle-policy-source.js';
import type { PolicySource } from '../../src/policy/policy-source.js';
import { PgBundleStore, type StoredBundle } from '../../src/store/bundle-store.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { eventually, freshDatabase, listenerFactory, newSigner, signedBundle, trustedKeys } from '../support/bundles.js';
import { SAMPLE_SURFACES, connectTemporal, gateClient, paymentRequest, policiesVariant, startTestWorker, uniqueId } from '../support/harness.js';

let fake: FakeExternalSystem;
let pool: pg.Pool;
let url: string;
let client: Client;
let connection: Connection;
let signer: Signer;
let store: PgBundleStore;

beforeAll(async () => {
  fake = await startFakeExternalSystem();
  ({ pool, url } = await freshDatabase());
  ({ client, connection } = await connectTemporal());
  signer = newSigner();
  store = new PgBundleStore(pool, { trusted: trustedKeys(signer) });
});

afterAll(async () => {
  await connection?.close();
  await pool?.end();
  await fake?.close();
});

/** Publishes and activates the sample policies with every connector pointed at the fake, under `/<prefix><surface>`. */
async function activateBundle(
  options: { pathPrefix?: string; budgetMs?: number; rollback?: boolean; edit?: (r: { surfaces: Record<string, Record<string, unknown>> }) => void; files?: Record<string, string> } = {},
): Promise<StoredBundle> {
  const dir = await policiesVariant({
    editRegistry: (r) => {
      for (const s of SAMPLE_SURFACES) {
        const surface = r.surfaces[s] as { connector: { url: string }; budgetMs: number };
        surface.connector.url = fake.url(`/${options.pathPrefix ?? ''}${s}`);
        if (options.budgetMs) surface.budgetMs = options.budgetMs;
      }
      options.edit?.(r);
    },
    ...(options.files ? { files: options.files } : {}),
  });
  const { bundle } = await store.publish((await signedBundle(signer, { dir })).text, 'test');
  await store.activate(bundle.digest, { by: 'test', rollback: options.rollback ?? false });
  return bundle;
}

async function startSource(trusted = trustedKeys(signer), lines: string[] = []): Promise<BundleStorePolicySource> {
  const source = new BundleStorePolicySource({ store, trusted, log: (l) => lines.push(l), connectListener: listenerFactory(url), pollMs: 60_000 });
  await source.start();
  return source;
}

function connectorsOf(source: BundleStorePolicySource): PolicyConnectors {
  return new PolicyConnectors({ current: () => source.lastVerifiedActive(), pinned: (d) => source.pinned(d) });
}

async function withWorker<T>(policies: PolicySource, connectors: PolicyConnectors, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueId('bundles');
  const worker = await startTestWorker({ taskQueue, policies, connectors, pool });
  try {
    return await fn(taskQueue);
  } finally {
    await worker.stop();
  }
}

async function recordedDigest(key: string): Promise<string | null | undefined> {
  const { rows } = await pool.query<{ policy_digest: string | null }>(`SELECT policy_digest FROM receipts WHERE idempotency_key = $1 AND kind = 'decision'`, [key]);
  return rows[0]?.policy_digest;
}

describe('when a new bundle is activated while a worker runs', () => {
  it('actions before get the old digest and actions after the new one, with its connectors, without a restart', async () => {
    const first = await activateBundle({ pathPrefix: 'v1/' });
    const source = await startSource();
    try {
      await withWorker(source, connectorsOf(source), async (tq) => {
        const gate = gateClient(client, tq);
        const before = paymentRequest();
        const done1 = await gate.execute(before);
        expect([done1.outcome, done1.policy.digest, done1.dispatch.status]).toEqual(['PERMIT', first.digest, 'succeeded']);

        const second = await activateBundle({ pathPrefix: 'v2/' });
        const ms = await eventually(async () => (await source.active()).digest === second.digest, 5_000, 'the worker to pick up the activation');
        expect(ms).toBeLessThan(5_000);

        const after = paymentRequest();
        const done2 = await gate.execute(after);
        expect([done2.outcome, done2.policy.digest, done2.dispatch.status]).toEqual(['PERMIT', second.digest, 'succeeded']);

        expect(await recordedDigest(before.idempotencyKey)).toBe(first.digest);
        expect(await recordedDigest(after.idempotencyKey)).toBe(second.digest);
        expect(fake.callsFor(before.idempotencyKey).map((c) => c.path)).toEqual(['/v1/payments']);
        expect(fake.callsFor(after.idempotencyKey).map((c) => c.path)).toEqual(['/v2/payments']);
      });
    } finally {
      await source.close();
    }
  });
});

describe('when a bundle is activated while an action is being authorized', () => {
  it('the action keeps the bundle it was pinned to, and dispatches through that bundle\'s connectors', async () => {
    const first = await activateBundle({ budgetMs: 10_000, pathPrefix: 'pinned-v1/' });
    const source = await startSource();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let authorizing!: () => void;
    const reachedAuthorize = new Promise<void>((r) => (authorizing = r));
    let holdOnce = true;
    // The first authorize waits until the test has activated another bundle.
    const slowFirst: PolicySource = {
      active: () => source.active(),
      pinned: async (digest) => {
        if (holdOnce) {
          holdOnce = false;
          authorizing();
          await held;
        }
        return source.pinned(digest);
      },
    };
    try {
      await withWorker(slowFirst, connectorsOf(source), async (tq) => {
        const gate = gateClient(client, tq);
        const inFlight = paymentRequest();
        const submitted = gate.execute(inFlight);
        await reachedAuthorize;
        const second = await activateBundle({ budgetMs: 10_000, pathPrefix: 'pinned-v2/' });
        await eventually(async () => (await source.active()).digest === second.digest, 5_000, 'the activation');
        release();
        const done = await submitted;
        expect([done.outcome, done.policy.digest, done.policy.version]).toEqual(['PERMIT', first.digest, first.version]);
        expect(await recordedDigest(inFlight.idempotencyKey)).toBe(first.digest);
        expect(fake.callsFor(inFlight.idempotencyKey).map((c) => c.path)).toEqual(['/pinned-v1/payments']);

        const next = paymentRequest();
        expect((await gate.execute(next)).policy.digest).toBe(second.digest);
        expect(fake.callsFor(next.idempotencyKey).map((c) => c.path)).toEqual(['/pinned-v2/payments']);
      });
    } finally {
      release();
      await source.close();
    }
  });
});

describe('when a bundle that removes an operator is activated while an action waits for approval', () => {
  it('judges the waiting action by the operators and quorum of the bundle it was pinned to; new actions by the new bundle', async () => {
    const v1 = await activateBundle({ pathPrefix: 'ops-v1/' });
    const source = await startSource();
    try {
      await withWorker(source, connectorsOf(source), async (tq) => {
        const gate = gateClient(client, tq);
        const pinned = await gate.submit(newPayeePayment());
        expect([pinned.decision.outcome, pinned.decision.policy.digest]).toEqual(['STEP_UP', v1.digest]);
        // v2: omar is gone, and one treasury approval is enough.
        const principals = JSON.parse(await readFile(join(POLICIES_DIR, 'principals.json'), 'utf8'));
        delete principals.principals.omar;
        const v2 = await activateBundle({
          pathPrefix: 'ops-v2/',
          edit: (r) => ((r.surfaces['payments'] as { approvals: { quorum: number } }).approvals.quorum = 1),
          files: { 'principals.json': JSON.stringify(principals) },
        });
        await eventually(async () => (await source.active()).digest === v2.digest, 5_000, 'the activation');

        const later = await gate.submit(newPayeePayment());
        expect([later.decision.outcome, later.decision.policy.digest]).toEqual(['STEP_UP', v2.digest]);
        await signalApproval(later.decision, 'omar');
        const refused = await operatorsWhen(later.decision.workflowId, (v) => v.refused.length === 1);
        expect(refused.refused.map((r) => r.rejection)).toEqual(['unknown_operator']);

        // The pinned action: v1's quorum of two still applies, and omar still counts.
        await signalApproval(pinned.decision, 'olivia');
        await operatorsWhen(pinned.decision.workflowId, (v) => v.counted.length === 1);
        expect(fake.callsFor(pinned.decision.idempotencyKey)).toHaveLength(0);
        await signalApproval(pinned.decision, 'omar');
        const done = await pinned.result();
        expect([done.dispatch.status, done.operators?.operators]).toEqual(['succeeded', ['olivia', 'omar']]);
        expect(fake.callsFor(pinned.decision.idempotencyKey).map((c) => c.path)).toEqual(['/ops-v1/payments']);

        // Under v2 one approval is the quorum.
        await signalApproval(later.decision, 'olivia');
        expect((await later.result()).operators).toMatchObject({ outcome: 'PERMIT', operators: ['olivia'] });
      });
    } finally {
      await source.close();
    }
  });
});

function newPayeePayment() {
  return paymentRequest({ target: { type: 'supplier-account', id: 'NL91ABNA0417164300' } });
}

async function signalApproval(decision: ActionDecision, operatorId: string): Promise<void> {
  const target = { ...decision, decisionReceiptId: decision.receipts.decision as string };
  const approval = signApproval(approvalStatement(target, { operatorId, verdict: 'approve', reason: 'vetted the payee', validForMs: 600_000 }), demoSigner(operatorId));
  await client.workflow.getHandle(decision.workflowId).signal(operatorApprovalSignal, approval);
}

async function operatorsWhen(workflowId: string, check: (view: OperatorsView) => boolean): Promise<OperatorsView> {
  let view: OperatorsView | null = null;
  await eventually(async () => {
    view = await client.workflow.getHandle(workflowId).query(operatorsQuery);
    return view !== null && check(view);
  }, 10_000, 'the operators view');
  return view as unknown as OperatorsView;
}

describe('when the active bundle is signed by a key the worker does not trust', () => {
  it('answers SILENCE policy_unavailable, dispatches nothing, and logs it loudly', async () => {
    const bundle = await activateBundle();
    const lines: string[] = [];
    const source = await startSource(trustedKeys(newSigner()), lines);
    try {
      const request = paymentRequest();
      const done = await withWorker(source, connectorsOf(source), (tq) => gateClient(client, tq).execute(request));
      expect([done.outcome, done.reasons, done.policy.digest, done.dispatch.status]).toEqual(['SILENCE', ['policy_unavailable'], null, 'skipped']);
      expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
      expect(lines.some((l) => l.startsWith('POLICY BUNDLE REJECTED: UNTRUSTED_KEY') && l.includes(bundle.digest))).toBe(true);
      const { rows } = await pool.query(`SELECT kind, outcome FROM receipts WHERE idempotency_key = $1 ORDER BY seq`, [request.idempotencyKey]);
      expect(rows).toEqual([
        { kind: 'decision', outcome: 'SILENCE' },
        { kind: 'outcome', outcome: 'skipped' },
      ]);
    } finally {
      await source.close();
    }
  });
});

describe('when the store cannot be reached and the pinned bundle is not held', () => {
  it('answers SILENCE policy_unavailable, never another policy', async () => {
    const bundle = await activateBundle();
    // One source pinned the action (it had the store); the one that authorizes has never reached it.
    const pinning = await startSource();
    const deadPort = await freePort();
    const deadUrl = `postgres://nobody:x@127.0.0.1:${deadPort}/none`;
    const deadPool = new pg.Pool({ connectionString: deadUrl, connectionTimeoutMillis: 500 });
    deadPool.on('error', () => undefined);
    const cutOff = new BundleStorePolicySource({ store: new PgBundleStore(deadPool), trusted: trustedKeys(signer), log: () => undefined });
    await cutOff.start();
    try {
      const split: PolicySource = { active: () => pinning.active(), pinned: (d) => cutOff.pinned(d) };
      const request = paymentRequest();
      const done = await withWorker(split, connectorsOf(pinning), (tq) => gateClient(client, tq).execute(request));
      expect([done.outcome, done.reasons, done.policy.digest, done.dispatch.status]).toEqual(['SILENCE', ['policy_unavailable'], bundle.digest, 'skipped']);
      expect(fake.callsFor(request.idempotencyKey)).toHaveLength(0);
    } finally {
      await cutOff.close();
      await pinning.close();
      await deadPool.end();
    }
  });
});
