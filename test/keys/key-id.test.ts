import { describe, expect, it } from 'vitest';
import { keyIdFor, KEY_ID_PATTERN } from '../../src/keys/key-id.js';
import { RFC8032_TEST_1, TEST_KEY_1 } from '../fixtures/signing-keys.js';

describe('keyIdFor', () => {
  describe('when given the RFC 8032 TEST 1 public key', () => {
    it('is ed25519: and the first 32 hex digits of its sha256', () => {
      // sha256(d75a98…511a) = 21fe31dfa154a261626bf854046fd227…, computed outside this code base.
      const id = keyIdFor(Buffer.from(RFC8032_TEST_1.publicKeyHex, 'hex'));
      expect(id).toBe('ed25519:21fe31dfa154a261626bf854046fd227');
      expect(id).toBe(TEST_KEY_1.keyId);
      expect(id).toMatch(KEY_ID_PATTERN);
    });
  });

  describe('when the key is not 32 bytes', () => {
    it('throws', () => {
      expect(() => keyIdFor(new Uint8Array(31))).toThrow(TypeError);
    });
  });
});
