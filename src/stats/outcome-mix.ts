import { OUTCOMES, type Outcome } from '../policy/decision.js';
import { OUTCOME_SHIFT_RULE, type OutcomeShiftRule } from './outcome-shift-rule.js';

/** Decisions of one surface, policy set and outcome, in the recent window or before it (the baseline), as the store counts them. */
export interface DecisionCount {
  surface: string;
  /** The policy set's version label (`policy.version`), null for a policy directory or none. */
  policyVersion: string | null;
  /** The policy set's digest (`sha256:` + hex), null when no policy set could be loaded. */
  policyDigest: string | null;
  outcome: Outcome;
  /** In the recent window (true) or in the baseline before it (false). */
  recent: boolean;
  /** Refusals the gate made because it could not decide (OUTCOME_SHIFT_RULE.gateFaultReasons): not counted as refused. */
  gateFault?: boolean;
  count: number;
  /** The earliest `issuedAt` of these decisions (ISO 8601), to list a surface's policy versions in the order they came. */
  firstIssuedAt: string;
}

/** One row of `actiongate stats`: the outcome mix of one surface under one policy version, over the whole range. */
export interface OutcomeMixRow {
  surface: string;
  /** The version label, else the digest's first 12 hex digits, else `none`. */
  policy: string;
  decisions: number;
  counts: Record<Outcome, number>;
  /** Each outcome's share of `decisions`, 0 to 1. */
  shares: Record<Outcome, number>;
  /** The DENY+SILENCE share, 0 to 1. */
  refusedShare: number;
}

/** Decisions and refusals (DENY+SILENCE) of a surface in one part of the range. */
export interface WindowMix {
  decisions: number;
  refused: number;
  /** refused / decisions; null when there were no decisions. */
  share: number | null;
}

/** A surface's recent window against its baseline, and whether the rule flags the change. */
export interface SurfaceShift {
  surface: string;
  recent: WindowMix;
  baseline: WindowMix;
  /** recent share / baseline share; null when either is null or the baseline share is 0. */
  ratio: number | null;
  flagged: boolean;
}

export interface OutcomeMix {
  rows: OutcomeMixRow[];
  /** Every surface with decisions in the range, flagged or not, by surface name. */
  surfaces: SurfaceShift[];
}

/**
 * The outcome mix per surface and policy version, and each surface's shift under the rule: flagged
 * when the recent window has at least `minRecentDecisions` decisions, its refused share is at
 * least `minRecentShare` and at least `minRatio` times the baseline's. A surface with no baseline
 * decisions has no baseline to shift from and is not flagged (the alert, whose long range holds
 * the short one, sees a ratio of 1 there).
 *
 * @example outcomeMix(counts).surfaces.filter((s) => s.flagged)
 */
export function outcomeMix(counts: readonly DecisionCount[], rule: OutcomeShiftRule = OUTCOME_SHIFT_RULE): OutcomeMix {
  const refused = (outcome: Outcome) => rule.refusedOutcomes.includes(outcome);
  const rows = new Map<string, OutcomeMixRow & { first: string }>();
  const windows = new Map<string, { recent: WindowMix; baseline: WindowMix }>();
  for (const c of counts) {
    const policy = policyLabel(c.policyVersion, c.policyDigest);
    const rowKey = JSON.stringify([c.surface, policy]);
    let row = rows.get(rowKey);
    if (!row) {
      row = { surface: c.surface, policy, decisions: 0, counts: zeroes(), shares: zeroes(), refusedShare: 0, first: c.firstIssuedAt };
      rows.set(rowKey, row);
    }
    row.decisions += c.count;
    row.counts[c.outcome] += c.count;
    if (c.firstIssuedAt < row.first) row.first = c.firstIssuedAt;

    let surface = windows.get(c.surface);
    if (!surface) {
      surface = { recent: { decisions: 0, refused: 0, share: null }, baseline: { decisions: 0, refused: 0, share: null } };
      windows.set(c.surface, surface);
    }
    const part = c.recent ? surface.recent : surface.baseline;
    part.decisions += c.count;
    if (refused(c.outcome) && c.gateFault !== true) part.refused += c.count;
  }

  const mixRows = [...rows.values()]
    .sort((a, b) => compare(a.surface, b.surface) || compare(a.first, b.first) || compare(a.policy, b.policy))
    .map(({ first: _first, ...row }) => {
      for (const outcome of OUTCOMES) row.shares[outcome] = row.counts[outcome] / row.decisions;
      row.refusedShare = OUTCOMES.filter(refused).reduce((sum, outcome) => sum + row.counts[outcome], 0) / row.decisions;
      return row;
    });

  const surfaces = [...windows.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([surface, { recent, baseline }]): SurfaceShift => {
      recent.share = recent.decisions === 0 ? null : recent.refused / recent.decisions;
      baseline.share = baseline.decisions === 0 ? null : baseline.refused / baseline.decisions;
      const ratio = recent.share === null || baseline.share === null || baseline.share === 0 ? null : recent.share / baseline.share;
      const flagged =
        recent.share !== null &&
        baseline.share !== null &&
        recent.decisions >= rule.minRecentDecisions &&
        recent.refused >= rule.minRecentShare * recent.decisions &&
        // Cross-multiplied, so that a ratio of exactly 3 is 3 (0.15 >= 3 * 0.05 is false in floating point).
        recent.refused * baseline.decisions >= rule.minRatio * baseline.refused * recent.decisions;
      return { surface, recent, baseline, ratio, flagged };
    });
  return { rows: mixRows, surfaces };
}

/**
 * How a policy set is named in the table: its version label, else its digest's first 12 hex digits.
 *
 * @example policyLabel(null, 'sha256:0123456789abcdef...') === '0123456789ab'
 */
export function policyLabel(version: string | null, digest: string | null): string {
  if (version !== null && version !== '') return version;
  if (digest !== null) return digest.replace(/^sha256:/, '').slice(0, 12);
  return 'none';
}

function zeroes(): Record<Outcome, number> {
  return { PERMIT: 0, DENY: 0, SILENCE: 0, STEP_UP: 0 };
}

/** Code-unit order, the same on every machine (localeCompare is not). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
