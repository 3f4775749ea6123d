import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import { environmentHelp, type ActionGateConfig } from '../config.js';
import { withBundleStore } from '../bundle-store-access.js';
import { parseCommandArgs } from '../parse-command-args.js';

export const POLICY_SHOW_HELP = `Usage: actiongate policy show DIGEST|VERSION

Prints a published bundle exactly as it is stored, byte for byte: the bundle file that was
published (canonical JSON and one newline). \`actiongate policy show 2026-11-24.1 > bundle.json\`
gives back the file.

${environmentHelp(['database', 'ACTIONGATE_BUNDLE_KEYS'])}`;

/** \`actiongate policy show\`. */
export async function policyShowCommand(config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('policy show', args, {});
  if (values.help) {
    io.out(POLICY_SHOW_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError('USAGE', 'policy show takes one DIGEST or VERSION; run actiongate policy show --help');
  const bundle = await withBundleStore(config, { trusted: false, command: 'policy show' }, (store) => store.resolve(positionals[0] as string));
  // `out` ends every write with a newline, and a stored bundle always ends with exactly one.
  io.out(bundle.text.endsWith('\n') ? bundle.text.slice(0, -1) : bundle.text);
  return 0;
}
