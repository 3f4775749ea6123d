// The application's role as documented in docs/OPERATIONS.md: it can append and read, nothing else.
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { PgReceiptStore } from '../../src/store/receipt-store.js';
import { decisionBody } from '../fixtures/decision-body.js';
import { freshDatabase, newSigner } from '../support/bundles.js';
import { APPLICATION_ROLE_GRANTS } from '../../src/store/application-role.js';

let db: { url: string; pool: pg.Pool };
let app: pg.Pool;

beforeAll(async () => {
  db = await freshDatabase();
  const role = `ag_app_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const password = randomUUID();
  await db.pool.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  for (const statement of APPLICATION_ROLE_GRANTS(role)) await db.pool.query(statement);
  const url = new URL(db.url);
  url.username = role;
  url.password = password;
  app = new pg.Pool({ connectionString: url.toString(), max: 2 });
  app.on('error', () => undefined);
});

afterAll(async () => {
  await app?.end();
  await db?.pool.end();
});


describe('when the worker runs as the application role', () => {
  it('starts against a migrated database and appends signed receipts', async () => {
    expect((await migrate(app)).applied).toEqual([]);
    const store = new PgReceiptStore(app, { signer: newSigner() });
    const { inserted } = await store.append(decisionBody(`grants-${randomUUID()}`));
    expect(inserted).toBe(true);
  });

  it.each([
    ['UPDATE', "UPDATE receipts SET outcome = 'PERMIT'"],
    ['DELETE', 'DELETE FROM receipts'],
    ['TRUNCATE', 'TRUNCATE receipts'],
    ['UPDATE a checkpoint', 'UPDATE receipt_checkpoints SET size = 0'],
    ['DELETE an activation', 'DELETE FROM policy_activations'],
  ])('cannot %s', async (_label, sql) => {
    await expect(app.query(sql)).rejects.toMatchObject({ code: '42501' });
  });
});
