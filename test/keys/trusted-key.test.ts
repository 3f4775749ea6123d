import { describe, expect, it } from 'vitest';
import type { KeySet } from '../../src/keys/key-set.js';
import { findTrustedKey } from '../../src/keys/trusted-key.js';
import { TEST_KEY_1, TEST_KEY_2 } from '../fixtures/signing-keys.js';

const bounded: KeySet = {
  version: 1,
  keys: [
    {
      keyId: TEST_KEY_1.keyId,
      publicKey: TEST_KEY_1.publicKey,
      purpose: 'policy-bundle',
      validFrom: '2026-01-01T00:00:00Z',
      validUntil: '2027-01-01T00:00:00Z',
    },
    { keyId: TEST_KEY_2.keyId, publicKey: TEST_KEY_2.publicKey, purpose: 'receipt' },
  ],
};

describe('findTrustedKey', () => {
  describe('when the key is in the set for the purpose and inside its validity', () => {
    it('is trusted', () => {
      expect(findTrustedKey(bounded, TEST_KEY_1.keyId, 'policy-bundle', new Date('2026-06-01T00:00:00Z'))).toMatchObject({ trusted: true });
      expect(findTrustedKey(bounded, TEST_KEY_1.keyId, 'policy-bundle', new Date('2026-01-01T00:00:00Z'))).toMatchObject({ trusted: true });
    });
  });

  describe('when it is not', () => {
    it.each([
      ['unknown-key', 'ed25519:00000000000000000000000000000000', 'policy-bundle', new Date('2026-06-01T00:00:00Z')],
      ['wrong-purpose', TEST_KEY_2.keyId, 'policy-bundle', new Date('2026-06-01T00:00:00Z')],
      ['not-yet-valid', TEST_KEY_1.keyId, 'policy-bundle', new Date('2025-12-31T23:59:59Z')],
      ['expired', TEST_KEY_1.keyId, 'policy-bundle', new Date('2027-01-01T00:00:00Z')],
      ['no-clock', TEST_KEY_1.keyId, 'policy-bundle', undefined],
      ['no-clock', TEST_KEY_1.keyId, 'policy-bundle', new Date('not a date')],
    ] as const)('is untrusted: %s', (reason, keyId, purpose, now) => {
      expect(findTrustedKey(bounded, keyId, purpose, now)).toMatchObject({ trusted: false, reason });
    });
  });

  describe('when a key has no validity bounds', () => {
    it('needs no clock', () => {
      expect(findTrustedKey(bounded, TEST_KEY_2.keyId, 'receipt')).toMatchObject({ trusted: true });
    });
  });
});
