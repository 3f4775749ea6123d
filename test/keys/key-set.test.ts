import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyError } from '../../src/keys/key-error.js';
import { withKeys } from '../../src/keys/key-set-builder.js';
import { loadKeySet, parseKeySet } from '../../src/keys/key-set-schema.js';
import { TEST_KEY_1, TEST_KEY_2, TRUST_KEY_1 } from '../fixtures/signing-keys.js';
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

const entry1 = { keyId: TEST_KEY_1.keyId, publicKey: TEST_KEY_1.publicKey, purpose: 'policy-bundle' } as const;

describe('key sets', () => {
  describe('when the file is valid', () => {
    it('loads it', async () => {
      const dir = await tempDir('actiongate-keyset-');
      const path = join(dir, 'keyset.json');
      const set = { version: 1, keys: [{ ...entry1, validFrom: '2026-01-01T00:00:00Z', validUntil: '2027-01-01T00:00:00Z' }] };
      await writeFile(path, JSON.stringify(set));
      expect(await loadKeySet(path)).toEqual(set);
    });
  });

  describe('when the version is not 1', () => {
    it('is UNSUPPORTED_VERSION', () => {
      expect(keyError(() => parseKeySet(JSON.stringify({ ...TRUST_KEY_1, version: 2 }), 'keyset.json')).code).toBe('UNSUPPORTED_VERSION');
    });
  });

  describe('when an entry is wrong', () => {
    it.each([
      ['a key id that is not its public key', { ...entry1, keyId: TEST_KEY_2.keyId }, 'keys.0.keyId'],
      ['a public key that is not 32 bytes', { ...entry1, publicKey: 'AAAA' }, 'keys.0.publicKey'],
      ['an unknown purpose', { ...entry1, purpose: 'everything' }, 'keys.0.purpose'],
      ['a validity that is not an instant', { ...entry1, validUntil: 'next year' }, 'keys.0.validUntil'],
      ['a validity that ends before it starts', { ...entry1, validFrom: '2027-01-01T00:00:00Z', validUntil: '2026-01-01T00:00:00Z' }, 'keys.0.validUntil'],
      ['an unknown field', { ...entry1, comment: 'x' }, 'keys.0'],
    ])('is MALFORMED for %s, naming the field', (_, entry, field) => {
      const error = keyError(() => parseKeySet(JSON.stringify({ version: 1, keys: [entry] }), 'keyset.json'));
      expect(error.code).toBe('MALFORMED');
      expect((error.details?.['issues'] as string[]).some((issue) => issue.startsWith(field))).toBe(true);
    });

    it('is MALFORMED for the same key twice with one purpose, not for two purposes', () => {
      expect(keyError(() => parseKeySet(JSON.stringify({ version: 1, keys: [entry1, entry1] }), 'k')).code).toBe('MALFORMED');
      expect(parseKeySet(JSON.stringify({ version: 1, keys: [entry1, { ...entry1, purpose: 'receipt' }] }), 'k').keys).toHaveLength(2);
    });
  });

  describe('when the file is missing or not JSON', () => {
    it('is UNAVAILABLE or MALFORMED', async () => {
      const dir = await tempDir('actiongate-keyset-');
      await expect(loadKeySet(join(dir, 'none.json'))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect(keyError(() => parseKeySet('{', 'k')).code).toBe('MALFORMED');
      expect(keyError(() => parseKeySet('[]', 'k')).code).toBe('MALFORMED');
    });
  });

  describe('when keys are added', () => {
    it('keeps one entry per key and purpose, in key id order', () => {
      const entry2 = { keyId: TEST_KEY_2.keyId, publicKey: TEST_KEY_2.publicKey, purpose: 'policy-bundle' } as const;
      const set = withKeys(withKeys({ version: 1, keys: [] }, [entry2, entry1]), [entry1]);
      expect(set.keys.map((k) => k.keyId)).toEqual([TEST_KEY_1.keyId, TEST_KEY_2.keyId]);
    });

    it('refuses the same key and purpose with other validity', () => {
      expect(keyError(() => withKeys(TRUST_KEY_1, [{ ...entry1, validUntil: '2030-01-01T00:00:00Z' }])).code).toBe('MALFORMED');
    });
  });
});
