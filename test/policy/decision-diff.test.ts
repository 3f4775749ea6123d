import { describe, expect, it } from 'vitest';
import { diffDecisions, type RecordedDecision } from '../../src/policy/decision-diff.js';
import { readPolicyDir } from '../../src/policy/policy-files.js';
import { compilePolicySet, type CompiledPolicySet } from '../../src/policy/policy-set.js';
import type { ActionRequest } from '../../src/request/action-request.js';
import { requestHash } from '../../src/request/request-hash.js';
import type { DecisionReceiptBody } from '../../src/receipt/receipt-body.js';
import { POLICIES_DIR } from '../support/paths.js';

const files = await readPolicyDir(POLICIES_DIR);
const current = compilePolicySet(files);
// The candidate lowers the agents' payment limit from 500.00 to 200.00.
const lowered = compilePolicySet(files.map((f) => (f.path.startsWith('payments/') ? { ...f, text: f.text.replaceAll('50000', '20000') } : f)));
const AT = '2026-11-24T10:00:00.000Z';

// Registered in policies/principals.json: an agent and a human.
const ACTORS = { agent: 'agent-ap-clerk', human: 'alice' } as const;

function transfer(key: string, amount: number, actorType: keyof typeof ACTORS = 'agent'): ActionRequest {
  return {
    idempotencyKey: key,
    actor: { id: ACTORS[actorType], type: actorType },
    surface: 'payments',
    action: 'transfer',
    target: { type: 'account', id: 'acct-1' },
    context: { amount, currency: 'EUR' },
  };
}

/** The first key of a registered actor: the key a signed request of theirs was proven with. */
function keyOf(set: CompiledPolicySet, actorId: string): string {
  const key = set.principals.principals[actorId]?.keys[0]?.keyId;
  if (!key) throw new Error(`${actorId} has no key in principals.json`);
  return key;
}

/** What the gate would have recorded for the request under `set`, signed by its actor. */
function recorded(request: ActionRequest, set: CompiledPolicySet, override?: Partial<DecisionReceiptBody>): RecordedDecision {
  // The gate checked the signature when it decided; the receipt names the key.
  const decision = set.evaluate(request, { now: new Date(AT), assumeSigned: true });
  const body: DecisionReceiptBody = {
    v: 1,
    kind: 'decision',
    idempotencyKey: request.idempotencyKey,
    workflowId: request.idempotencyKey,
    runId: 'run',
    requestHash: requestHash(request),
    actor: { ...request.actor, keyId: keyOf(set, request.actor.id) },
    surface: request.surface,
    action: request.action,
    target: request.target,
    issuedAt: AT,
    outcome: decision.outcome,
    reasons: [...decision.reasons].sort(),
    mode: 'enforce',
    policy: { digest: set.digest, version: set.version },
    detail: decision.detail ?? null,
    ...override,
  };
  return { body, request };
}

describe('when a candidate lowers a limit', () => {
  const records = [
    recorded(transfer('small', 10_000), current),
    recorded(transfer('medium', 30_000), current),
    recorded(transfer('at-limit', 50_000), current),
    recorded(transfer('large', 60_000), current),
    recorded(transfer('human', 30_000, 'human'), current),
    recorded(transfer('timed-out', 30_000), current, { outcome: 'DENY', reasons: ['gate_timeout'] }),
  ];

  it('lists exactly the decisions that would flip, with before and after', () => {
    const diff = diffDecisions(records, lowered);
    expect(diff.changes.map((c) => c.idempotencyKey)).toEqual(['medium', 'at-limit']);
    expect(diff.changes[0]).toEqual({
      idempotencyKey: 'medium',
      surface: 'payments',
      before: { outcome: 'PERMIT', reasons: ['payments.permit-agent-transfer'] },
      after: { outcome: 'DENY', reasons: ['payments.forbid-agent-over-limit'] },
    });
  });

  it('skips refusals the gate made itself and counts the rest', () => {
    const diff = diffDecisions(records, lowered);
    expect(diff.skipped).toBe(1);
    expect(diff.checked).toBe(5);
  });

  it('finds nothing against the policies that made the decisions', () => {
    expect(diffDecisions(records, current).changes).toEqual([]);
  });
});

describe('when a receipt names no key that proved the actor', () => {
  it('replays the request unsigned, so a surface that needs signatures refuses it', () => {
    const request = transfer('unsigned', 10_000);
    const record = recorded(request, current, { actor: { ...request.actor, keyId: null } });
    expect(diffDecisions([record], current).changes).toEqual([
      {
        idempotencyKey: 'unsigned',
        surface: 'payments',
        before: { outcome: 'PERMIT', reasons: ['payments.permit-agent-transfer'] },
        after: { outcome: 'SILENCE', reasons: ['bad_signature'] },
      },
    ]);
  });
});
