import { APPLICATION_ROLE_GRANTS } from '../../store/application-role.js';
import { migrate } from '../../store/migrate.js';
import { CliError } from '../cli-error.js';
import { DB_MIGRATE_HELP } from '../help.js';
import type { CommandIo } from '../command-io.js';
import { connectDatabase } from '../connect-lazy.js';
import type { ActionGateConfig } from '../config.js';
import { parseCommandArgs } from '../parse-command-args.js';

/** \`actiongate db migrate [--grant ROLE]\`. */
export async function dbMigrateCommand(config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('db migrate', args, { grant: { type: 'string' } });
  // An unknown subcommand is unknown with --help too.
  if ((positionals[0] !== undefined && positionals[0] !== 'migrate') || positionals.length > 1) {
    throw new CliError('USAGE', 'usage: actiongate db migrate [--grant ROLE]; run actiongate db migrate --help');
  }
  if (values.help) {
    io.out(DB_MIGRATE_HELP);
    return 0;
  }
  if (positionals[0] !== 'migrate') throw new CliError('USAGE', 'usage: actiongate db migrate [--grant ROLE]; run actiongate db migrate --help');
  const role = values.grant;
  if (role !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(role)) {
    throw new CliError('USAGE', `db migrate: --grant needs a plain role name (lower-case letters, digits, _), not ${JSON.stringify(role)}`);
  }
  const pool = await connectDatabase(config);
  try {
    const report = await migrate(pool);
    io.out(
      report.applied.length === 0
        ? `database is up to date (${report.alreadyApplied.length} migrations)`
        : `applied ${report.applied.join(', ')}`,
    );
    if (role !== undefined) {
      for (const statement of APPLICATION_ROLE_GRANTS(role)) await pool.query(statement);
      io.out(`granted ${role} the application role's rights`);
    }
    return 0;
  } finally {
    await pool.end();
  }
}
