import { describe, expect, it } from 'vitest';
import { overridable } from '../../src/action/action-result.js';
import { demoScenario, type DemoStep } from '../../src/demo/demo-scenario.js';
import { renderDemoTable } from '../../src/demo/demo-table.js';
import type { DemoRow } from '../../src/demo/run-demo.js';
import { compilePolicySet, type CompiledPolicySet } from '../../src/policy/policy-set.js';
import { readPolicyDir } from '../../src/policy/policy-files.js';
import { parseActionRequest } from '../../src/request/action-request.js';
import { requestHash } from '../../src/request/request-hash.js';
import { demoSigner } from '../../src/demo/demo-keys.js';
import { checkApproval, signApproval } from '../../src/identity/operator-approval.js';
import { signRequest } from '../../src/identity/request-signature.js';
import { nodeBackend } from '../../src/receipt/verify/node-backend.js';
import { POLICIES_DIR } from '../support/paths.js';

/** Tuesday 10:00 UTC: inside the config-changes window, like the policy cases. */
const NOW = new Date('2026-11-24T10:00:00Z');

function decide(set: CompiledPolicySet, step: DemoStep, now = NOW) {
  const request = parseActionRequest(step.request);
  const signature = signRequest(request, demoSigner(step.signedBy ?? request.actor.id));
  return { request, decision: set.evaluate(request, { now, signature }) };
}

describe('when the demo scenario meets the sample policies', () => {
  it('expects what the policies answer for every step the normal gate decides', async () => {
    const set = compilePolicySet(await readPolicyDir(POLICIES_DIR));
    const steps = demoScenario('demo-test');
    for (const step of steps.filter((s) => s.gate === 'normal')) {
      const { decision } = decide(set, step);
      expect({ title: step.title, outcome: decision.outcome }).toEqual({ title: step.title, outcome: step.expected });
    }
  });

  it('covers PERMIT, DENY, SILENCE, STEP_UP, break-glass, a duplicate and a gate timeout', () => {
    const steps = demoScenario('demo-test');
    expect(new Set(steps.map((s) => s.expected))).toEqual(new Set(['PERMIT', 'DENY', 'SILENCE', 'STEP_UP']));
    const repeat = steps.find((s) => s.repeatOf !== undefined);
    expect(repeat?.request).toEqual(steps[repeat?.repeatOf ?? -1]?.request);
    expect(steps.filter((s) => s.gate === 'slow').map((s) => s.expected)).toEqual(['DENY']);
    expect(new Set(steps.map((s) => s.request.idempotencyKey)).size).toBe(steps.length - 1);
    for (const s of steps) expect(s.request.idempotencyKey.startsWith('demo-test-')).toBe(true);
    expect(steps.filter((s) => s.operators).map((s) => [s.expected, s.operators?.kind, s.operators?.expected])).toEqual([
      ['STEP_UP', 'approval', 'PERMIT'],
      ['DENY', 'override', 'PERMIT'],
    ]);
    // The steps before them are the demo as it was: operators come last.
    expect(steps.slice(0, 9).some((s) => s.operators)).toBe(false);
  });

  it('makes the new-payee payment wait for treasury, and two treasury operators are its quorum', async () => {
    const set = compilePolicySet(await readPolicyDir(POLICIES_DIR));
    const step = demoScenario('demo-test').find((s) => s.expected === 'STEP_UP') as DemoStep;
    const { request, decision } = decide(set, step);
    expect(decision).toMatchObject({ outcome: 'STEP_UP', reasons: ['payments.new-payee-needs-approval'], approvalGroups: ['treasury'] });
    const grant = set.surface('payments')?.approvals;
    expect(grant?.groups).toEqual(['treasury']);
    const approving = step.operators?.answers.filter((a) => a.verdict === 'approve') ?? [];
    expect(approving.length).toBe(grant?.quorum);
    // Each answer but the last leaves the action waiting: only the last completes the quorum.
    expect(new Set(approving.map((a) => a.operatorId)).size).toBe(approving.length);
    expectAnswersCount(set, request, step, { verdicts: ['approve', 'reject'], groups: grant?.groups ?? [], reasonRequired: grant?.reasonRequired ?? true });
  });

  it('makes the production change a DENY that sre-oncall may override, at any hour', async () => {
    const set = compilePolicySet(await readPolicyDir(POLICIES_DIR));
    const step = demoScenario('demo-test').find((s) => s.operators?.kind === 'override') as DemoStep;
    expect(step.request.breakGlass?.reason).toBeTruthy();
    const grant = set.surface('config-changes')?.breakGlass;
    expect(grant?.groups).toEqual(['sre-oncall']);
    expect(step.operators?.answers.filter((a) => a.verdict === 'override').length).toBe(grant?.quorum);
    const { request, decision } = decide(set, step);
    expect(decision).toMatchObject({ outcome: 'DENY', reasons: ['config-changes.forbid-production-without-ticket'] });
    expect(overridable({ ...decision, mode: set.surface('config-changes')?.mode ?? 'enforce' })).toBe(true);
    // Saturday night, outside the change window: a second policy refuses too, still one an override may lift.
    const { decision: weekend } = decide(set, step, new Date('2026-11-28T02:30:00Z'));
    expect(weekend.reasons).toEqual(['config-changes.forbid-production-outside-window', 'config-changes.forbid-production-without-ticket']);
    expect(overridable({ ...weekend, mode: 'enforce' })).toBe(true);
    expectAnswersCount(set, request, step, { verdicts: ['override', 'reject'], groups: grant?.groups ?? [], reasonRequired: grant?.reasonRequired ?? true });
  });
});

/** Each scripted answer, signed with its operator's demo key, passes the gate's check against the sample principals. */
function expectAnswersCount(
  set: CompiledPolicySet,
  request: ReturnType<typeof parseActionRequest>,
  step: DemoStep,
  grant: { verdicts: Array<'approve' | 'reject' | 'override'>; groups: readonly string[]; reasonRequired: boolean },
): void {
  const bound = {
    workflowId: request.idempotencyKey,
    runId: 'run-1',
    requestHash: requestHash(request),
    decisionReceiptId: `sha256:${'ab'.repeat(32)}`,
  } as const;
  for (const answer of step.operators?.answers ?? []) {
    const signed = signApproval(
      { v: 1, ...bound, verdict: answer.verdict, reason: answer.reason, operatorId: answer.operatorId, expiresAt: '2026-11-24T10:10:00.000Z', nonce: 'n'.repeat(22) },
      demoSigner(answer.operatorId),
    );
    const check = checkApproval(set.principals, signed, { ...bound, ...grant }, { now: NOW, backend: nodeBackend });
    expect({ operator: answer.operatorId, ok: check.ok, why: check.ok ? '' : check.detail }).toEqual({ operator: answer.operatorId, ok: true, why: '' });
  }
}

describe('when the rows are rendered', () => {
  const row = { step: 1, title: 't', surface: 'payments', actor: 'a', outcome: 'PERMIT', expected: 'PERMIT', reasons: ['r'], decisionMs: 1, doneMs: 2, decidedAt: 0 };

  it('says how often each action reached the external system', () => {
    const table = renderDemoTable([
      { ...row, callsForKey: 1, newCalls: 1 },
      { ...row, step: 2, outcome: 'DENY', callsForKey: 0, newCalls: 0 },
      { ...row, step: 3, callsForKey: 1, newCalls: 0 },
    ]);
    const lines = table.split('\n');
    expect(lines[2]).toContain('yes, once');
    expect(lines[3]).toMatch(/DENY \(expected PERMIT\).*\bno\b/);
    expect(lines[4]).toContain('answered from the first');
  });

  it('lists the receipts of an action that waited for operators under the table', () => {
    const stepUp: DemoRow = {
      ...row,
      step: 10,
      title: 'payment to a new payee',
      outcome: 'STEP_UP → PERMIT',
      expected: 'STEP_UP → PERMIT',
      reasons: ['payments.new-payee-needs-approval'],
      callsForKey: 1,
      newCalls: 1,
      receipts: { decision: 'sha256:d1', outcome: 'sha256:o1', dispatch: 'succeeded' },
      operators: {
        kind: 'approval',
        needs: '2 of treasury',
        until: '2026-11-24T10:15:00.000Z',
        answers: [
          { operatorId: 'olivia', verdict: 'approve', said: 'counted, 1 of 2: still waiting' },
          { operatorId: 'omar', verdict: 'approve', said: 'PERMIT approved: the approval receipt is on record' },
        ],
        resolution: { outcome: 'PERMIT', reasons: ['approved'], operators: ['olivia', 'omar'], receiptId: 'sha256:a1' },
        searchAttribute: 'approved',
        problem: null,
      },
    };
    const override: DemoRow = {
      ...stepUp,
      step: 11,
      title: 'production change, break-glass',
      outcome: 'DENY → PERMIT',
      expected: 'DENY → PERMIT',
      reasons: ['config-changes.forbid-production-without-ticket'],
      receipts: { decision: 'sha256:d2', outcome: 'sha256:o2', dispatch: 'succeeded' },
      operators: {
        kind: 'override',
        needs: '1 of sre-oncall',
        until: '2026-11-24T10:15:00.000Z',
        answers: [{ operatorId: 'sam', verdict: 'override', said: 'PERMIT overridden: the override receipt is on record' }],
        resolution: { outcome: 'PERMIT', reasons: ['overridden'], operators: ['sam'], receiptId: 'sha256:v2' },
        searchAttribute: 'overridden',
        problem: null,
      },
    };
    const text = renderDemoTable([stepUp, override]);
    expect(text).toContain('the agent was answered STEP_UP in 1 ms; the action waited for approval by 2 of treasury');
    expect(text).toMatch(/decision receipt\s+sha256:d1 {2}STEP_UP {2}payments\.new-payee-needs-approval/);
    expect(text).toMatch(/olivia signs approve\s+counted, 1 of 2: still waiting/);
    expect(text).toMatch(/approval receipt\s+sha256:a1 {2}PERMIT {2}approved by olivia, omar/);
    expect(text).toMatch(/outcome receipt\s+sha256:o1 {2}dispatch succeeded/);
    expect(text).toContain('waited for break-glass by 1 of sre-oncall');
    expect(text).toMatch(/override receipt\s+sha256:v2 {2}PERMIT {2}overridden by sam/);
    expect(text).toMatch(/ActionOperators\s+overridden; the worker logs a break_glass_used warning/);
    expect(text).not.toContain('PROBLEM');
  });

  it('flags operators who did not resolve the action', () => {
    const stuck: DemoRow = {
      ...row,
      outcome: 'STEP_UP → unresolved',
      expected: 'STEP_UP → PERMIT',
      callsForKey: 0,
      newCalls: 0,
      receipts: { decision: 'sha256:d1', outcome: null, dispatch: 'not settled' },
      operators: {
        kind: 'approval',
        needs: '2 of treasury',
        until: '2026-11-24T10:15:00.000Z',
        answers: [{ operatorId: 'olivia', verdict: 'approve', said: 'refused: not_in_group olivia is in none of sre-oncall' }],
        resolution: null,
        searchAttribute: null,
        problem: "olivia's approve was refused: not_in_group olivia is in none of sre-oncall",
      },
    };
    const text = renderDemoTable([stuck]);
    expect(text).toContain('STEP_UP → unresolved (expected STEP_UP → PERMIT)');
    expect(text).toMatch(/PROBLEM\s+olivia's approve was refused/);
  });
});
