import { readFile } from 'node:fs/promises';
import * as ed from '@noble/ed25519';
import { describe, expect, it } from 'vitest';
import { buildBundle } from '../../src/bundle/build-bundle.js';
import { BUNDLE_SIGNATURE_CONTEXT, bundleDigest, bundleSigningInput, encodeBundle } from '../../src/bundle/bundle-encoding.js';
import { verifyBundle } from '../../src/bundle/verify-bundle.js';
import { parsePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { PolicyError } from '../../src/policy/policy-error.js';
import { readPolicyDir } from '../../src/policy/policy-files.js';
import { canonicalJson } from '../../src/request/canonical-json.js';
import { sha256Text } from '../../src/request/digest.js';
import { MINI_BUNDLE_FILE, MINI_METADATA, MINI_POLICY_FILES } from '../fixtures/bundle-fixtures.js';
import { RFC8032_TEST_1, TEST_KEY_1, TRUST_KEY_1 } from '../fixtures/signing-keys.js';
import { POLICIES_DIR } from '../support/paths.js';
import { bundleError, signer1 } from './bundle-test-support.js';

describe('buildBundle', () => {
  describe('when building the same inputs twice', () => {
    it('gives identical bytes and digest, with separately loaded signers', () => {
      const again = parsePrivateKeyFile(JSON.stringify(TEST_KEY_1), 'again');
      const a = buildBundle(MINI_POLICY_FILES, MINI_METADATA, signer1);
      const b = buildBundle([...MINI_POLICY_FILES].reverse(), { ...MINI_METADATA }, again);
      expect(encodeBundle(b)).toBe(encodeBundle(a));
      expect(bundleDigest(b.body)).toBe(bundleDigest(a.body));
    });

    it('gives the golden bundle byte for byte', async () => {
      const golden = await readFile(MINI_BUNDLE_FILE, 'utf8');
      expect(encodeBundle(buildBundle(MINI_POLICY_FILES, MINI_METADATA, signer1))).toBe(golden);
    });

    it('does the same for the sample policies', async () => {
      const files = await readPolicyDir(POLICIES_DIR);
      const metadata = { version: 'samples', revision: 1, gitCommit: null };
      expect(encodeBundle(buildBundle(files, metadata, signer1))).toBe(encodeBundle(buildBundle(files, metadata, signer1)));
    });
  });

  describe('when the golden bundle is checked by another Ed25519 implementation', () => {
    it('has a digest over the canonical body and a signature over the domain-separated bytes', async () => {
      const golden = JSON.parse(await readFile(MINI_BUNDLE_FILE, 'utf8'));
      const body = canonicalJson(golden.body);
      expect(bundleDigest(golden.body)).toBe(sha256Text(body));
      expect(Buffer.from(bundleSigningInput(golden.body)).toString('utf8')).toBe(`actiongate/policy-bundle/v1\n${body}`);
      expect(BUNDLE_SIGNATURE_CONTEXT).toBe('actiongate/policy-bundle/v1\n');
      const signature = Buffer.from(golden.signature.value, 'base64url');
      const publicKey = Buffer.from(RFC8032_TEST_1.publicKeyHex, 'hex');
      expect(await ed.verifyAsync(signature, bundleSigningInput(golden.body), publicKey)).toBe(true);
      // Without the prefix the same signature is worthless: it cannot be replayed as another kind of document.
      expect(await ed.verifyAsync(signature, new TextEncoder().encode(body), publicKey)).toBe(false);
    });
  });

  describe('when the bundle is built', () => {
    it('holds the files by path, the metadata, and a signature by the key', () => {
      const bundle = buildBundle(MINI_POLICY_FILES, MINI_METADATA, signer1);
      expect(bundle.body.format).toBe('actiongate.policy-bundle');
      expect(bundle.body.v).toBe(1);
      expect(bundle.body.metadata).toEqual(MINI_METADATA);
      expect(Object.keys(bundle.body.files)).toEqual(['payments/limits.cedar', 'principals.json', 'schema.cedarschema', 'surfaces.json']);
      expect(bundle.signature).toMatchObject({ alg: 'Ed25519', keyId: TEST_KEY_1.keyId });
      expect(verifyBundle(encodeBundle(bundle), TRUST_KEY_1).digest).toBe(bundleDigest(bundle.body));
    });
  });

  describe('when the policies do not compile', () => {
    it('builds nothing (POLICY_INVALID naming file and policy id)', () => {
      const files = MINI_POLICY_FILES.map((file) =>
        file.path === 'payments/limits.cedar' ? { ...file, text: file.text.replace('context.amount > 50000', 'context.amout > 50000') } : file,
      );
      let thrown: unknown;
      try {
        buildBundle(files, MINI_METADATA, signer1);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(PolicyError);
      expect((thrown as PolicyError).code).toBe('POLICY_INVALID');
      expect((thrown as PolicyError).details).toMatchObject({ file: 'payments/limits.cedar', policyId: 'payments.forbid-large' });
    });
  });

  describe('when the metadata is wrong', () => {
    it('is MALFORMED listing every bad field', () => {
      const error = bundleError(() => buildBundle(MINI_POLICY_FILES, { version: 'has space', revision: 0, gitCommit: 'HEAD' }, signer1));
      expect(error.code).toBe('MALFORMED');
      expect(error.details?.['issues']).toEqual([
        expect.stringMatching(/^metadata\.version/),
        expect.stringMatching(/^metadata\.revision/),
        expect.stringMatching(/^metadata\.gitCommit/),
      ]);
    });
  });

  describe('when the signer lies about its key', () => {
    it('is MALFORMED: a bundle its own key cannot verify is never returned', () => {
      const liar = { keyId: signer1.keyId, publicKey: signer1.publicKey, sign: () => new Uint8Array(64) };
      expect(bundleError(() => buildBundle(MINI_POLICY_FILES, MINI_METADATA, liar)).code).toBe('MALFORMED');
    });
  });
});
