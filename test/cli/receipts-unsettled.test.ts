// `actiongate receipts unsettled`: decided actions whose outcome nobody recorded, for an operator to reconcile.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionReceiptBody, OutcomeReceiptBody } from '../../src/receipt/receipt-body.js';
import { receiptId } from '../../src/receipt/receipt-id.js';
import { PgReceiptStore } from '../../src/store/receipt-store.js';
import type { UnsettledAction } from '../../src/store/unsettled-actions.js';
import { decisionBody } from '../fixtures/decision-body.js';
import { freshDatabase } from '../support/bundles.js';
import { runCli } from '../support/run-cli.js';

const MINUTE = 60_000;
const pools: pg.Pool[] = [];

/** A database of its own: the shared one holds other files' decisions, settled or not, which would change the exit code. */
async function databaseWith(bodies: Array<DecisionReceiptBody | OutcomeReceiptBody>): Promise<string> {
  const { pool, url } = await freshDatabase();
  pools.push(pool);
  const store = new PgReceiptStore(pool);
  for (const body of bodies) await store.append(body);
  return url;
}

function decidedAgo(key: string, ms: number, overrides: Partial<DecisionReceiptBody> = {}): DecisionReceiptBody {
  return decisionBody(key, { runId: `run-of-${key}`, issuedAt: new Date(Date.now() - ms).toISOString(), ...overrides });
}

function outcomeOf(decision: DecisionReceiptBody): OutcomeReceiptBody {
  const { kind: _kind, outcome: _outcome, reasons: _reasons, mode: _mode, policy: _policy, detail: _detail, ...subject } = decision;
  return {
    ...subject,
    kind: 'outcome',
    issuedAt: new Date(Date.parse(decision.issuedAt) + 1_000).toISOString(),
    decisionReceiptId: receiptId(decision),
    dispatch: { status: 'succeeded', resultHash: `sha256:${'b'.repeat(64)}`, error: null },
  };
}

const openPermit = decidedAgo('old-open-permit', 45 * MINUTE, { outcome: 'PERMIT', reasons: ['payments-agent-limit'] });
const openDeny = decidedAgo('old-open-deny', 150 * MINUTE);
/** A policy DENY in shadow mode still goes out, so its outcome matters as much as a PERMIT's. */
const openShadowDeny = decidedAgo('old-open-shadow', 90 * MINUTE, { mode: 'shadow', actor: { id: 'agent-7', type: 'agent', keyId: null } });
const settledPermit = decidedAgo('old-settled', 60 * MINUTE, { outcome: 'PERMIT', reasons: ['payments-agent-limit'] });
const recentPermit = decidedAgo('new-open', 1 * MINUTE, { outcome: 'PERMIT', reasons: ['payments-agent-limit'] });

let mixed: string;

beforeAll(async () => {
  mixed = await databaseWith([openPermit, openDeny, openShadowDeny, settledPermit, outcomeOf(settledPermit), recentPermit]);
});

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
});

const keysOf = (stdout: string) => (JSON.parse(stdout) as UnsettledAction[]).map((a) => a.idempotencyKey);

describe('when decisions older than the default 10m have no outcome receipt', () => {
  it('lists exactly those, oldest first, and exits 1', async () => {
    const ran = await runCli(['receipts', 'unsettled'], { DATABASE_URL: mixed });
    expect(ran.code).toBe(1);
    const lines = ran.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^key\s+surface\s+actor\s+outcome\s+mode\s+decided at\s+workflow id\s+run id\s+dispatch$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual(['old-open-deny', 'old-open-shadow', 'old-open-permit']);
    expect(lines[3]).toMatch(
      new RegExp(`^old-open-permit\\s+payments\\s+agent-1\\s+PERMIT\\s+enforce\\s+${openPermit.issuedAt}\\s+old-open-permit\\s+run-of-old-open-permit\\s+may have happened$`),
    );
    expect(lines[1]).toMatch(/\sDENY\s+enforce\s.*\snot allowed$/);
    expect(ran.stderr).toContain('3 action(s) decided more than 10m ago have no outcome receipt; 2 may have been dispatched');
  });

  it('gives every field in --json', async () => {
    const ran = await runCli(['receipts', 'unsettled', '--json'], { DATABASE_URL: mixed });
    expect(ran.code).toBe(1);
    const listed = JSON.parse(ran.stdout) as UnsettledAction[];
    expect(listed.map((a) => a.idempotencyKey)).toEqual(['old-open-deny', 'old-open-shadow', 'old-open-permit']);
    expect(listed[2]).toEqual({
      idempotencyKey: 'old-open-permit',
      surface: 'payments',
      actorId: 'agent-1',
      outcome: 'PERMIT',
      mode: 'enforce',
      decidedAt: openPermit.issuedAt,
      workflowId: 'old-open-permit',
      runId: 'run-of-old-open-permit',
      mayHaveDispatched: true,
    } satisfies UnsettledAction);
    expect(listed.map((a) => a.mayHaveDispatched)).toEqual([false, true, true]);
  });
});

describe('when --older-than is shorter than the age of a recent open decision', () => {
  it('lists that decision too, never the settled one', async () => {
    const ran = await runCli(['receipts', 'unsettled', '--older-than', '30s', '--json'], { DATABASE_URL: mixed });
    expect(ran.code).toBe(1);
    expect(keysOf(ran.stdout)).toEqual(['old-open-deny', 'old-open-shadow', 'old-open-permit', 'new-open']);
  });

  it('reads hours', async () => {
    const ran = await runCli(['receipts', 'unsettled', '--older-than', '3h', '--json'], { DATABASE_URL: mixed });
    expect(ran.code).toBe(0);
    expect(keysOf(ran.stdout)).toEqual([]);
    const hour = await runCli(['receipts', 'unsettled', '--older-than', '1h', '--json'], { DATABASE_URL: mixed });
    expect(keysOf(hour.stdout)).toEqual(['old-open-deny', 'old-open-shadow']);
  });
});

describe('when every old decision has its outcome', () => {
  it('lists nothing and exits 0', async () => {
    const url = await databaseWith([settledPermit, outcomeOf(settledPermit), recentPermit]);
    const ran = await runCli(['receipts', 'unsettled'], { DATABASE_URL: url });
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toContain('no unsettled actions decided more than 10m ago');
  });
});

describe('when the command is misused', () => {
  it.each([
    [['--older-than', '10 minutes']],
    [['--older-than', '10']],
    [['--older-than', '-5m']],
    [['--since', '2026-11-24T00:00:00Z']],
    [['extra']],
  ])('exits 2 for unsettled %j without touching the database', async (extra) => {
    const ran = await runCli(['receipts', 'unsettled', ...extra], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/receipts unsettled|--older-than/);
  });

  it('exits 2 for --older-than on another subcommand', async () => {
    const ran = await runCli(['receipts', 'export', '--older-than', '10m'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('receipts export does not take --older-than');
  });
});
