import { CliError } from '../cli-error.js';
import type { CommandIo, Subcommand } from '../command-io.js';
import type { ActionGateConfig } from '../config.js';
import { policyActivateCommand } from './policy-activate.js';
import { policyBuildCommand } from './policy-build.js';
import { policyDiffCommand } from './policy-diff.js';
import { policyListCommand } from './policy-list.js';
import { policyPublishCommand } from './policy-publish.js';
import { policyShowCommand } from './policy-show.js';
import { policyTestCommand } from './policy-test.js';


export const POLICY_HELP = `Usage: actiongate policy <subcommand> [options]

Policy sets: check them, build signed bundles, and manage the bundles workers load.

Subcommands:
  test [DIR]                   compile a policy folder and run its cases (PASS/FAIL per case)
  build [DIR] --out FILE ...   build a signed policy bundle from a policy folder
  publish FILE                 store a signed bundle in the bundle store (verified first)
  activate DIGEST|VERSION      make a published bundle the one new actions use (--rollback to go back)
  list [--activations]         list published bundles, or the activation log
  show DIGEST|VERSION          print a published bundle, byte for byte
  diff FILE|DIR [--last N]     which recent decisions a candidate policy set would change

Run \`actiongate policy <subcommand> --help\` for its options.`;

const SUBCOMMANDS: Record<string, Subcommand> = {
  test: policyTestCommand,
  build: policyBuildCommand,
  publish: policyPublishCommand,
  activate: policyActivateCommand,
  list: policyListCommand,
  show: policyShowCommand,
  diff: policyDiffCommand,
};

/** `actiongate policy <subcommand>`: routes to one file per subcommand (src/cli/commands/policy-<sub>.ts). */
export async function policyCommand(config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h') {
    io.out(POLICY_HELP);
    return name === undefined ? 2 : 0;
  }
  const subcommand = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (subcommand) return subcommand(config, rest, io);
  throw new CliError('USAGE', `unknown subcommand policy ${JSON.stringify(name)}; run actiongate policy --help`);
}
