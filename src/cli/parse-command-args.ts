import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './cli-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type CommandArgsConfig<O extends Options> = { args: string[]; options: O & { help: { type: 'boolean'; short: 'h' } }; allowPositionals: true; strict: true };
/** Spelled out so that the declaration build (tsconfig.build.json) can name it. */
type CommandArgs<O extends Options> = ReturnType<typeof parseArgs<CommandArgsConfig<O>>>;

/**
 * Strict option parsing for one subcommand: an unknown option or a missing value is a usage
 * error (exit 2) that names the command, never a silently ignored flag.
 *
 * @example const { values, positionals } = parseCommandArgs('policy build', args, { out: { type: 'string' } });
 */
export function parseCommandArgs<O extends Options>(command: string, args: string[], options: O): CommandArgs<O> {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError('USAGE', `${command}: ${(error as Error).message}; run actiongate ${command} --help`);
  }
}
