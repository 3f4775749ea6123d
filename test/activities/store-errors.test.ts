// Receipt writes that no retry can fix are not retried for days: classified with real Postgres errors.
import { ApplicationFailure } from '@temporalio/common';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPermanentStoreError, rethrowStoreError } from '../../activities/store-errors.js';
import { openPool } from '../support/harness.js';

let pool: pg.Pool;
beforeAll(() => {
  pool = openPool();
});
afterAll(async () => {
  await pool?.end();
});

async function errorOf(sql: string, values: unknown[] = []): Promise<unknown> {
  return pool.query(sql, values).then(() => undefined, (err: unknown) => err);
}

describe('when Postgres refuses a value it cannot store', () => {
  it('classifies NUL in jsonb (SQLSTATE 22P05) as permanent and rethrows it non-retryable RECEIPT_REJECTED', async () => {
    const err = await errorOf('SELECT $1::jsonb', ['{"note":"a\\u0000b"}']);
    expect((err as { code?: string }).code).toMatch(/^22/);
    expect(isPermanentStoreError(err)).toBe(true);
    let thrown: unknown;
    try {
      rethrowStoreError(err);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ApplicationFailure);
    expect((thrown as ApplicationFailure).type).toBe('RECEIPT_REJECTED');
    expect((thrown as ApplicationFailure).nonRetryable).toBe(true);
  });

  it('classifies a missing table or grant (SQLSTATE 42) as permanent', async () => {
    expect(isPermanentStoreError(await errorOf('SELECT * FROM no_such_table_here'))).toBe(true);
  });
});

describe('when the store fails in passing', () => {
  it('rethrows a connection fault or a serialization failure as it is, to be retried', () => {
    for (const err of [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), Object.assign(new Error('could not serialize'), { code: '40001' }), new Error('Connection terminated')]) {
      expect(isPermanentStoreError(err)).toBe(false);
      expect(() => rethrowStoreError(err)).toThrow(err);
    }
  });
});
