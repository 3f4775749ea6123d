import type { Digest } from '../request/digest.js';

/**
 * `PERMIT`: a permit matched and no forbid did. `DENY`: the policies refuse the action.
 * `SILENCE`: the gate could not decide (unknown surface, evaluation error); a refusal too,
 * kept apart from `DENY` because it points at the gate or the request, not at the policy.
 * `STEP_UP`: a permit matched and the only forbids that matched are approval policies
 * (`@approval("group")`): the action waits for operators of those groups (docs/POLICIES.md).
 */
export type Outcome = 'PERMIT' | 'DENY' | 'SILENCE' | 'STEP_UP';

export const OUTCOMES = ['PERMIT', 'DENY', 'SILENCE', 'STEP_UP'] as const satisfies readonly Outcome[];

/**
 * The value a policy evaluation produces; never an exception.
 *
 * @example
 * const decision: PolicyDecision = {
 *   outcome: 'DENY',
 *   reasons: ['payments.forbid-agent-over-limit'],
 *   policy: { digest: 'sha256:...' },
 * };
 */
export interface PolicyDecision {
  outcome: Outcome;
  /** Policy ids that decided (sorted), or one of the {@link DecisionReason} words. */
  reasons: string[];
  /** The policy set in force; null only when no policy set could be loaded at all. */
  policy: { digest: Digest | null };
  /** For `SILENCE` after an error: the sorted error messages, joined. */
  detail?: string;
  /** The key that proved the actor; null when accepted unsigned (shadow) or assumed (cases, replay). */
  actorKeyId?: string | null;
  /** For `STEP_UP`: the groups the refusing approval policies name (sorted); each needs the surface's quorum. */
  approvalGroups?: string[];
}

/** Reasons that are not policy ids. A policy may not use one of these as its `@id`. */
export const DecisionReason = {
  noMatchingPermit: 'no_matching_permit',
  unknownSurface: 'unknown_surface',
  evaluationError: 'evaluation_error',
  /** The request does not fit the schema: a type mismatch, an undeclared action or attribute, a missing one. */
  schemaViolation: 'schema_violation',
  /** actor.id is not in principals.json, or actor.type is not its registered type. */
  unknownActor: 'unknown_actor',
  /** Missing (on a surface that needs it), malformed, unknown-key, expired-key or wrong signature. */
  badSignature: 'bad_signature',
  /** The target is listed in targets.json with another type than the request claims. */
  targetMismatch: 'target_mismatch',
  /** The action waited longer than the surface's maxQueueMs, or past the request's notAfter. */
  expired: 'expired',
} as const;

export type DecisionReason = (typeof DecisionReason)[keyof typeof DecisionReason];

export const DECISION_REASONS: ReadonlySet<string> = new Set(Object.values(DecisionReason));
