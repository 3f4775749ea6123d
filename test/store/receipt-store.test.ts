import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionReceiptBody } from '../../src/receipt/receipt-body.js';
import { decisionBody } from '../fixtures/decision-body.js';
import { receiptId } from '../../src/receipt/receipt-id.js';
import { migrate } from '../../src/store/migrate.js';
import { PgReceiptStore } from '../../src/store/receipt-store.js';
import { openPool, uniqueId } from '../support/harness.js';

let pool: pg.Pool;
let store: PgReceiptStore;

beforeAll(() => {
  pool = openPool();
  store = new PgReceiptStore(pool);
});
afterAll(() => pool?.end());


function decision(key: string, outcome: DecisionReceiptBody['outcome'] = 'PERMIT'): DecisionReceiptBody {
  return decisionBody(key, { outcome, reasons: ['payments-agent-limit'], policy: { digest: `sha256:${'b'.repeat(64)}`, version: null } });
}

describe('when a receipt is appended', () => {
  it('stores the canonical body under its content id', async () => {
    const body = decision(uniqueId('store'));
    const { receipt, inserted } = await store.append(body);
    expect(inserted).toBe(true);
    expect(receipt.receiptId).toBe(receiptId(body));
    expect(receipt.body).toEqual(body);
    expect(await store.findByKey(body.idempotencyKey)).toEqual([receipt]);
  });

  it('keeps the first receipt of a key and kind: a second append returns it unchanged', async () => {
    const key = uniqueId('store');
    const first = await store.append(decision(key, 'PERMIT'));
    const second = await store.append(decision(key, 'DENY'));
    expect(second.inserted).toBe(false);
    expect(second.receipt).toEqual(first.receipt);
    expect(await store.findByKey(key)).toHaveLength(1);
  });
});

describe('when anyone tries to change the receipts table', () => {
  it.each([
    ['UPDATE', "UPDATE receipts SET outcome = 'PERMIT' WHERE idempotency_key = $1"],
    ['DELETE', 'DELETE FROM receipts WHERE idempotency_key = $1'],
  ])('rejects %s', async (_op, sql) => {
    const body = decision(uniqueId('append-only'), 'DENY');
    await store.append(body);
    await expect(pool.query(sql, [body.idempotencyKey])).rejects.toMatchObject({ code: '42501' });
    const rows = await store.findByKey(body.idempotencyKey);
    expect(rows.map((r) => r.body)).toEqual([body]);
  });

  it('rejects TRUNCATE', async () => {
    // Other test files append to the same table concurrently: count only receipts
    // that existed before the attempt, not the whole table.
    const body = decision(uniqueId('append-only'));
    const countUpTo = async (seq: string) =>
      (await pool.query('SELECT count(*)::int AS n FROM receipts WHERE seq <= $1', [seq])).rows[0].n;
    const { receipt } = await store.append(body);
    const before = await countUpTo(receipt.seq);
    await expect(pool.query('TRUNCATE receipts')).rejects.toMatchObject({ code: '42501' });
    expect(await countUpTo(receipt.seq)).toBe(before);
    expect((await store.findByKey(body.idempotencyKey)).map((r) => r.body)).toEqual([body]);
  });
});

describe('when migrations run again', () => {
  it('applies nothing twice', async () => {
    const report = await migrate(pool);
    expect(report.applied).toEqual([]);
    expect(report.alreadyApplied).toContain('001_receipts.sql');
  });
});
