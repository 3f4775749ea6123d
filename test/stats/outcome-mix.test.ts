// The outcome mix and the shift rule, without Postgres: the thresholds at their edges.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../src/policy/decision.js';
import { outcomeMix, policyLabel, type DecisionCount } from '../../src/stats/outcome-mix.js';
import { OUTCOME_SHIFT_RULE } from '../../src/stats/outcome-shift-rule.js';
import { REPO_ROOT } from '../support/paths.js';

const AT = '2026-12-01T00:00:00.000Z';

/** Counts of one surface under one policy version: `[PERMIT, DENY, SILENCE, STEP_UP]` before the window and in it. */
function counts(surface: string, baseline: number[], recent: number[], version: string | null = 'v1'): DecisionCount[] {
  const outcomes: Outcome[] = ['PERMIT', 'DENY', 'SILENCE', 'STEP_UP'];
  return [false, true].flatMap((isRecent) =>
    outcomes
      .map((outcome, i) => ({ outcome, count: (isRecent ? recent : baseline)[i] ?? 0 }))
      .filter((c) => c.count > 0)
      .map((c) => ({ surface, policyVersion: version, policyDigest: `sha256:${'0123456789abcdef'.repeat(4)}`, outcome: c.outcome, recent: isRecent, count: c.count, firstIssuedAt: AT })),
  );
}

const flagged = (c: DecisionCount[]) => outcomeMix(c).surfaces.map((s) => [s.surface, s.flagged]);

describe('when the rule is read', () => {
  it('has the numbers of the outcome-shift alert (deploy/prometheus/alerts.yml), read from the alert itself', async () => {
    expect(OUTCOME_SHIFT_RULE).toMatchObject({ refusedOutcomes: ['DENY', 'SILENCE'], recentWindowMs: 300_000, rangeMs: 3_600_000 });
    const rules = await readFile(join(REPO_ROOT, 'deploy', 'prometheus', 'alerts.yml'), 'utf8');
    const shift = rules.slice(rules.indexOf('alert: ActionGateOutcomeShift'));
    expect(shift).toContain(`surface:actiongate_refusals:share5m >= ${OUTCOME_SHIFT_RULE.minRecentShare}`);
    expect(shift).toContain(`surface:actiongate_refusals:share5m >= ${OUTCOME_SHIFT_RULE.minRatio} * surface:actiongate_refusals:share1h`);
    expect(shift).toContain(`surface:actiongate_decisions:rate5m * 300 >= ${OUTCOME_SHIFT_RULE.minRecentDecisions}`);
    // The recorded share leaves out the same gate faults.
    const share = rules.slice(rules.indexOf('record: surface:actiongate_refusals:share5m'), rules.indexOf('record: surface:actiongate_refusals:share1h'));
    expect(share).toContain(`outcome=~"${OUTCOME_SHIFT_RULE.refusedOutcomes.join('|')}", reason_class!~"${OUTCOME_SHIFT_RULE.gateFaultReasons.join('|')}"`);
  });

  it('does not count the gate\'s own refusals (a gate timeout burst) as refused', () => {
    const rows = [
      { surface: 'gf', policyVersion: 'v1', policyDigest: null, outcome: 'PERMIT' as const, recent: false, count: 98, firstIssuedAt: '2026-11-24T09:00:00.000Z' },
      { surface: 'gf', policyVersion: 'v1', policyDigest: null, outcome: 'DENY' as const, recent: false, count: 2, firstIssuedAt: '2026-11-24T09:00:00.000Z' },
      { surface: 'gf', policyVersion: 'v1', policyDigest: null, outcome: 'PERMIT' as const, recent: true, count: 60, firstIssuedAt: '2026-11-24T09:56:00.000Z' },
      { surface: 'gf', policyVersion: 'v1', policyDigest: null, outcome: 'DENY' as const, recent: true, count: 40, firstIssuedAt: '2026-11-24T09:56:00.000Z', gateFault: true },
    ];
    const mix = outcomeMix(rows);
    expect(mix.surfaces[0]?.flagged).toBe(false);
    expect(mix.surfaces[0]?.recent).toMatchObject({ decisions: 100, refused: 0 });
    expect(outcomeMix(rows.map((r) => ({ ...r, gateFault: false }))).surfaces[0]?.flagged).toBe(true);
  });
});

describe('when a surface is at the edges of the rule', () => {
  it('flags exactly 25% at 3x over exactly 10 decisions, computed from DENY and SILENCE together', () => {
    // Baseline 1 of 12 (8.3%); recent 5 of 20 (25%, exactly 3x).
    expect(flagged(counts('edge', [11, 1], [15, 3, 2]))).toEqual([['edge', true]]);
    // Baseline 1 of 10, recent 3 of 10: exactly 3x, though 0.3 >= 3 * 0.1 is false in floating point.
    expect(flagged(counts('exact-3x', [9, 1], [7, 3]))).toEqual([['exact-3x', true]]);
    expect(flagged(counts('ten', [11, 1], [7, 2, 1]))).toEqual([['ten', true]]);
    expect(flagged(counts('nine', [11, 1], [6, 2, 1]))).toEqual([['nine', false]]);
  });

  it('does not flag a share under 25%, nor one under 3x the baseline', () => {
    expect(flagged(counts('under-25', [99, 1], [31, 9]))).toEqual([['under-25', false]]); // 22.5%
    expect(flagged(counts('under-3x', [85, 15], [60, 40]))).toEqual([['under-3x', false]]); // 40% vs 15%: 2.7x
  });

  it('flags a jump from no refusals at all, with no ratio', () => {
    const mix = outcomeMix(counts('from-zero', [50], [7, 3]));
    expect(mix.surfaces[0]).toMatchObject({ flagged: true, ratio: null, baseline: { decisions: 50, refused: 0, share: 0 }, recent: { decisions: 10, refused: 3, share: 0.3 } });
  });

  it('does not flag a surface with no decisions before the window', () => {
    const mix = outcomeMix(counts('new', [], [0, 20]));
    expect(mix.surfaces[0]).toMatchObject({ flagged: false, ratio: null, baseline: { decisions: 0, share: null }, recent: { share: 1 } });
  });

  it('counts STEP_UP as neither permitted nor refused', () => {
    const mix = outcomeMix(counts('step-up', [100], [0, 0, 0, 30]));
    expect(mix.surfaces[0]).toMatchObject({ flagged: false, recent: { refused: 0, share: 0 } });
    expect(mix.rows[0]).toMatchObject({ decisions: 130, counts: { PERMIT: 100, STEP_UP: 30 }, refusedShare: 0 });
  });
});

describe('when rows are named', () => {
  it('uses the version label, else the digest', () => {
    expect(policyLabel('2026.12.1', 'sha256:0123456789abcdef')).toBe('2026.12.1');
    expect(policyLabel(null, `sha256:${'0123456789abcdef'.repeat(4)}`)).toBe('0123456789ab');
    expect(policyLabel(null, null)).toBe('none');
  });

  it('lists one row per surface and version, versions in the order they came', () => {
    const later = counts('a', [], [1], 'v2').map((c) => ({ ...c, firstIssuedAt: '2026-12-01T00:10:00.000Z' }));
    const mix = outcomeMix([...later, ...counts('b', [1], []), ...counts('a', [1], [], 'v3')]);
    expect(mix.rows.map((r) => [r.surface, r.policy])).toEqual([
      ['a', 'v3'],
      ['a', 'v2'],
      ['b', 'v1'],
    ]);
  });
});
