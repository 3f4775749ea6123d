// `actiongate db migrate --grant ROLE`: the compose file's migrate job, run as the database owner,
// leaves the application role able to run a worker's start-up and append receipts, and no more.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/bundles.js';
import { runCli } from '../support/run-cli.js';

let db: { url: string; pool: pg.Pool };
let role: string;
let roleUrl: string;

beforeAll(async () => {
  db = await freshDatabase();
  role = `ag_app_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const password = randomUUID();
  await db.pool.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  const url = new URL(db.url);
  url.username = role;
  url.password = password;
  roleUrl = url.toString();
});

afterAll(async () => {
  await db?.pool.end();
});

describe('when the owner runs db migrate --grant ROLE', () => {
  it('migrates, grants, and the role can then start a worker\'s migration check and append, but not change or create', async () => {
    const ran = await runCli(['db', 'migrate', '--grant', role], { DATABASE_URL: db.url });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain(`granted ${role}`);

    const asRole = await runCli(['db', 'migrate'], { DATABASE_URL: roleUrl });
    expect(asRole.code, asRole.stderr).toBe(0);
    expect(asRole.stdout).toContain('database is up to date');

    const app = new pg.Pool({ connectionString: roleUrl, max: 1 });
    try {
      await expect(app.query('SELECT count(*) FROM receipts')).resolves.toBeDefined();
      await expect(app.query('CREATE TABLE sneaky (id int)')).rejects.toMatchObject({ code: '42501' });
      await expect(app.query('DELETE FROM policy_bundles')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await app.end();
    }
  });

  it('refuses a role name that is not a plain identifier, before connecting', async () => {
    const ran = await runCli(['db', 'migrate', '--grant', 'app"; DROP TABLE receipts; --'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('--grant needs a plain role name');
  });
});
