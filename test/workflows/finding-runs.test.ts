// An operator finds runs in the Temporal UI by search attributes and reads the decision first on the
// workflow page (the current-details card). Visibility is eventually consistent: queries are polled.
import type { Client, Connection, WorkflowHandle } from '@temporalio/client';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionGateClient } from '../../src/client/actiongate-client.js';
import { loadStaticPolicySource, type PolicySource } from '../../src/policy/policy-source.js';
import { requestHash } from '../../src/request/request-hash.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import {
  connectTemporal,
  connectorsTo,
  gateClient,
  openPool,
  paymentRequest,
  policiesVariant,
  startTestWorker,
  uniqueId,
  type RunningWorker,
} from '../support/harness.js';

let fake: FakeExternalSystem;
let pool: pg.Pool;
let worker: RunningWorker;
let client: Client;
let connection: Connection;
let gate: ActionGateClient;
let taskQueue: string;
/** While set, the policy store hangs past the 1 s budget: the gate answers DENY gate_timeout. */
let slowPolicies = false;

const failing = paymentRequest();
const slowDispatch = paymentRequest();

beforeAll(async () => {
  fake = await startFakeExternalSystem();
  fake.respondWith((call, n) => {
    if (call.idempotencyKey === failing.idempotencyKey) return { status: 400, body: { error: 'insufficient funds' } };
    if (call.idempotencyKey === slowDispatch.idempotencyKey) return { status: 200, body: { accepted: true, n }, delayMs: 1_500 }; // under the connector's 2 s timeout
    return { status: 200, body: { accepted: true, n } };
  });
  pool = openPool();
  const dir = await policiesVariant({ editRegistry: (r) => void ((r.surfaces.payments as { budgetMs: number }).budgetMs = 1_000) });
  const { source } = await loadStaticPolicySource(dir);
  const policies: PolicySource = {
    active: () => source.active(),
    pinned: async (digest) => {
      if (slowPolicies) await new Promise((r) => setTimeout(r, 3_000));
      return source.pinned(digest);
    },
  };
  taskQueue = uniqueId('finding');
  worker = await startTestWorker({ taskQueue, policies, connectors: connectorsTo(fake), pool });
  ({ client, connection } = await connectTemporal());
  gate = gateClient(client, taskQueue);
});

afterAll(async () => {
  await worker?.stop();
  await connection?.close();
  await pool?.end();
  await fake?.close();
});

/** The saved views of docs/OPERATIONS.md, "Finding runs". */
const PERMIT_BUT_DISPATCH_FAILED = `ActionOutcome = 'PERMIT' AND ActionDispatch = 'failed'`;
const DENY_BY_GATE_TIMEOUT = `ActionOutcome = 'DENY' AND ActionReasons = 'gate_timeout'`;

async function idsFound(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const run of client.workflow.list({ query: `${query} AND TaskQueue = '${taskQueue}'` })) ids.push(run.workflowId);
  return ids.sort();
}

/** What the UI shows on the workflow page: the SDK's built-in metadata query carries the current details. */
async function currentDetails(handle: WorkflowHandle): Promise<string> {
  const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return metadata.currentDetails ?? '';
}

describe('when a permitted action fails at dispatch and another is refused by a gate timeout', () => {
  it('finds each by its own saved view and not by the other, and the card reads the decision first', async () => {
    const failed = await gate.execute(failing);
    expect([failed.outcome, failed.dispatch.status]).toEqual(['PERMIT', 'failed']);
    slowPolicies = true;
    const timedOut = paymentRequest();
    const refused = await gate.execute(timedOut).finally(() => (slowPolicies = false));
    expect([refused.outcome, refused.reasons, refused.dispatch.status]).toEqual(['DENY', ['gate_timeout'], 'skipped']);
    const fine = paymentRequest();
    expect((await gate.execute(fine)).dispatch.status).toBe('succeeded');

    await expect.poll(() => idsFound(PERMIT_BUT_DISPATCH_FAILED), { timeout: 10_000 }).toEqual([failing.idempotencyKey]);
    await expect.poll(() => idsFound(DENY_BY_GATE_TIMEOUT), { timeout: 10_000 }).toEqual([timedOut.idempotencyKey]);
    await expect.poll(() => idsFound(`ActionDispatch = 'succeeded'`), { timeout: 10_000 }).toEqual([fine.idempotencyKey]);
    // The reasons of a permit are its policy ids: a KeywordList matches any one of them.
    const [permitReason] = failed.reasons;
    expect(permitReason).toBeDefined();
    await expect.poll(() => idsFound(`ActionReasons = '${permitReason}'`), { timeout: 10_000 }).toEqual([failing.idempotencyKey, fine.idempotencyKey].sort());

    const failedCard = await currentDetails(client.workflow.getHandle(failing.idempotencyKey));
    expect(failedCard.split('\n')[0]).toBe('**PERMIT**');
    expect(failedCard).toContain(`- Reasons: ${failed.reasons.map((r) => `\`${r}\``).join(', ')}`);
    // A policy directory, not a signed bundle: a digest and no version.
    expect(failedCard).toContain(`- Policies: \`${failed.policy.digest?.slice(0, 19)}…\`\n`);
    expect(failedCard).toContain('- Budget: 1000 ms');
    expect(failedCard).toMatch(/^- Dispatch: \*\*failed\*\* \(`[A-Z0-9_]+`\)$/m);

    const refusedCard = await currentDetails(client.workflow.getHandle(timedOut.idempotencyKey));
    expect(refusedCard.split('\n')[0]).toBe('**DENY**');
    expect(refusedCard).toContain('- Reasons: `gate_timeout`');
    expect(refusedCard).toContain('- Dispatch: **skipped**');

    // Neither the card nor the static details carry the payload or the external system's answer.
    for (const [request, card] of [[failing, failedCard], [timedOut, refusedCard]] as const) {
      const description = await client.workflow.getHandle(request.idempotencyKey).describe();
      const staticDetails = (await description.staticDetails()) ?? '';
      expect(staticDetails).toContain(`- Request hash: \`${requestHash(request)}\``);
      expect(await description.staticSummary()).toBe('payments.transfer by agent-42');
      for (const text of [card, staticDetails]) {
        expect(text).not.toContain('insufficient funds');
        expect(text).not.toContain('12000');
      }
    }
  });
});

describe('when a permitted action is being dispatched', () => {
  it('shows ActionDispatch pending until the outcome is on record', async () => {
    const { decision, result } = await gate.submit(slowDispatch);
    expect(decision.outcome).toBe('PERMIT');
    await expect.poll(() => idsFound(`ActionDispatch = 'pending'`), { timeout: 10_000 }).toEqual([slowDispatch.idempotencyKey]);
    expect(await currentDetails(client.workflow.getHandle(slowDispatch.idempotencyKey))).toContain('- Dispatch: **pending**');
    expect((await result()).dispatch.status).toBe('succeeded');
    await expect.poll(() => idsFound(`ActionDispatch = 'pending'`), { timeout: 10_000 }).toEqual([]);
  });
});
