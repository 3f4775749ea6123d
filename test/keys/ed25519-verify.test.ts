import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeBase64url } from '../../src/keys/base64url.js';
import { verifyEd25519 } from '../../src/keys/ed25519-verify.js';
import { parsePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { RFC8032_TEST_1, TEST_KEY_1 } from '../fixtures/signing-keys.js';
import { VECTORS_DIR } from '../support/paths.js';

interface WycheproofFile {
  testGroups: { publicKey: { pk: string }; tests: { tcId: number; comment: string; msg: string; sig: string; result: 'valid' | 'invalid' }[] }[];
}

const wycheproof = JSON.parse(await readFile(join(VECTORS_DIR, 'wycheproof', 'ed25519_test.json'), 'utf8')) as WycheproofFile;
const cases = wycheproof.testGroups.flatMap((group) => group.tests.map((test) => ({ ...test, pk: group.publicKey.pk })));

describe('verifyEd25519', () => {
  describe('when checking the Wycheproof Ed25519 vectors', () => {
    it('has all 151', () => {
      expect(cases).toHaveLength(151);
    });

    it.each(cases.map((c) => [c.tcId, c.comment || '-', c.result, c] as const))('case %i (%s) is %s', (_, __, result, c) => {
      const publicKey = encodeBase64url(Buffer.from(c.pk, 'hex'));
      expect(verifyEd25519(publicKey, Buffer.from(c.msg, 'hex'), Buffer.from(c.sig, 'hex'))).toBe(result === 'valid');
    });
  });

  describe('when signing with the RFC 8032 TEST 1 key', () => {
    it('gives the RFC signature of the empty message, which verifies', () => {
      const signer = parsePrivateKeyFile(JSON.stringify(TEST_KEY_1), 'test-key-1');
      const signature = signer.sign(new Uint8Array());
      expect(Buffer.from(signature).toString('hex')).toBe(RFC8032_TEST_1.emptyMessageSignatureHex);
      expect(verifyEd25519(signer.publicKey, new Uint8Array(), signature)).toBe(true);
    });
  });

  describe('when the public key or signature is not usable', () => {
    it('is false, not an exception', () => {
      const signature = Buffer.from(RFC8032_TEST_1.emptyMessageSignatureHex, 'hex');
      expect(verifyEd25519('not a key', new Uint8Array(), signature)).toBe(false);
      expect(verifyEd25519(TEST_KEY_1.publicKey, new Uint8Array(), signature.subarray(0, 63))).toBe(false);
    });
  });
});
