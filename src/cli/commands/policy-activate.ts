import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import { environmentHelp, type ActionGateConfig } from '../config.js';
import { operatorName, withBundleStore } from '../bundle-store-access.js';
import { parseCommandArgs } from '../parse-command-args.js';

export const POLICY_ACTIVATE_HELP = `Usage: actiongate policy activate DIGEST|VERSION [--rollback] [--note TEXT] [--by NAME]

Makes a published bundle the active one: every new action is pinned to it; actions already
under way keep the bundle they were pinned to. Running workers pick it up within seconds, no
restart. The bundle is verified again against ACTIONGATE_BUNDLE_KEYS first.

Each activation is recorded (who, when, from which bundle to which, rollback, note). A bundle
with a lower revision than the active one is refused unless --rollback is given, and is then
recorded as a rollback. Activating the active bundle records nothing.

Options:
  --rollback   go back to a lower revision than the active one
  --note TEXT  why (recorded)
  --by NAME    who activates (recorded); default: the user running the command

Exit status: 0 active, 2 usage, 1 refused (ROLLBACK_REQUIRED, NOT_FOUND, ...) or failed.

${environmentHelp(['database', 'ACTIONGATE_BUNDLE_KEYS'])}`;

/** \`actiongate policy activate\`. */
export async function policyActivateCommand(config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('policy activate', args, {
    rollback: { type: 'boolean' },
    note: { type: 'string' },
    by: { type: 'string' },
  });
  if (values.help) {
    io.out(POLICY_ACTIVATE_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new CliError('USAGE', 'policy activate takes one DIGEST or VERSION, the bundle to activate; run actiongate policy activate --help');
  }
  const ref = positionals[0] as string;
  const by = operatorName(values.by, 'policy activate');
  const { activation, changed } = await withBundleStore(config, { trusted: true, command: 'policy activate' }, (store) =>
    store.activate(ref, { by, rollback: values.rollback === true, note: values.note ?? null }),
  );
  io.out(`${changed ? (activation.rollback ? 'rolled back to' : 'activated') : 'already active'} ${activation.version}`);
  io.out(`digest       ${activation.digest}`);
  io.out(`revision     ${activation.revision}`);
  io.out(`previous     ${activation.previousDigest ? `${activation.previousVersion} (${activation.previousDigest}, revision ${activation.previousRevision})` : 'none'}`);
  io.out(`activated    ${activation.activatedAt} by ${activation.activatedBy}`);
  io.out(`rollback     ${activation.rollback ? 'yes' : 'no'}`);
  if (activation.note !== null) io.out(`note         ${activation.note}`);
  return 0;
}
