import { generateKeyPairSync } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { z } from 'zod';
import { decodeBase64url } from './base64url.js';
import { KeyError } from './key-error.js';
import { ED25519_PUBLIC_KEY_BYTES, KEY_ID_PATTERN, keyIdFor } from './key-id.js';
import { createSigner, rawPublicKey, type Signer } from './signer.js';
import { issuesOf, parseVersionedJson } from './versioned-json.js';

/**
 * A private signing key on disk: `{ version: 1, keyId, privateKey: <PKCS#8 PEM>, publicKey }`,
 * written with mode 0600. The public half is repeated so that `keys export` and a reader can
 * check the file is whole; a mismatch is refused.
 */
export const PrivateKeyFileSchema = z.strictObject({
  version: z.literal(1),
  keyId: z.string().regex(KEY_ID_PATTERN, { error: 'must be ed25519: and 32 lower-case hex digits' }),
  privateKey: z.string().startsWith('-----BEGIN PRIVATE KEY-----', { error: 'must be a PKCS#8 PEM private key' }),
  publicKey: z.string().refine((text) => decodeBase64url(text, ED25519_PUBLIC_KEY_BYTES) !== undefined, {
    error: 'must be a raw 32-byte Ed25519 public key, base64url without padding',
  }),
});

export type PrivateKeyFile = z.infer<typeof PrivateKeyFileSchema>;

/** Mode of a private key file: read and write for its owner only. */
export const PRIVATE_KEY_FILE_MODE = 0o600;

/**
 * A fresh Ed25519 key pair as a private key file's content. Keep it out of logs; write it with
 * {@link writePrivateKeyFile}.
 *
 * @example
 * const file = generatePrivateKeyFile();
 * await writePrivateKeyFile('keys/bundle.key.json', file);
 */
export function generatePrivateKeyFile(): PrivateKeyFile {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = rawPublicKey(publicKey);
  return {
    version: 1,
    keyId: keyIdFor(decodeBase64url(raw, ED25519_PUBLIC_KEY_BYTES) as Uint8Array),
    privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: raw,
  };
}

/**
 * Checks a private key file's text and returns its signer. `source` names it in errors.
 *
 * @throws KeyError `MALFORMED`, `UNSUPPORTED_VERSION`, or `KEY_MISMATCH` when `publicKey` or
 *   `keyId` is not the private key's.
 * @example const signer = parsePrivateKeyFile(text, 'keys/bundle.key.json');
 */
export function parsePrivateKeyFile(text: string, source: string): Signer {
  const json = parseVersionedJson(text, source, 'private key file');
  const parsed = PrivateKeyFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    throw new KeyError('MALFORMED', `${source}: not a private key file: ${issues.join('; ')}`, { file: source, issues });
  }
  const signer = createSigner(parsed.data.privateKey, source);
  if (signer.publicKey !== parsed.data.publicKey || signer.keyId !== parsed.data.keyId) {
    throw new KeyError('KEY_MISMATCH', `${source}: publicKey or keyId does not belong to its privateKey`, {
      file: source,
      keyId: parsed.data.keyId,
    });
  }
  return signer;
}

/**
 * Reads a private key file and returns its signer.
 *
 * @throws KeyError `UNAVAILABLE` when it cannot be read; otherwise as {@link parsePrivateKeyFile}.
 * @example const signer = await readPrivateKeyFile(config.bundleSigningKey);
 */
export async function readPrivateKeyFile(path: string): Promise<Signer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new KeyError('UNAVAILABLE', `cannot read private key file ${path} (${errorCode(error)})`, { file: path }, { cause: error });
  }
  return parsePrivateKeyFile(text, path);
}

/**
 * Writes a private key file with mode 0600. Never replaces an existing file: a key that
 * signed bundles must not vanish under a typo.
 *
 * @throws KeyError `EXISTS` when the file is there, `UNAVAILABLE` when it cannot be written.
 * @example await writePrivateKeyFile('keys/bundle.key.json', generatePrivateKeyFile());
 */
export async function writePrivateKeyFile(path: string, file: PrivateKeyFile): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'wx', PRIVATE_KEY_FILE_MODE);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') throw new KeyError('EXISTS', `${path} already exists; not overwriting a key`, { file: path });
    throw new KeyError('UNAVAILABLE', `cannot create ${path} (${errorCode(error)})`, { file: path }, { cause: error });
  }
  try {
    // The umask may have narrowed the mode; it is exactly 0600 either way.
    await handle.chmod(PRIVATE_KEY_FILE_MODE);
    await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? String(error);
}
