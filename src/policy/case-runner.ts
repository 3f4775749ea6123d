import { safeParseActionRequest } from '../request/action-request.js';
import type { PolicyDecision, Outcome } from './decision.js';
import type { PolicyCasesFile } from './policy-cases.js';
import type { CompiledPolicySet } from './policy-set.js';

/** One case's result. `actual` is absent when the case is not a valid ActionRequest (then it failed). */
export interface CaseResult {
  surface: string;
  name: string;
  passed: boolean;
  expected: { outcome: Outcome; reasons: string[] };
  actual?: PolicyDecision;
  /** Why the case could not be run: its request would be refused before the gate. */
  invalidRequest?: string;
}

/**
 * The generic runner for policy cases: each case becomes an ActionRequest on `surface`,
 * checked by the same schema agents' requests are (a case the gate could never see tests
 * nothing), and is decided by `set` at the case's fixed instant. A case passes when outcome
 * and reasons (sorted, as decisions give them) are exactly the expected ones.
 *
 * @example
 * const results = runPolicyCases(set, 'payments', await readPolicyCases('policies', 'payments'));
 * for (const result of results) console.log(formatCaseResult(result));
 * console.log(formatCaseSummary(results)); // "12 passed, 0 failed"
 */
export function runPolicyCases(set: CompiledPolicySet, surface: string, file: PolicyCasesFile): CaseResult[] {
  return file.cases.map((c, index) => {
    const expected = { outcome: c.expect.outcome, reasons: [...c.expect.reasons] };
    const parsed = safeParseActionRequest({
      idempotencyKey: `case-${surface}-${index}`,
      actor: c.actor,
      surface,
      action: c.action,
      target: c.target,
      context: c.context,
    });
    if (!parsed.ok) {
      const issues = parsed.error.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
      return { surface, name: c.name, passed: false, expected, invalidRequest: issues };
    }
    const actual = set.evaluate(parsed.request, { now: new Date(c.now ?? file.now), assumeSigned: true });
    const passed = actual.outcome === expected.outcome && sameList(actual.reasons, [...expected.reasons].sort());
    return { surface, name: c.name, passed, expected, actual };
  });
}

/**
 * `PASS <surface> <name>`, or `FAIL <surface> <name>: expected X [reasons] got Y [reasons]`
 * (with the evaluation errors, if any, after a dash).
 *
 * @example formatCaseResult(result) === 'FAIL payments agent pays 600.00: expected DENY [payments.forbid-agent-over-limit] got PERMIT [payments.permit-agent-transfer]'
 */
export function formatCaseResult(result: CaseResult): string {
  const head = `${result.passed ? 'PASS' : 'FAIL'} ${result.surface} ${result.name}`;
  if (result.passed) return head;
  const expected = `expected ${result.expected.outcome} [${result.expected.reasons.join(', ')}]`;
  if (!result.actual) return `${head}: ${expected} got an invalid request: ${result.invalidRequest ?? ''}`;
  const detail = result.actual.detail ? ` - ${result.actual.detail}` : '';
  return `${head}: ${expected} got ${result.actual.outcome} [${result.actual.reasons.join(', ')}]${detail}`;
}

/** @example formatCaseSummary(results) === '41 passed, 0 failed' */
export function formatCaseSummary(results: readonly CaseResult[]): string {
  const passed = results.filter((result) => result.passed).length;
  return `${passed} passed, ${results.length - passed} failed`;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
