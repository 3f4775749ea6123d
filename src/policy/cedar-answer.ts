import type { AuthorizationAnswer } from '@cedar-policy/cedar-wasm/nodejs';
import type { Digest } from '../request/digest.js';
import { DecisionReason, type PolicyDecision } from './decision.js';

/**
 * Maps Cedar's answer to a decision. A request that fails Cedar's validation against the schema
 * is `SILENCE` (`schema_violation`), its detail led by the fields `named` finds. Any error is SILENCE, whatever Cedar decided: Cedar skips
 * a policy whose condition errors, so a forbid reading a missing attribute simply stops applying
 * and Cedar may answer "allow". Reasons are sorted because Cedar's order is not stable.
 *
 * @example
 * decisionFromAnswer({ type: 'success', warnings: [], response: { decision: 'allow', diagnostics: { reason: ['b', 'a'], errors: [] } } }, digest)
 * // { outcome: 'PERMIT', reasons: ['a', 'b'], policy: { digest } }
 */
export function decisionFromAnswer(answer: AuthorizationAnswer, digest: Digest, named: () => string[] = () => []): PolicyDecision {
  if (answer.type === 'failure') {
    const messages = answer.errors.map((error) => error.message);
    // With validateRequest on, Cedar refuses a request that does not fit the schema before any policy runs.
    if (messages.some((message) => SCHEMA_FAILURE.test(message))) {
      return gateRefusal(DecisionReason.schemaViolation, digest, [...named(), ...messages].sort(compareCodeUnits).join('; '));
    }
    return evaluationError(digest, messages);
  }
  const { decision, diagnostics } = answer.response;
  if (diagnostics.errors.length > 0) {
    return evaluationError(
      digest,
      diagnostics.errors.map((error) => `${error.policyId}: ${error.error.message}`),
    );
  }
  const reasons = [...diagnostics.reason].sort(compareCodeUnits);
  if (decision === 'allow') return { outcome: 'PERMIT', reasons, policy: { digest } };
  if (reasons.length > 0) return { outcome: 'DENY', reasons, policy: { digest } };
  return { outcome: 'DENY', reasons: [DecisionReason.noMatchingPermit], policy: { digest } };
}

const SCHEMA_FAILURE = /schema|while parsing context|is not valid for|does not conform|does not exist/;

/** SILENCE for a refusal the gate makes before or instead of Cedar (unknown actor, bad signature, schema...). */
export function gateRefusal(reason: string, digest: Digest | null, detail: string): PolicyDecision {
  return { outcome: 'SILENCE', reasons: [reason], policy: { digest }, detail };
}

/** SILENCE for an evaluation that failed; `detail` holds the sorted messages so replays compare equal. */
export function evaluationError(digest: Digest | null, messages: string[]): PolicyDecision {
  const detail = [...messages].sort(compareCodeUnits).join('; ') || 'unknown evaluation error';
  return { outcome: 'SILENCE', reasons: [DecisionReason.evaluationError], policy: { digest }, detail };
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
