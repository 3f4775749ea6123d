import { access, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { KEY_PURPOSES, loadKeySet } from '../../keys/key-set-schema.js';
import { withKeys } from '../../keys/key-set-builder.js';
import type { KeySet, KeySetEntry } from '../../keys/key-set.js';
import { generatePrivateKeyFile, writePrivateKeyFile } from '../../keys/private-key-file.js';
import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import type { ActionGateConfig } from '../config.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { writeFileAtomically } from '../write-file-atomically.js';

export const KEY_SET_FILE = 'keyset.json';

export const KEYS_GENERATE_HELP = `Usage: actiongate keys generate --out DIR [--name NAME] [--purpose policy-bundle|receipt|request|operator|gateway]
                               [--valid-from INSTANT] [--valid-until INSTANT]

Generates an Ed25519 signing key:
  DIR/NAME.key.json   the private key (mode 0600; never printed, never overwritten)
  DIR/${KEY_SET_FILE}        the key set of public keys, created or added to: give it to
                      verifiers (ACTIONGATE_BUNDLE_KEYS)

Options:
  --out DIR               folder for both files (created with mode 0700 if missing)
  --name NAME             file name stem (default <purpose>-<first 8 hex of the key id>)
  --purpose PURPOSE       what verifiers trust the key for (default policy-bundle); request:
                          an agent's key for signing its requests (submit --key); list its
                          keyId and publicKey under the actor in policies/principals.json;
                          operator: a named operator's key for approvals and break-glass
                          overrides (listed with "purpose": "operator" and the operator's groups);
                          gateway: the key of a front door (actiongate serve) attesting the
                          callers it authenticated (listed with "purpose": "gateway" under its
                          own service principal, named in each agent's "attestedBy")
  --valid-from INSTANT    ISO 8601 instant before which verifiers refuse the key
  --valid-until INSTANT   ISO 8601 instant from which verifiers refuse the key

Prints the key id, the public key and the paths written.`;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** `actiongate keys generate`. */
export async function keysGenerateCommand(_config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('keys generate', args, {
    out: { type: 'string' },
    name: { type: 'string' },
    purpose: { type: 'string' },
    'valid-from': { type: 'string' },
    'valid-until': { type: 'string' },
  });
  if (values.help) {
    io.out(KEYS_GENERATE_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new CliError('USAGE', `keys generate: unexpected ${JSON.stringify(positionals[0])}; run actiongate keys generate --help`);
  if (values.out === undefined || values.out === '') throw new CliError('USAGE', 'keys generate needs --out DIR');
  const purpose = parsePurpose(values.purpose);
  if (values.name !== undefined && !NAME_PATTERN.test(values.name)) {
    throw new CliError('USAGE', `--name ${JSON.stringify(values.name)}: use A-Z a-z 0-9 . _ - (no path separators)`);
  }
  const dir = resolve(values.out);
  const keySetPath = join(dir, KEY_SET_FILE);

  await mkdir(dir, { recursive: true, mode: 0o700 });
  const existing: KeySet = (await exists(keySetPath)) ? await loadKeySet(keySetPath) : { version: 1, keys: [] };
  const key = generatePrivateKeyFile();
  const entry: KeySetEntry = {
    keyId: key.keyId,
    publicKey: key.publicKey,
    purpose,
    ...(values['valid-from'] !== undefined ? { validFrom: values['valid-from'] } : {}),
    ...(values['valid-until'] !== undefined ? { validUntil: values['valid-until'] } : {}),
  };
  // Check the new key set before the private key exists: a bad --valid-until leaves nothing behind.
  const next = withKeys(existing, [entry]);
  const keyPath = join(dir, `${values.name ?? `${purpose}-${key.keyId.slice('ed25519:'.length, 'ed25519:'.length + 8)}`}.key.json`);
  await writePrivateKeyFile(keyPath, key);
  await writeFileAtomically(keySetPath, `${JSON.stringify(next, null, 2)}\n`);

  io.out(`key id       ${key.keyId}`);
  io.out(`public key   ${key.publicKey}`);
  io.out(`purpose      ${purpose}`);
  io.out(`private key  ${keyPath} (mode 0600: keep it secret, back it up)`);
  io.out(`key set      ${keySetPath} (${next.keys.length} ${next.keys.length === 1 ? 'key' : 'keys'})`);
  if (purpose === 'request' || purpose === 'operator' || purpose === 'gateway') {
    const whose = purpose === 'request' ? "the actor's" : purpose === 'operator' ? "the operator's" : "the gateway's service principal's";
    io.out(`principals   add to ${whose} "keys" in policies/principals.json: ${JSON.stringify({ keyId: key.keyId, publicKey: key.publicKey, purpose })}`);
  }
  return 0;
}

export function parsePurpose(value: string | undefined): KeySetEntry['purpose'] {
  if (value === undefined) return 'policy-bundle';
  const purpose = KEY_PURPOSES.find((candidate) => candidate === value);
  if (!purpose) throw new CliError('USAGE', `--purpose ${JSON.stringify(value)}: one of ${KEY_PURPOSES.join(', ')}`);
  return purpose;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
