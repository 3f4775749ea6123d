import { describe, expect, it } from 'vitest';
import { formatCaseResult, formatCaseSummary, runPolicyCases } from '../../src/policy/case-runner.js';
import { parsePolicyCases, type PolicyCasesFile } from '../../src/policy/policy-cases.js';
import { PolicyError } from '../../src/policy/policy-error.js';
import { compilePolicySet } from '../../src/policy/policy-set.js';
import { demoSet, PERMIT_TRANSFER } from './policy-fixtures.js';

const FORBID_OVER_100 = `
@id("demo.forbid-over-100")
forbid (principal, action == ActionGate::Action::"transfer", resource) when { context.amount > 100 };
@id("demo.forbid-over-200")
forbid (principal, action == ActionGate::Action::"transfer", resource) when { context.amount > 200 };
`;
const set = compilePolicySet(demoSet(PERMIT_TRANSFER + FORBID_OVER_100));

function cases(...list: PolicyCasesFile['cases']): PolicyCasesFile {
  return { version: 1, now: '2026-11-24T10:00:00Z', cases: list };
}

function transfer(name: string, amount: unknown, outcome: 'PERMIT' | 'DENY' | 'SILENCE', reasons: string[]) {
  return {
    name,
    actor: { id: 'agent-1', type: 'agent' },
    action: 'transfer',
    target: { type: 'account', id: 'acct-1' },
    context: amount === undefined ? {} : { amount },
    expect: { outcome, reasons },
  };
}

describe('runPolicyCases', () => {
  describe('when every case gets its expected decision', () => {
    it('passes them all, comparing reasons in any order', () => {
      const results = runPolicyCases(
        set,
        'demo',
        cases(
          transfer('small', 50, 'PERMIT', ['demo.permit-transfer']),
          transfer('large', 500, 'DENY', ['demo.forbid-over-200', 'demo.forbid-over-100']),
          transfer('no amount', undefined, 'SILENCE', ['schema_violation']),
        ),
      );
      expect(results.map(formatCaseResult)).toEqual(['PASS demo small', 'PASS demo large', 'PASS demo no amount']);
      expect(formatCaseSummary(results)).toBe('3 passed, 0 failed');
    });
  });

  describe('when a case gets another decision', () => {
    it('fails it, printing what was expected and what came', () => {
      const results = runPolicyCases(set, 'demo', cases(transfer('small', 50, 'DENY', ['demo.forbid-over-100']), transfer('ok', 1, 'PERMIT', ['demo.permit-transfer'])));
      expect(formatCaseResult(results[0]!)).toBe('FAIL demo small: expected DENY [demo.forbid-over-100] got PERMIT [demo.permit-transfer]');
      expect(formatCaseSummary(results)).toBe('1 passed, 1 failed');
    });

    it('shows the detail of an unexpected SILENCE', () => {
      const [result] = runPolicyCases(set, 'demo', cases(transfer('no amount', undefined, 'PERMIT', ['demo.permit-transfer']), transfer('ok', 1, 'PERMIT', ['demo.permit-transfer'])));
      expect(formatCaseResult(result!)).toMatch(/^FAIL demo no amount: expected PERMIT \[demo.permit-transfer\] got SILENCE \[schema_violation\] - .*amount/);
    });
  });

  describe('when a case is not a request the gate would accept', () => {
    it('fails it instead of deciding it', () => {
      const [result] = runPolicyCases(set, 'demo', cases({ ...transfer('bad', 1, 'PERMIT', ['demo.permit-transfer']), action: 'Transfer!' }, transfer('ok', 1, 'PERMIT', ['demo.permit-transfer'])));
      expect(result?.passed).toBe(false);
      expect(result?.actual).toBeUndefined();
      expect(formatCaseResult(result!)).toMatch(/^FAIL demo bad: expected PERMIT \[demo.permit-transfer\] got an invalid request: action/);
    });
  });
});

describe('parsePolicyCases', () => {
  const valid = cases(transfer('a', 1, 'PERMIT', ['x']), transfer('b', 1, 'PERMIT', ['x']));

  describe('when the file is wrong', () => {
    it.each([
      ['not JSON', '{'],
      ['version 2', JSON.stringify({ ...valid, version: 2 })],
      ['an unknown field', JSON.stringify({ ...valid, extra: 1 })],
      ['one case only', JSON.stringify({ ...valid, cases: valid.cases.slice(0, 1) })],
      ['two cases with one name', JSON.stringify({ ...valid, cases: [valid.cases[0], valid.cases[0]] })],
    ])('is POLICY_INVALID for %s, naming the file', (_, text) => {
      let thrown: unknown;
      try {
        parsePolicyCases(text, 'demo/cases.json');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(PolicyError);
      expect(thrown).toMatchObject({ code: 'POLICY_INVALID', details: { file: 'demo/cases.json' } });
    });
  });
});
