/**
 * When a surface's outcome mix has shifted: its DENY+SILENCE share over the recent window against
 * its own baseline. One rule, cited by `actiongate stats` and by the outcome-shift alert
 * (deploy/prometheus/alerts.yml: the share over 5m against the share over 1h), so that the table an
 * operator reads and the alert that paged them agree on the numbers.
 *
 * @example
 * const shifted = recent.decisions >= OUTCOME_SHIFT_RULE.minRecentDecisions
 *   && recentShare >= OUTCOME_SHIFT_RULE.minRecentShare
 *   && recentShare >= OUTCOME_SHIFT_RULE.minRatio * baselineShare;
 */
export const OUTCOME_SHIFT_RULE = {
  /** The outcomes that count as refused: a DENY points at the policies, a SILENCE at the gate or the request; both stop the action. */
  refusedOutcomes: ['DENY', 'SILENCE'],
  /**
   * Refusals the gate made because it could not decide are not counted as refused (nor left out
   * of the decisions): they are the gate-health alerts' business (ActionGateTimingOut, ...), not a
   * shift in what agents ask or policies answer.
   */
  gateFaultReasons: ['gate_timeout', 'policy_unavailable', 'receipt_store_unavailable', 'evaluation_error'],
  /** The recent window (the alert's short range): 5 minutes. */
  recentWindowMs: 300_000,
  /** The whole range looked at (the alert's long range): 1 hour; the baseline is the part before the recent window. */
  rangeMs: 3_600_000,
  /** The recent refused share must be at least this (25%)... */
  minRecentShare: 0.25,
  /** ...and at least this many times the baseline share... */
  minRatio: 3,
  /** ...over at least this many recent decisions, so that one refusal on a quiet surface does not flag it (in the alert, its minimum decision rate over the short range). */
  minRecentDecisions: 10,
} as const;

export type OutcomeShiftRule = {
  readonly refusedOutcomes: readonly string[];
  readonly gateFaultReasons: readonly string[];
  readonly recentWindowMs: number;
  readonly rangeMs: number;
  readonly minRecentShare: number;
  readonly minRatio: number;
  readonly minRecentDecisions: number;
};
