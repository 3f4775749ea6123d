import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import { environmentHelp, type ActionGateConfig } from '../config.js';
import { operatorName, withBundleStore } from '../bundle-store-access.js';
import { parseCommandArgs } from '../parse-command-args.js';

export const POLICY_PUBLISH_HELP = `Usage: actiongate policy publish FILE [--by NAME]

Stores a signed policy bundle (\`actiongate policy build\` writes one) in the bundle store
(DATABASE_URL), exactly as its bytes are. Only a bundle whose signature is valid from a key in
ACTIONGATE_BUNDLE_KEYS, and whose policies compile, is stored. Publishing does not make it
active: \`actiongate policy activate\` does.

Publishing the same bundle again changes nothing. A bundle whose version label or revision is
already used by another published bundle is refused; stored bundles never change.

Options:
  --by NAME   who publishes (recorded); default: the user running the command

Exit status: 0 published (or already there), 2 usage, 1 refused or failed.

${environmentHelp(['database', 'ACTIONGATE_BUNDLE_KEYS'])}`;

/** \`actiongate policy publish\`. */
export async function policyPublishCommand(config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('policy publish', args, { by: { type: 'string' } });
  if (values.help) {
    io.out(POLICY_PUBLISH_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError('USAGE', 'policy publish takes one FILE, the bundle to publish; run actiongate policy publish --help');
  const file = resolve(positionals[0] as string);
  const by = operatorName(values.by, 'policy publish');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError('INVALID_INPUT', `cannot read bundle ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }

  const { bundle, inserted } = await withBundleStore(config, { trusted: true, command: 'policy publish' }, (store) => store.publish(text, by));
  io.out(`${inserted ? 'published' : 'already published'} ${bundle.version}`);
  io.out(`digest       ${bundle.digest}`);
  io.out(`revision     ${bundle.revision}`);
  io.out(`key          ${bundle.keyId}`);
  io.out(`gitCommit    ${bundle.gitCommit ?? 'none'}`);
  io.out(`published    ${bundle.publishedAt} by ${bundle.publishedBy}`);
  io.log(`to make it the active policy set: actiongate policy activate ${bundle.version}`);
  return 0;
}
