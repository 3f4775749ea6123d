import { describe, expect, it } from 'vitest';
import { demoScenario } from '../../src/demo/demo-scenario.js';
import { renderDemoTable } from '../../src/demo/demo-table.js';
import { compilePolicySet } from '../../src/policy/policy-set.js';
import { readPolicyDir } from '../../src/policy/policy-files.js';
import { parseActionRequest } from '../../src/request/action-request.js';
import { demoSigner } from '../../src/demo/demo-keys.js';
import { signRequest } from '../../src/identity/request-signature.js';
import { POLICIES_DIR } from '../support/paths.js';

describe('when the demo scenario meets the sample policies', () => {
  it('expects what the policies answer for every step the normal gate decides', async () => {
    const set = compilePolicySet(await readPolicyDir(POLICIES_DIR));
    const steps = demoScenario('demo-test');
    for (const step of steps.filter((s) => s.gate === 'normal')) {
      const request = parseActionRequest(step.request);
      const signature = signRequest(request, demoSigner(step.signedBy ?? request.actor.id));
      const decision = set.evaluate(request, { now: new Date('2026-11-24T10:00:00Z'), signature });
      expect({ title: step.title, outcome: decision.outcome }).toEqual({ title: step.title, outcome: step.expected });
    }
  });

  it('covers PERMIT, DENY, SILENCE, a duplicate and a gate timeout', () => {
    const steps = demoScenario('demo-test');
    expect(new Set(steps.map((s) => s.expected))).toEqual(new Set(['PERMIT', 'DENY', 'SILENCE']));
    const repeat = steps.find((s) => s.repeatOf !== undefined);
    expect(repeat?.request).toEqual(steps[repeat?.repeatOf ?? -1]?.request);
    expect(steps.filter((s) => s.gate === 'slow').map((s) => s.expected)).toEqual(['DENY']);
    expect(new Set(steps.map((s) => s.request.idempotencyKey)).size).toBe(steps.length - 1);
    for (const s of steps) expect(s.request.idempotencyKey.startsWith('demo-test-')).toBe(true);
  });
});

describe('when the rows are rendered', () => {
  it('says how often each action reached the external system', () => {
    const row = { step: 1, title: 't', surface: 'payments', actor: 'a', outcome: 'PERMIT', expected: 'PERMIT', reasons: ['r'], decisionMs: 1, doneMs: 2, decidedAt: 0 };
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
});
