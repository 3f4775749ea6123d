import { DEMO_PRINCIPALS, demoPrivateKeyFile } from '../../demo/demo-keys.js';
import { writePrivateKeyFile } from '../../keys/private-key-file.js';
import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import type { ActionGateConfig } from '../config.js';
import { parseCommandArgs } from '../parse-command-args.js';

export const KEYS_DEMO_HELP = `Usage: actiongate keys demo ID --out FILE

Writes the PUBLIC DEMO KEY of a sample principal of policies/principals.json (the key npm start
and the tests sign with) as a private key file (mode 0600, never overwritten), for
\`actiongate submit --key FILE\` and \`actiongate approve --key FILE\`. Anyone can compute these
keys: never list them in a real principals.json. For real keys use \`actiongate keys generate\`.

Sample principals: ${DEMO_PRINCIPALS.join(', ')}`;

/** `actiongate keys demo ID --out FILE`. */
export async function keysDemoCommand(_config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('keys demo', args, { out: { type: 'string' } });
  if (values.help) {
    io.out(KEYS_DEMO_HELP);
    return 0;
  }
  const [id, ...extra] = positionals;
  if (id === undefined || extra.length > 0) throw new CliError('USAGE', 'usage: actiongate keys demo ID --out FILE');
  if (!(DEMO_PRINCIPALS as readonly string[]).includes(id)) {
    throw new CliError('USAGE', `keys demo: ${JSON.stringify(id)} has no demo key; sample principals: ${DEMO_PRINCIPALS.join(', ')}`);
  }
  if (values.out === undefined || values.out === '') throw new CliError('USAGE', 'keys demo needs --out FILE');
  const file = demoPrivateKeyFile(id);
  await writePrivateKeyFile(values.out, file);
  io.out(`wrote the public demo key of ${id} (key id ${file.keyId}) to ${values.out}; demo only, never trust it in production`);
  return 0;
}
