import type { ActionRequest } from '../src/request/action-request.js';
import type { Digest } from '../src/request/digest.js';
import type { PolicyDecision } from '../src/policy/decision.js';
import type { PolicySource } from '../src/policy/policy-source.js';
import { GATE_REASONS } from '../src/action/action-result.js';

export interface AuthorizeInput {
  request: ActionRequest;
  /** The policy set pinned when the action began; never substituted. */
  digest: Digest;
  /** The workflow's clock (ISO 8601), so a replay evaluates at the same instant. */
  now: string;
}

/** Evaluates the request against the pinned policy set. Every failure is a SILENCE value, never a throw. */
export async function authorize(deps: { policies: PolicySource }, input: AuthorizeInput): Promise<PolicyDecision> {
  let set;
  try {
    set = await deps.policies.pinned(input.digest);
  } catch (err) {
    return silence(GATE_REASONS.policyUnavailable, null, (err as Error).message);
  }
  if (!set) return silence(GATE_REASONS.policyUnavailable, input.digest, `pinned policy set ${input.digest} is not held`);
  try {
    return set.evaluate(input.request, { now: new Date(input.now) });
  } catch (err) {
    return silence(GATE_REASONS.evaluationError, input.digest, (err as Error).message);
  }
}

function silence(reason: string, digest: Digest | null, detail: string): PolicyDecision {
  return { outcome: 'SILENCE', reasons: [reason], policy: { digest }, detail };
}
