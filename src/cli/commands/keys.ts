import { CliError } from '../cli-error.js';
import type { CommandIo, Subcommand } from '../command-io.js';
import type { ActionGateConfig } from '../config.js';
import { keysDemoCommand } from './keys-demo.js';
import { keysExportCommand } from './keys-export.js';
import { keysGenerateCommand } from './keys-generate.js';

export const KEYS_HELP = `Usage: actiongate keys <subcommand> [options]

Ed25519 signing keys for policy bundles (and, later, receipts).

Subcommands:
  generate --out DIR    make a key pair: DIR/NAME.key.json (private, 0600) and DIR/keyset.json (public)
  export --key FILE...  print the key set of the public halves of key files, for verifiers
  demo ID --out FILE    write a sample principal's public demo key (examples/, never production)

Run \`actiongate keys <subcommand> --help\` for its options.`;

const SUBCOMMANDS: Record<string, Subcommand> = {
  generate: keysGenerateCommand,
  export: keysExportCommand,
  demo: keysDemoCommand,
};

/** `actiongate keys <subcommand>`: routes to one file per subcommand. */
export async function keysCommand(config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h') {
    io.out(KEYS_HELP);
    return name === undefined ? 2 : 0;
  }
  const subcommand = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (!subcommand) throw new CliError('USAGE', `unknown subcommand keys ${JSON.stringify(name)}; run actiongate keys --help`);
  return subcommand(config, rest, io);
}
