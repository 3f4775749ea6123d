// `actiongate stats`: the outcome mix per surface and policy version from the decision receipts,
// and the shift the outcome-shift alert would flag, against the test stack's real Postgres.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statsCommand, type StatsReport } from '../../src/cli/commands/stats.js';
import { resolveConfig } from '../../src/cli/config.js';
import type { Outcome } from '../../src/policy/decision.js';
import type { DecisionReceiptBody, OutcomeReceiptBody } from '../../src/receipt/receipt-body.js';
import { receiptId } from '../../src/receipt/receipt-id.js';
import { PgReceiptStore } from '../../src/store/receipt-store.js';
import { decisionBody } from '../fixtures/decision-body.js';
import { freshDatabase } from '../support/bundles.js';
import { openPool, testEnv, uniqueId } from '../support/harness.js';
import { runCli } from '../support/run-cli.js';

const MINUTE = 60_000;
const V1 = { digest: `sha256:${'1a2b3c4d5e6f'.repeat(5)}abcd`, version: '2026.11.1' } as const;
const V2 = { digest: `sha256:${'9f8e7d6c5b4a'.repeat(5)}abcd`, version: '2026.12.1' } as const;
/** A policy directory: no version label, so the table names it by its digest. */
const DIR = { digest: `sha256:${'0123456789ab'.repeat(5)}cdef`, version: null } as const;

/** Reasons and details as the gate writes them, per outcome. */
const DECIDED: Record<Outcome, Partial<DecisionReceiptBody>> = {
  PERMIT: { outcome: 'PERMIT', reasons: ['payments.permit-agent-transfer'] },
  DENY: { outcome: 'DENY', reasons: ['payments.forbid-agent-over-limit'] },
  SILENCE: { outcome: 'SILENCE', reasons: ['bad_signature'], actor: { id: 'agent-42', type: 'agent', keyId: null }, detail: 'the signature is not over this request' },
  STEP_UP: {
    outcome: 'STEP_UP',
    reasons: ['payments.new-payee-needs-approval'],
    operators: { kind: 'approval', requirements: [{ groups: ['treasury'], quorum: 2 }], reasonRequired: false, until: '2026-12-02T00:00:00.000Z' },
  },
};

/**
 * `n` decisions of one outcome on `surface`, spread evenly from `fromAgo` to `toAgo` before `now`.
 */
function decisions(surface: string, outcome: Outcome, n: number, fromAgo: number, toAgo: number, now: number, policy: DecisionReceiptBody['policy'] = V1): DecisionReceiptBody[] {
  return Array.from({ length: n }, (_, i) => {
    const key = uniqueId(`stats-${surface}`);
    const issuedAt = new Date(now - fromAgo + ((fromAgo - toAgo) * i) / Math.max(n - 1, 1)).toISOString();
    return decisionBody(key, { ...DECIDED[outcome], surface, runId: `run-${key}`, issuedAt, policy });
  });
}

/**
 * The three surfaces of the brief, relative to `now`: `jump` refuses 2% for most of the hour,
 * then 40% in the last 5 minutes under a new policy version; `steady` refuses 2% throughout;
 * `quiet` has 2 decisions in the window, 1 refused.
 */
function scenario(s: { jump: string; steady: string; quiet: string }, now: number): DecisionReceiptBody[] {
  return [
    // jump: 50 before the window (47 PERMIT, 2 STEP_UP, 1 DENY: 2%), 10 in it (6 PERMIT, 3 DENY, 1 SILENCE: 40%) under V2.
    ...decisions(s.jump, 'PERMIT', 47, 50 * MINUTE, 10 * MINUTE, now),
    ...decisions(s.jump, 'STEP_UP', 2, 40 * MINUTE, 30 * MINUTE, now),
    ...decisions(s.jump, 'DENY', 1, 20 * MINUTE, 20 * MINUTE, now),
    ...decisions(s.jump, 'PERMIT', 6, 3 * MINUTE, MINUTE / 3, now, V2),
    ...decisions(s.jump, 'DENY', 3, 3 * MINUTE, MINUTE / 3, now, V2),
    ...decisions(s.jump, 'SILENCE', 1, 2 * MINUTE, 2 * MINUTE, now, V2),
    // steady: 2% before and in the window, a policy directory (no version label).
    ...decisions(s.steady, 'PERMIT', 49, 50 * MINUTE, 10 * MINUTE, now, DIR),
    ...decisions(s.steady, 'SILENCE', 1, 30 * MINUTE, 30 * MINUTE, now, DIR),
    ...decisions(s.steady, 'PERMIT', 49, 3 * MINUTE, MINUTE / 3, now, DIR),
    ...decisions(s.steady, 'DENY', 1, 2 * MINUTE, 2 * MINUTE, now, DIR),
    // quiet: 3 before, then 1 of 2 refused in the window: 50%, but 2 decisions are not a shift.
    ...decisions(s.quiet, 'PERMIT', 3, 40 * MINUTE, 20 * MINUTE, now),
    ...decisions(s.quiet, 'PERMIT', 1, 3 * MINUTE, 3 * MINUTE, now),
    ...decisions(s.quiet, 'DENY', 1, 2 * MINUTE, 2 * MINUTE, now),
  ];
}

function outcomeOf(decision: DecisionReceiptBody): OutcomeReceiptBody {
  const { kind: _k, outcome: _o, reasons: _r, mode: _m, policy: _p, detail: _d, operators: _ops, ...subject } = decision;
  return {
    ...subject,
    kind: 'outcome',
    decisionReceiptId: receiptId(decision),
    dispatch: { status: 'succeeded', resultHash: `sha256:${'b'.repeat(64)}`, error: null },
  };
}

const pools: pg.Pool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
});

async function append(pool: pg.Pool, bodies: Array<DecisionReceiptBody | OutcomeReceiptBody>): Promise<void> {
  const store = new PgReceiptStore(pool);
  for (const body of bodies) await store.append(body);
}

/** `statsCommand` in this process at a fixed instant, its output collected. */
async function statsAt(databaseUrl: string, args: string[], now: Date): Promise<{ code: number; out: string[]; log: string[] }> {
  const out: string[] = [];
  const log: string[] = [];
  const code = await statsCommand(resolveConfig({ DATABASE_URL: databaseUrl }), args, { out: (l) => out.push(l), log: (l) => log.push(l) }, () => now);
  return { code, out, log };
}

describe("when a surface's refusals are the gate's own (a burst of gate timeouts)", () => {
  it('does not flag them as an outcome shift: the gate-health alerts page for those', async () => {
    const NOW = Date.parse('2026-11-30T12:00:00.000Z');
    const db = await freshDatabase();
    pools.push(db.pool);
    const timeouts = decisions('refunds', 'DENY', 10, 3 * MINUTE, MINUTE, NOW).map((body) => ({ ...body, reasons: ['gate_timeout'], policy: { digest: null, version: null } }));
    await append(db.pool, [...decisions('refunds', 'PERMIT', 50, 50 * MINUTE, 10 * MINUTE, NOW), ...decisions('refunds', 'DENY', 1, 20 * MINUTE, 20 * MINUTE, NOW), ...decisions('refunds', 'PERMIT', 6, 3 * MINUTE, MINUTE, NOW), ...timeouts]);
    const ran = await statsAt(db.url, ['--json'], new Date(NOW));
    expect(ran.code).toBe(0);
    const report = JSON.parse(ran.out.join('\n')) as { surfaces: Array<{ surface: string; recent: { decisions: number; refused: number }; flagged: boolean }> };
    expect(report.surfaces).toEqual([expect.objectContaining({ surface: 'refunds', recent: expect.objectContaining({ decisions: 16, refused: 0 }), flagged: false })]);
  });
});

describe('when the database holds only this scenario (a database of its own, read at a fixed instant)', () => {
  const NOW = Date.parse('2026-11-30T12:00:00.000Z');
  const names = { jump: 'payments', steady: 'data-exports', quiet: 'customer-messages' };
  let url: string;

  beforeAll(async () => {
    const db = await freshDatabase();
    pools.push(db.pool);
    url = db.url;
    const bodies = scenario(names, NOW);
    // Not counted: an outcome receipt (not a decision), a decision before the range, one after `now`.
    const late = decisions('payments', 'DENY', 1, -MINUTE, -MINUTE, NOW);
    const early = decisions('payments', 'DENY', 5, 2 * 60 * MINUTE, 61 * MINUTE, NOW);
    await append(db.pool, [...bodies, outcomeOf(bodies[0] as DecisionReceiptBody), ...early, ...late]);
  });

  it('prints one row per surface and policy version, then the shift, and exits 1', async () => {
    const ran = await statsAt(url, [], new Date(NOW));
    expect(ran.code).toBe(1);
    expect(ran.out).toEqual([
      'surface            policy        decisions  PERMIT    DENY     SILENCE  STEP_UP  DENY+SILENCE',
      'customer-messages  2026.11.1     5          4 (80%)   1 (20%)  0 (0%)   0 (0%)   20%',
      'data-exports       0123456789ab  100        98 (98%)  1 (1%)   1 (1%)   0 (0%)   2%',
      'payments           2026.11.1     50         47 (94%)  1 (2%)   0 (0%)   2 (4%)   2%',
      'payments           2026.12.1     10         6 (60%)   3 (30%)  1 (10%)  0 (0%)   40%',
      'SHIFT payments: DENY+SILENCE 40% in the last 5m vs 2% before (20×)',
    ]);
    expect(ran.log).toEqual(['1 surface(s) shifted: payments']);
  });

  it('gives the same in --json: range, rule, rows, every surface against its baseline, the shifts', async () => {
    const ran = await statsAt(url, ['--json'], new Date(NOW));
    expect(ran.code).toBe(1);
    expect(ran.out).toHaveLength(1);
    const report = JSON.parse(ran.out[0] as string) as StatsReport;
    expect(report.range).toEqual({
      from: '2026-11-30T11:00:00.000Z',
      recentFrom: '2026-11-30T11:55:00.000Z',
      to: '2026-11-30T12:00:00.000Z',
      since: '1h',
      window: '5m',
      surface: null,
    });
    expect(report.rule).toMatchObject({ minRecentShare: 0.25, minRatio: 3, minRecentDecisions: 10 });
    expect(report.rows.map((r) => [r.surface, r.policy, r.decisions])).toEqual([
      ['customer-messages', '2026.11.1', 5],
      ['data-exports', '0123456789ab', 100],
      ['payments', '2026.11.1', 50],
      ['payments', '2026.12.1', 10],
    ]);
    expect(report.rows[3]).toEqual({
      surface: 'payments',
      policy: '2026.12.1',
      decisions: 10,
      counts: { PERMIT: 6, DENY: 3, SILENCE: 1, STEP_UP: 0 },
      shares: { PERMIT: 0.6, DENY: 0.3, SILENCE: 0.1, STEP_UP: 0 },
      refusedShare: 0.4,
    });
    expect(report.surfaces).toEqual([
      { surface: 'customer-messages', recent: { decisions: 2, refused: 1, share: 0.5 }, baseline: { decisions: 3, refused: 0, share: 0 }, ratio: null, flagged: false },
      { surface: 'data-exports', recent: { decisions: 50, refused: 1, share: 0.02 }, baseline: { decisions: 50, refused: 1, share: 0.02 }, ratio: 1, flagged: false },
      { surface: 'payments', recent: { decisions: 10, refused: 4, share: 0.4 }, baseline: { decisions: 50, refused: 1, share: 0.02 }, ratio: 20, flagged: true },
    ]);
    expect(report.shifts).toEqual([report.surfaces[2]]);
  });

  it('narrows to one surface with --surface, and exits 0 for a steady one', async () => {
    const ran = await statsAt(url, ['--surface', 'data-exports'], new Date(NOW));
    expect(ran.code).toBe(0);
    expect(ran.out).toHaveLength(2);
    expect(ran.out[1]).toMatch(/^data-exports\s+0123456789ab\s+100\s/);
    expect(ran.log).toEqual(['no outcome shift flagged on data-exports (DENY+SILENCE in the last 5m against the rest of the last 1h)']);
  });

  it('takes --since and --window: the jump falls outside a 1m window', async () => {
    // In the last minute: 2 PERMIT and 1 DENY of payments' V2 decisions (52 s and 20 s old): 3 decisions are too few.
    const ran = await statsAt(url, ['--since', '2h', '--window', '1m', '--surface', 'payments', '--json'], new Date(NOW));
    expect(ran.code).toBe(0);
    const report = JSON.parse(ran.out[0] as string) as StatsReport;
    expect(report.range).toMatchObject({ from: '2026-11-30T10:00:00.000Z', recentFrom: '2026-11-30T11:59:00.000Z', since: '2h', window: '1m', surface: 'payments' });
    // --since 2h also takes in the 5 early DENYs under V1 (61 min to 2 h before).
    expect(report.rows.map((r) => [r.policy, r.decisions, r.counts.DENY])).toEqual([
      ['2026.11.1', 55, 6],
      ['2026.12.1', 10, 3],
    ]);
    expect(report.surfaces[0]?.flagged).toBe(false);
  });

  it('says so when a surface had no decisions, and exits 0', async () => {
    const ran = await statsAt(url, ['--surface', 'crypto-trades'], new Date(NOW));
    expect(ran).toEqual({ code: 0, out: [], log: ['no decisions on crypto-trades in the last 1h'] });
  });
});

describe('when it runs as the actiongate command against the shared database', () => {
  const names = { jump: uniqueId('jump'), steady: uniqueId('steady'), quiet: uniqueId('quiet') };
  let pool: pg.Pool;

  beforeAll(async () => {
    pool = openPool();
    pools.push(pool);
    // Relative to the real clock: the CLI reads it. Window decisions are 20 s to 3 min old, so the
    // runs below have 2 minutes before any of them leaves the 5 min window.
    await append(pool, scenario(names, Date.now()));
  });

  it('flags the jump to 40% in the last 5m and exits 1', async () => {
    const ran = await runCli(['stats', '--surface', names.jump], { DATABASE_URL: testEnv().databaseUrl });
    expect(ran.stderr).toBe('actiongate: 1 surface(s) shifted: ' + names.jump + '\n');
    expect(ran.code).toBe(1);
    const lines = ran.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^surface\s+policy\s+decisions\s+PERMIT\s+DENY\s+SILENCE\s+STEP_UP\s+DENY\+SILENCE$/);
    expect(lines.slice(1, 3).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      [names.jump, '2026.11.1', '50'],
      [names.jump, '2026.12.1', '10'],
    ]);
    expect(lines[3]).toBe(`SHIFT ${names.jump}: DENY+SILENCE 40% in the last 5m vs 2% before (20×)`);
    expect(lines).toHaveLength(4);
  });

  it('does not flag a steady 2% refusal share, nor a quiet surface with 1 of 2 refused', async () => {
    for (const surface of [names.steady, names.quiet]) {
      const ran = await runCli(['stats', '--surface', surface, '--json'], { DATABASE_URL: testEnv().databaseUrl });
      expect(ran.code, ran.stderr).toBe(0);
      const report = JSON.parse(ran.stdout) as StatsReport;
      expect(report.shifts).toEqual([]);
      expect(report.surfaces.map((s) => s.surface)).toEqual([surface]);
    }
  });

  it('prints its help without touching the database, saying when it exits 1', async () => {
    const ran = await runCli(['stats', '--help'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^Usage: actiongate stats \[--surface S\] \[--since DURATION\] \[--window DURATION\] \[--json\]/);
    expect(ran.stdout).toContain('Exit 0 when no shift is flagged, 1 when one is');
    const main = await runCli(['--help']);
    expect(main.stdout).toMatch(/\n {2}stats {2,}outcome mix per surface and policy version/);
  });

  it.each([
    [['--since', '1 hour'], '--since'],
    [['--since', '60'], '--since'],
    [['--window', '-5m'], '--window'],
    [['--window', '0s'], '--window'],
    [['--since', '10m', '--window', '10m'], '--window (10m) must be shorter than --since (10m)'],
    [['--window', '2h'], '--window (2h) must be shorter than --since (1h)'],
    [['--surface'], '--surface'],
    [['--older-than', '10m'], '--older-than'],
    [['payments'], 'stats takes no arguments'],
  ])('exits 2 for stats %j, naming the option, without touching the database', async (args, named) => {
    const ran = await runCli(['stats', ...args], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain(named);
    expect(ran.stdout).toBe('');
  });
});
