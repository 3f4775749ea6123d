// The `actiongate` command. The only place that reads process.env and decides exit codes.
import { parseArgs } from 'node:util';
import { ActionGateError } from '../errors.js';
import { CliError } from './cli-error.js';
import { ENVIRONMENT_HELP, resolveConfig } from './config.js';
import type { CommandIo } from './command-io.js';
import { DB_MIGRATE_HELP, dbMigrateCommand } from './commands/db-migrate.js';
import { approvalsCommand } from './commands/approvals.js';
import { operatorVerdictCommand } from './commands/approve.js';
import { keysCommand } from './commands/keys.js';
import { replayCommand } from './commands/replay.js';
import { verifyCommand } from './commands/verify.js';
import { receiptsCommand } from './commands/receipts.js';
import { policyCommand } from './commands/policy.js';
import { START_HELP, startCommand } from './commands/start.js';
import { SUBMIT_HELP, submitCommand } from './commands/submit.js';
import { WORKER_HELP, workerCommand } from './commands/worker.js';

const MAIN_HELP = `Usage: actiongate <command> [options]

A deterministic policy gate in front of every external action an agent takes.

Commands:
  start [--once]      start Temporal, Postgres and a worker on this machine and run a demo
  worker              run a worker (workflow + authorize, receipt and dispatch activities)
  submit [FILE|-]     submit one ActionRequest and print the result as JSON
  db migrate          apply the database migrations
  policy <sub>        policy sets and bundles: test, build, publish, activate, list, show, diff
  keys <sub>          signing keys: generate, export
  replay KEY          decide a recorded action again from its archived request and bundle
  receipts <sub>      the signed receipt log: export (JSONL), show KEY, unsettled
  verify [FILE|-]     check signed receipts or a receipt export with public keys only
  approvals pending   actions waiting for operators (step-up approval or break-glass), with who counted
  approve KEY         sign an operator's approval of a step-up and send it (--operator, --key, --reason)
  reject KEY          sign an operator's rejection of a step-up or break-glass: the action ends DENY
  break-glass KEY     sign an operator's override of a policy DENY whose request asked for break-glass

Run \`actiongate <command> --help\` for a command's options.

${ENVIRONMENT_HELP}`;

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
      once: { type: 'boolean' },
      key: { type: 'string' },
      operator: { type: 'string' },
      reason: { type: 'string' },
      'expires-in': { type: 'string' },
      out: { type: 'string' },
      surface: { type: 'string' },
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
      return startCommand(config, { once: values.once === true }, { out: (line) => process.stdout.write(`${line}\n`), log });
    case 'worker':
      if (help) return printHelp(WORKER_HELP);
      rejectUnknown(values, [], 'worker');
      return workerCommand(config, log);
    case 'submit':
      if (help) return printHelp(SUBMIT_HELP);
      rejectUnknown(values, ['no-wait', 'key'], 'submit');
      if (rest.length > 1) throw new CliError('USAGE', 'submit takes at most one FILE (or - for standard input)');
      if (values.key !== undefined && typeof values.key !== 'string') throw new CliError('USAGE', '--key takes a private key file');
      return submitCommand(
        config,
        { file: rest[0], wait: values['no-wait'] !== true, key: values.key as string | undefined },
        { stdin: process.stdin, stdout: process.stdout },
      );
    case 'db':
      if (rest[0] !== 'migrate' || rest.length > 1) {
        if (help) return printHelp(DB_MIGRATE_HELP);
        throw new CliError('USAGE', 'usage: actiongate db migrate');
      }
      if (help) return printHelp(DB_MIGRATE_HELP);
      return dbMigrateCommand(config, process.stdout);
    // Command groups parse their own options (several take values): they get the raw arguments.
    case 'policy':
      return policyCommand(config, groupArgs(argv, command, help), io);
    case 'keys':
      return keysCommand(config, groupArgs(argv, command, help), io);
    case 'replay':
      return replayCommand(config, groupArgs(argv, command, help), io);
    case 'receipts':
      return receiptsCommand(config, groupArgs(argv, command, help), io);
    case 'verify':
      return verifyCommand(config, groupArgs(argv, command, help), { ...io, stdin: process.stdin });
    case 'approvals':
      return approvalsCommand(config, groupArgs(argv, command, help), io);
    case 'approve':
    case 'reject':
    case 'break-glass':
      return operatorVerdictCommand(command, config, groupArgs(argv, command, help), io);
    default:
      if (help) return printHelp(MAIN_HELP);
      throw new CliError('USAGE', `unknown command ${JSON.stringify(command)}; run actiongate --help`);
  }
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
