import { KeyError } from '../keys/key-error.js';
import { readPrivateKeyFile } from '../keys/private-key-file.js';
import type { Signer } from '../keys/signer.js';
import { CliError } from './cli-error.js';

/**
 * Reads the private key file a `--key FILE` option names; a missing or bad file is a usage error
 * naming the option.
 *
 * @throws CliError `INVALID_INPUT` for an unreadable or malformed key file.
 */
export async function readKeyOption(path: string): Promise<Signer> {
  try {
    return await readPrivateKeyFile(path);
  } catch (err) {
    if (err instanceof KeyError) throw new CliError('INVALID_INPUT', `--key: ${err.message}`);
    throw err;
  }
}
