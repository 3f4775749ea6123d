import { migrate } from '../../store/migrate.js';
import { connectDatabase } from '../connect.js';
import type { ActionGateConfig } from '../config.js';
import { ENVIRONMENT_HELP } from '../config.js';

export const DB_MIGRATE_HELP = `Usage: actiongate db migrate

Applies ActionGate's SQL migrations (src/store/migrations) to DATABASE_URL. Idempotent; workers
also run it at start.

${ENVIRONMENT_HELP}`;

export async function dbMigrateCommand(config: ActionGateConfig, out: NodeJS.WritableStream): Promise<number> {
  const pool = await connectDatabase(config);
  try {
    const report = await migrate(pool);
    out.write(
      report.applied.length === 0
        ? `database is up to date (${report.alreadyApplied.length} migrations)\n`
        : `applied ${report.applied.join(', ')}\n`,
    );
    return 0;
  } finally {
    await pool.end();
  }
}
