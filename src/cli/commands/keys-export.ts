import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { KeyError } from '../../keys/key-error.js';
import { parseKeySet } from '../../keys/key-set-schema.js';
import { withKeys } from '../../keys/key-set-builder.js';
import type { KeySetEntry } from '../../keys/key-set.js';
import { parsePrivateKeyFile } from '../../keys/private-key-file.js';
import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import type { ActionGateConfig } from '../config.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { parsePurpose } from './keys-generate.js';

export const KEYS_EXPORT_HELP = `Usage: actiongate keys export --key FILE [--key FILE ...] [--purpose policy-bundle|receipt]
                             [--valid-from INSTANT] [--valid-until INSTANT]

Prints a key set (JSON) holding the public keys of the given files, for verifiers
(ACTIONGATE_BUNDLE_KEYS). Each FILE is a private key file (\`keys generate\`; only its public
key is exported) or a key set, whose entries are kept as they are. Nothing private is printed.

Options:
  --key FILE              a private key file or key set; repeat it, or list more files after it
  --purpose PURPOSE       what the keys of private key files are trusted for (default policy-bundle)
  --valid-from INSTANT    for the keys of private key files: not trusted before this ISO 8601 instant
  --valid-until INSTANT   for the keys of private key files: not trusted from this ISO 8601 instant`;

/** `actiongate keys export`. */
export async function keysExportCommand(_config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('keys export', args, {
    key: { type: 'string', multiple: true },
    purpose: { type: 'string' },
    'valid-from': { type: 'string' },
    'valid-until': { type: 'string' },
  });
  if (values.help) {
    io.out(KEYS_EXPORT_HELP);
    return 0;
  }
  const files = [...(values.key ?? []), ...positionals];
  if (files.length === 0) throw new CliError('USAGE', 'keys export needs --key FILE');
  const purpose = parsePurpose(values.purpose);

  const entries: KeySetEntry[] = [];
  for (const file of files) {
    const text = await readKeyFile(resolve(file));
    if (isPrivateKeyFile(text)) {
      const signer = parsePrivateKeyFile(text, file);
      entries.push({
        keyId: signer.keyId,
        publicKey: signer.publicKey,
        purpose,
        ...(values['valid-from'] !== undefined ? { validFrom: values['valid-from'] } : {}),
        ...(values['valid-until'] !== undefined ? { validUntil: values['valid-until'] } : {}),
      });
    } else {
      entries.push(...parseKeySet(text, file).keys);
    }
  }
  io.out(JSON.stringify(withKeys({ version: 1, keys: [] }, entries), null, 2));
  return 0;
}

async function readKeyFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException | undefined)?.code ?? String(error);
    throw new KeyError('UNAVAILABLE', `cannot read ${path} (${reason})`, { file: path }, { cause: error });
  }
}

/** A JSON object with a `privateKey` member; anything else is read as a key set (and refused if it is not one). */
function isPrivateKeyFile(text: string): boolean {
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null && 'privateKey' in json;
  } catch {
    return false;
  }
}
