import type pg from 'pg';
import type { Outcome } from '../policy/decision.js';
import type { DecisionCount } from '../stats/outcome-mix.js';
import { OUTCOME_SHIFT_RULE } from '../stats/outcome-shift-rule.js';

/** The range `countDecisions` reads: decisions issued in [from, to], those from `recentFrom` on in the recent window. */
export interface DecisionCountRange {
  from: Date;
  recentFrom: Date;
  to: Date;
  /** Only this surface; every surface when absent. */
  surface?: string;
}

/**
 * Decision receipts counted by surface, policy set, outcome and window (recent or baseline),
 * by their `issuedAt` (the instant the gate decided). Read-only; the caller picks the instants,
 * so the store reads no clock. Approval and override receipts are not decisions of the gate
 * and are not counted.
 *
 * @example await countDecisions(pool, { from: hourAgo, recentFrom: fiveMinutesAgo, to: now, surface: 'payments' })
 */
export async function countDecisions(pool: pg.Pool, range: DecisionCountRange): Promise<DecisionCount[]> {
  const { rows } = await pool.query<{
    surface: string;
    policy_version: string | null;
    policy_digest: string | null;
    outcome: Outcome;
    recent: boolean;
    count: number;
    first_issued_at: Date;
    gate_fault: boolean;
  }>(
    `SELECT surface, body -> 'policy' ->> 'version' AS policy_version, policy_digest, outcome,
            issued_at >= $2 AS recent, count(*)::int AS count, min(issued_at) AS first_issued_at,
            coalesce((body -> 'reasons') ?| $5::text[], false) AS gate_fault
       FROM receipts
      WHERE kind = 'decision' AND issued_at >= $1 AND issued_at <= $3 AND ($4::text IS NULL OR surface = $4)
      GROUP BY 1, 2, 3, 4, 5, 8`,
    [range.from, range.recentFrom, range.to, range.surface ?? null, [...OUTCOME_SHIFT_RULE.gateFaultReasons]],
  );
  return rows.map((row) => ({
    surface: row.surface,
    policyVersion: row.policy_version,
    policyDigest: row.policy_digest,
    outcome: row.outcome,
    recent: row.recent,
    count: row.count,
    firstIssuedAt: row.first_issued_at.toISOString(),
    gateFault: row.gate_fault,
  }));
}
