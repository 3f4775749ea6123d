import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { BundleErrorCode } from '../../src/bundle/bundle-error.js';
import { buildBundle } from '../../src/bundle/build-bundle.js';
import { bundleDigest, encodeBundle } from '../../src/bundle/bundle-encoding.js';
import { verifyBundle } from '../../src/bundle/verify-bundle.js';
import { encodeBase64url } from '../../src/keys/base64url.js';
import type { KeySet } from '../../src/keys/key-set.js';
import { canonicalJson } from '../../src/request/canonical-json.js';
import { MINI_BUNDLE_FILE, MINI_METADATA, MINI_POLICY_FILES } from '../fixtures/bundle-fixtures.js';
import { TEST_KEY_1, TEST_KEY_2, TRUST_KEY_1 } from '../fixtures/signing-keys.js';
import { bundleError, signer1, signer2 } from './bundle-test-support.js';

const golden = await readFile(MINI_BUNDLE_FILE, 'utf8');
const NOW = new Date('2026-11-24T10:00:00Z');

/** The golden bundle as JSON, changed by `edit`, then written back canonically (so only the change differs). */
function edited(edit: (bundle: Record<string, any>) => void): string {
  const bundle = JSON.parse(golden);
  edit(bundle);
  return `${canonicalJson(bundle)}\n`;
}

function trusting(entry: Partial<KeySet['keys'][number]> = {}): KeySet {
  return { version: 1, keys: [{ ...(TRUST_KEY_1.keys[0] as KeySet['keys'][number]), ...entry }] };
}

describe('verifyBundle', () => {
  describe('when the bundle is intact and signed by a trusted key', () => {
    it('returns the body, digest, key id and exact text', () => {
      const verified = verifyBundle(golden, TRUST_KEY_1, NOW);
      expect(verified.digest).toBe(bundleDigest(JSON.parse(golden).body));
      expect(verified.digest).toBe('sha256:e8c224f29e3863e62a3cd44fbc88f383c38cd26c0c04dc34e2823dbc26280ab7');
      expect(verified.keyId).toBe(TEST_KEY_1.keyId);
      expect(verified.body.metadata).toEqual(MINI_METADATA);
      expect(verified.text).toBe(golden);
      expect(Object.isFrozen(verified.body.files)).toBe(true);
    });
  });

  describe('when any single byte is flipped', () => {
    const REFUSALS: BundleErrorCode[] = ['MALFORMED', 'UNSUPPORTED_VERSION', 'UNSIGNED', 'UNTRUSTED_KEY', 'BAD_SIGNATURE', 'NOT_CANONICAL'];

    it('refuses every one of them', () => {
      const bytes = Buffer.from(golden, 'utf8');
      const seen: Record<string, number> = {};
      for (let i = 0; i < bytes.length; i++) {
        const flipped = Buffer.from(bytes);
        flipped[i] = (flipped[i] as number) ^ 0x01; // ASCII stays ASCII: the text changes in exactly one character
        const error = bundleError(() => verifyBundle(flipped.toString('utf8'), TRUST_KEY_1, NOW));
        expect(REFUSALS).toContain(error.code);
        seen[error.code] = (seen[error.code] ?? 0) + 1;
      }
      // Most flips break the signature or the JSON; the rest hit the key id, the version, or the "signature" member name.
      expect(seen['BAD_SIGNATURE']).toBeGreaterThan(bytes.length / 2);
      expect(Object.keys(seen).sort()).toEqual(['BAD_SIGNATURE', 'MALFORMED', 'UNSIGNED', 'UNSUPPORTED_VERSION', 'UNTRUSTED_KEY']);
    });

    it('is BAD_SIGNATURE for a byte of a policy, the metadata or the signature', () => {
      const policy = edited((b) => (b.body.files['payments/limits.cedar'] = b.body.files['payments/limits.cedar'].replace('50000', '50001')));
      const revision = edited((b) => (b.body.metadata.revision = 8));
      const signature = edited((b) => {
        const value = Buffer.from(b.signature.value, 'base64url');
        value[10] = (value[10] as number) ^ 0x01;
        b.signature.value = encodeBase64url(value);
      });
      for (const text of [policy, revision, signature]) expect(bundleError(() => verifyBundle(text, TRUST_KEY_1, NOW)).code).toBe('BAD_SIGNATURE');
    });

    it('is MALFORMED for a signature that is not canonical base64url', () => {
      const text = edited((b) => (b.signature.value = `${b.signature.value.slice(0, -1)}D`)); // 'w' → 'D': same leading bits, stray trailing ones
      expect(bundleError(() => verifyBundle(text, TRUST_KEY_1, NOW)).code).toBe('MALFORMED');
    });
  });

  describe('when the bytes are not the canonical form of a correctly signed bundle', () => {
    it.each([
      ['pretty-printed', () => `${JSON.stringify(JSON.parse(golden), null, 2)}\n`],
      ['without the final newline', () => golden.slice(0, -1)],
      ['with a second newline', () => `${golden}\n`],
      ['with members reordered', () => `${JSON.stringify({ signature: JSON.parse(golden).signature, body: JSON.parse(golden).body })}\n`],
      ['with a member given twice', () => golden.replace('{"body":{', '{"body":{"v":1,')],
      ['with a "__proto__" file', () => golden.replace('"files":{', '"files":{"__proto__":"x",')],
      ['with an escaped character', () => golden.replace('"format":"actiongate.policy-bundle"', '"format":"actiongate\\u002epolicy-bundle"')],
    ])('is NOT_CANONICAL (or MALFORMED) when %s', (_, make) => {
      expect(['NOT_CANONICAL', 'MALFORMED']).toContain(bundleError(() => verifyBundle(make(), TRUST_KEY_1, NOW)).code);
    });

    it('is NOT_CANONICAL, exactly, for white space', () => {
      expect(bundleError(() => verifyBundle(golden.replace('{"body":', '{ "body":'), TRUST_KEY_1, NOW)).code).toBe('NOT_CANONICAL');
    });
  });

  describe('when the signing key is not trusted', () => {
    it('is UNTRUSTED_KEY for a bundle signed by a key outside the set', () => {
      const other = encodeBundle(buildBundle(MINI_POLICY_FILES, MINI_METADATA, signer2));
      expect(bundleError(() => verifyBundle(other, TRUST_KEY_1, NOW))).toMatchObject({ code: 'UNTRUSTED_KEY', details: { reason: 'unknown-key', keyId: TEST_KEY_2.keyId } });
    });

    it('is UNTRUSTED_KEY for an empty key set', () => {
      expect(bundleError(() => verifyBundle(golden, { version: 1, keys: [] }, NOW)).code).toBe('UNTRUSTED_KEY');
    });

    it('is UNTRUSTED_KEY for a key trusted only for receipts', () => {
      expect(bundleError(() => verifyBundle(golden, trusting({ purpose: 'receipt' }), NOW))).toMatchObject({ code: 'UNTRUSTED_KEY', details: { reason: 'wrong-purpose' } });
    });

    it.each([
      ['expired', { validUntil: '2026-11-24T10:00:00Z' }, NOW],
      ['not-yet-valid', { validFrom: '2026-11-24T10:00:01Z' }, NOW],
      ['no-clock', { validUntil: '2030-01-01T00:00:00Z' }, undefined],
    ] as const)('is UNTRUSTED_KEY (%s) outside the key\'s validity', (reason, validity, now) => {
      expect(bundleError(() => verifyBundle(golden, trusting(validity), now))).toMatchObject({ code: 'UNTRUSTED_KEY', details: { reason } });
    });

    it('accepts the bundle inside the key\'s validity', () => {
      expect(verifyBundle(golden, trusting({ validFrom: '2026-11-24T10:00:00Z', validUntil: '2026-11-24T10:00:01Z' }), NOW).keyId).toBe(TEST_KEY_1.keyId);
    });

    it('is BAD_SIGNATURE when another key signed under the trusted key\'s id', () => {
      const forged = encodeBundle({ ...buildBundle(MINI_POLICY_FILES, MINI_METADATA, signer2), signature: { alg: 'Ed25519', keyId: TEST_KEY_1.keyId, value: buildBundle(MINI_POLICY_FILES, MINI_METADATA, signer2).signature.value } });
      expect(bundleError(() => verifyBundle(forged, TRUST_KEY_1, NOW)).code).toBe('BAD_SIGNATURE');
    });
  });

  describe('when the bundle is unsigned', () => {
    it.each([
      ['no signature', (b: Record<string, any>) => delete b.signature],
      ['a null signature', (b: Record<string, any>) => (b.signature = null)],
    ])('is UNSIGNED with %s', (_, edit) => {
      expect(bundleError(() => verifyBundle(edited(edit), TRUST_KEY_1, NOW)).code).toBe('UNSIGNED');
    });
  });

  describe('when the version is unknown', () => {
    it.each([
      ['bundle format version 2', (b: Record<string, any>) => (b.body.v = 2)],
      ['signature algorithm ES256', (b: Record<string, any>) => (b.signature.alg = 'ES256')],
    ])('is UNSUPPORTED_VERSION for %s', (_, edit) => {
      expect(bundleError(() => verifyBundle(edited(edit), TRUST_KEY_1, NOW)).code).toBe('UNSUPPORTED_VERSION');
    });
  });

  describe('when the text is not a bundle', () => {
    it.each([
      ['not JSON', '{'],
      ['an array', '[]\n'],
      ['another format', edited((b) => (b.body.format = 'something-else'))],
      ['no format version', edited((b) => delete b.body.v)],
      ['an unknown member', edited((b) => (b.body.extra = true))],
      ['a revision that is not a whole number', edited((b) => (b.body.metadata.revision = 1.5))],
      ['a file that is not text', edited((b) => (b.body.files['x.cedar'] = 1))],
    ])('is MALFORMED for %s', (_, text) => {
      expect(bundleError(() => verifyBundle(text, TRUST_KEY_1, NOW)).code).toBe('MALFORMED');
    });
  });
});
