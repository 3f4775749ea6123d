import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyError } from '../../src/keys/key-error.js';
import { verifyEd25519 } from '../../src/keys/ed25519-verify.js';
import {
  generatePrivateKeyFile,
  parsePrivateKeyFile,
  readPrivateKeyFile,
  writePrivateKeyFile,
} from '../../src/keys/private-key-file.js';
import { TEST_KEY_1, TEST_KEY_2 } from '../fixtures/signing-keys.js';
import { tempDir } from '../support/temp-dir.js';

function keyError(fn: () => unknown): KeyError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(KeyError);
    return error as KeyError;
  }
  throw new Error('expected a KeyError');
}

async function keyErrorAsync(promise: Promise<unknown>): Promise<KeyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeyError);
  return error as KeyError;
}

describe('private key files', () => {
  describe('when a key is generated', () => {
    it('has a key id derived from its public key, and signs what its public key verifies', () => {
      const file = generatePrivateKeyFile();
      const signer = parsePrivateKeyFile(JSON.stringify(file), 'generated');
      expect(signer.keyId).toBe(file.keyId);
      expect(signer.publicKey).toBe(file.publicKey);
      const data = new TextEncoder().encode('hello');
      expect(verifyEd25519(file.publicKey, data, signer.sign(data))).toBe(true);
    });

    it('differs each time', () => {
      expect(generatePrivateKeyFile().keyId).not.toBe(generatePrivateKeyFile().keyId);
    });
  });

  describe('when it is written', () => {
    it('has mode 0600 and is read back as the same key', async () => {
      const dir = await tempDir('actiongate-keys-');
      const path = join(dir, 'k.key.json');
      await writePrivateKeyFile(path, TEST_KEY_1);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await readPrivateKeyFile(path)).keyId).toBe(TEST_KEY_1.keyId);
    });

    it('never replaces an existing file (EXISTS)', async () => {
      const dir = await tempDir('actiongate-keys-');
      const path = join(dir, 'k.key.json');
      await writePrivateKeyFile(path, TEST_KEY_1);
      expect((await keyErrorAsync(writePrivateKeyFile(path, TEST_KEY_2))).code).toBe('EXISTS');
      expect((await readPrivateKeyFile(path)).keyId).toBe(TEST_KEY_1.keyId);
    });
  });

  describe('when the file is not usable', () => {
    it('is UNAVAILABLE when missing', async () => {
      const dir = await tempDir('actiongate-keys-');
      expect((await keyErrorAsync(readPrivateKeyFile(join(dir, 'missing.key.json')))).code).toBe('UNAVAILABLE');
    });

    it('is UNSUPPORTED_VERSION for version 2', () => {
      expect(keyError(() => parsePrivateKeyFile(JSON.stringify({ ...TEST_KEY_1, version: 2 }), 'k')).code).toBe('UNSUPPORTED_VERSION');
    });

    it('is MALFORMED for bad JSON, naming no key material', () => {
      const text = JSON.stringify(TEST_KEY_1).slice(0, -5);
      const error = keyError(() => parsePrivateKeyFile(text, 'k'));
      expect(error.code).toBe('MALFORMED');
      expect(error.message).not.toContain('MC4CAQ');
      expect(error.cause).toBeUndefined();
    });

    it('is MALFORMED for missing fields, listing each', () => {
      const error = keyError(() => parsePrivateKeyFile(JSON.stringify({ version: 1 }), 'k'));
      expect(error.code).toBe('MALFORMED');
      expect(error.details?.['issues']).toEqual(expect.arrayContaining([expect.stringMatching(/^keyId/), expect.stringMatching(/^privateKey/), expect.stringMatching(/^publicKey/)]));
    });

    it('is MALFORMED when the PEM is not an Ed25519 key', () => {
      const pem = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n';
      expect(keyError(() => parsePrivateKeyFile(JSON.stringify({ ...TEST_KEY_1, privateKey: pem }), 'k')).code).toBe('MALFORMED');
    });

    it('is KEY_MISMATCH when the public key or key id belongs to another key', () => {
      const swappedPublic = { ...TEST_KEY_1, publicKey: TEST_KEY_2.publicKey };
      const swappedId = { ...TEST_KEY_1, keyId: TEST_KEY_2.keyId };
      expect(keyError(() => parsePrivateKeyFile(JSON.stringify(swappedPublic), 'k')).code).toBe('KEY_MISMATCH');
      expect(keyError(() => parsePrivateKeyFile(JSON.stringify(swappedId), 'k')).code).toBe('KEY_MISMATCH');
    });
  });

  describe('when a signer is inspected', () => {
    it('shows no private key material', async () => {
      const dir = await tempDir('actiongate-keys-');
      const path = join(dir, 'k.key.json');
      await writeFile(path, JSON.stringify(TEST_KEY_1));
      const signer = await readPrivateKeyFile(path);
      const { inspect } = await import('node:util');
      expect(JSON.stringify(signer)).not.toContain('PRIVATE');
      expect(inspect(signer, { depth: 10, showHidden: true })).not.toContain('MC4CAQ');
    });
  });
});
