import { CliError } from '../cli-error.js';
import type { CommandIo, Subcommand } from '../command-io.js';
import type { ActionGateConfig } from '../config.js';


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

/** Each subcommand's module, imported when it runs (Cedar and pg only for the ones that need them). */
const SUBCOMMANDS: Record<string, () => Promise<Subcommand>> = {
  test: async () => (await import('./policy-test.js')).policyTestCommand,
  build: async () => (await import('./policy-build.js')).policyBuildCommand,
  publish: async () => (await import('./policy-publish.js')).policyPublishCommand,
  activate: async () => (await import('./policy-activate.js')).policyActivateCommand,
  list: async () => (await import('./policy-list.js')).policyListCommand,
  show: async () => (await import('./policy-show.js')).policyShowCommand,
  diff: async () => (await import('./policy-diff.js')).policyDiffCommand,
};

/** `actiongate policy <subcommand>`: routes to one file per subcommand (src/cli/commands/policy-<sub>.ts). */
export async function policyCommand(config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h') {
    io.out(POLICY_HELP);
    return name === undefined ? 2 : 0;
  }
  const subcommand = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (subcommand) return (await subcommand())(config, rest, io);
  throw new CliError('USAGE', `unknown subcommand policy ${JSON.stringify(name)}; run actiongate policy --help`);
}
