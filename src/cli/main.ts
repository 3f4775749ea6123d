// The `actiongate` command. The only place that reads process.env and decides exit codes.
import { parseArgs } from 'node:util';
import { ActionGateError } from '../errors.js';
import { CliError } from './cli-error.js';
import { resolveConfig, type ActionGateConfig } from './config.js';
import type { CommandIo } from './command-io.js';
import { DB_MIGRATE_HELP, MAIN_HELP, START_HELP, SUBMIT_HELP, WORKER_HELP } from './help.js';
import { MCP_HELP } from './help.js';

// Each command's module is imported when that command runs, never before: `actiongate --help`,
// `actiongate <command> --help` and `actiongate verify` load no Temporal worker, Cedar or pg
// (test/cli/lazy-loading.test.ts). Help that main prints itself is in help.ts.

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const log = (line: string) => process.stderr.write(`actiongate: ${line}\n`);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    // Every option that takes a value, so that it is not read as the command (`--reason x approve`);
    // each command checks its own options strictly.
    options: {
      help: { type: 'boolean', short: 'h' },
      'no-wait': { type: 'boolean' },
      'fail-on-refusal': { type: 'boolean' },
      once: { type: 'boolean' },
      key: { type: 'string' },
      operator: { type: 'string' },
      reason: { type: 'string' },
      'expires-in': { type: 'string' },
      out: { type: 'string' },
      surface: { type: 'string' },
      since: { type: 'string' },
      window: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const [command, ...rest] = positionals;
  const help = values.help === true;
  const config = resolveConfig(env);
  const io: CommandIo = { out: (line) => process.stdout.write(`${line}\n`), log };
  switch (command) {
    case undefined:
      process.stdout.write(`${MAIN_HELP}\n`);
      return help ? 0 : 2;
    case 'start':
      if (help) return printHelp(START_HELP);
      rejectUnknown(values, ['once'], 'start');
      return (await import('./commands/start.js')).startCommand(config, { once: values.once === true }, { out: (line) => process.stdout.write(`${line}\n`), log });
    case 'worker':
      if (help) return printHelp(WORKER_HELP);
      rejectUnknown(values, [], 'worker');
      return runWorker(config);
    case 'submit':
      if (help) return printHelp(SUBMIT_HELP);
      rejectUnknown(values, ['no-wait', 'key', 'fail-on-refusal'], 'submit');
      if (rest.length > 1) throw new CliError('USAGE', 'submit takes at most one FILE (or - for standard input)');
      if (values.key !== undefined && typeof values.key !== 'string') throw new CliError('USAGE', '--key takes a private key file');
      return (await import('./commands/submit.js')).submitCommand(
        config,
        { file: rest[0], wait: values['no-wait'] !== true, key: values.key as string | undefined, failOnRefusal: values['fail-on-refusal'] === true },
        { stdin: process.stdin, stdout: process.stdout, log },
      );
    case 'db':
      if (help && (rest.length === 0 || (rest.length === 1 && rest[0] === 'migrate'))) return printHelp(DB_MIGRATE_HELP);
      return (await import('./commands/db-migrate.js')).dbMigrateCommand(config, groupArgs(argv, command, help), io);
    // Command groups parse their own options (several take values): they get the raw arguments.
    case 'policy':
      return (await import('./commands/policy.js')).policyCommand(config, groupArgs(argv, command, help), io);
    case 'keys':
      return (await import('./commands/keys.js')).keysCommand(config, groupArgs(argv, command, help), io);
    case 'replay':
      return (await import('./commands/replay.js')).replayCommand(config, groupArgs(argv, command, help), io);
    case 'receipts':
      return (await import('./commands/receipts.js')).receiptsCommand(config, groupArgs(argv, command, help), io);
    case 'witness':
      return (await import('./commands/witness.js')).witnessCommand(config, groupArgs(argv, command, help), { ...io, stdin: process.stdin });
    case 'checkpoint':
      return (await import('./commands/checkpoint.js')).checkpointCommand(config, groupArgs(argv, command, help), io);
    case 'verify':
      return (await import('./commands/verify.js')).verifyCommand(config, groupArgs(argv, command, help), { ...io, stdin: process.stdin });
    case 'approvals':
      return (await import('./commands/approvals.js')).approvalsCommand(config, groupArgs(argv, command, help), io);
    case 'stats':
      return (await import('./commands/stats.js')).statsCommand(config, groupArgs(argv, command, help), io);
    case 'approve':
    case 'reject':
    case 'break-glass':
      return (await import('./commands/approve.js')).operatorVerdictCommand(command, config, groupArgs(argv, command, help), io);
    case 'mcp':
      if (help) return printHelp(MCP_HELP);
      // Parses its own options strictly (--config, --http, --host): an unknown one is exit 2.
      return (await import('./commands/mcp.js')).mcpCommand(config, groupArgs(argv, command, help), io);
    case 'serve':
      return (await import('./commands/serve.js')).serveCommand(config, groupArgs(argv, command, help), { ...io, stdin: process.stdin });
    default:
      // Even with --help: printing the global help and exit 0 would tell a script the command exists.
      throw new CliError('USAGE', `unknown command ${JSON.stringify(command)}; run actiongate --help`);
  }
}

/**
 * The worker logs structured events (src/cli/worker-logger.ts), its fatal error too; other
 * commands print human lines. A bad ACTIONGATE_LOG_LEVEL or _FORMAT is a usage error before any.
 */
async function runWorker(config: ActionGateConfig): Promise<number> {
  const { createWorkerLogging } = await import('./worker-logger.js');
  const logging = createWorkerLogging({ level: config.logLevel, format: config.logFormat });
  const { workerCommand } = await import('./commands/worker.js');
  return workerCommand(config, logging).catch((err: unknown) => logging.failed(err));
}

/** The arguments after a command group's name; `actiongate --help policy` asks the group for help. */
function groupArgs(argv: string[], command: string, help: boolean): string[] {
  const rest = argv.slice(argv.indexOf(command) + 1);
  return rest.length === 0 && help ? ['--help'] : rest;
}

function printHelp(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}

function rejectUnknown(values: Record<string, unknown>, allowed: string[], command: string): void {
  const unknown = Object.keys(values).filter((k) => k !== 'help' && !allowed.includes(k));
  if (unknown.length > 0) {
    throw new CliError('USAGE', `${command}: unknown option ${unknown.map((k) => `--${k}`).join(', ')}; run actiongate ${command} --help`);
  }
}

/** Runs main and turns errors into a one-line message and the documented exit code. */
export async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<never> {
  let code: number;
  try {
    code = await main(argv, env);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`actiongate: ${err.message}\n`);
      code = err.exitCode;
    } else if (err instanceof ActionGateError) {
      process.stderr.write(`actiongate: ${err.code}: ${err.message}\n`);
      code = 1;
    } else {
      process.stderr.write(`actiongate: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      code = 1;
    }
  }
  // process.exit() drops output still queued for a pipe (stdout to a pipe is asynchronous): a long
  // `receipts export | verify` lost its tail that way. Exit once both streams have flushed.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
  process.exit(code);
}
