import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { withPooledClient } from './pooled-client.js';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
// Any constant works; it only has to be the same for every process that migrates this database.
const MIGRATION_LOCK_ID = 0x4147_4154; // "AGAT"

export interface MigrationReport {
  applied: string[];
  alreadyApplied: string[];
}

/**
 * Applies the plain SQL files in src/store/migrations in name order, each once, each in its own
 * transaction. Safe to run from several workers at once: an advisory lock serialises them.
 *
 * @example await migrate(pool) // { applied: ['001_receipts.sql'], alreadyApplied: [] }
 */
export async function migrate(pool: pg.Pool): Promise<MigrationReport> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
  const report: MigrationReport = { applied: [], alreadyApplied: [] };
  await withPooledClient(pool, async (client) => {
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
      // No DDL when the table is there: a worker running as the INSERT/SELECT-only application
      // role (docs/OPERATIONS.md) can then start against an up-to-date database.
      const exists = (await client.query<{ t: string | null }>("SELECT to_regclass('actiongate_migrations')::text AS t")).rows[0]?.t;
      if (!exists) await client.query(
        `CREATE TABLE IF NOT EXISTS actiongate_migrations (
           name TEXT PRIMARY KEY,
           applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )`,
      );
      const done = new Set(
        (await client.query<{ name: string }>('SELECT name FROM actiongate_migrations')).rows.map((r) => r.name),
      );
      for (const file of files) {
        if (done.has(file)) {
          report.alreadyApplied.push(file);
          continue;
        }
        const sql = await readFile(join(MIGRATIONS_DIR, file), 'utf8');
        await client.query('BEGIN');
        try {
          await client.query(sql);
          await client.query('INSERT INTO actiongate_migrations (name) VALUES ($1)', [file]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined); // a lost connection: report the migration's error
          throw new Error(`migration ${file} failed: ${(err as Error).message}`, { cause: err });
        }
        report.applied.push(file);
      }
    } finally {
      // A client that failed is discarded, which ends its session and so its lock too.
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    }
  });
  return report;
}
