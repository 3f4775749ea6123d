import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildBundle } from '../../src/bundle/build-bundle.js';
import { encodeBundle } from '../../src/bundle/bundle-encoding.js';
import { compileVerifiedBundle } from '../../src/bundle/compile-verified-bundle.js';
import { verifyBundle } from '../../src/bundle/verify-bundle.js';
import { demoSigner } from '../../src/demo/demo-keys.js';
import { signRequest } from '../../src/identity/request-signature.js';
import { readPolicyDir } from '../../src/policy/policy-files.js';
import { compilePolicySet } from '../../src/policy/policy-set.js';
import type { ActionRequest } from '../../src/request/action-request.js';
import { MINI_BUNDLE_FILE, MINI_METADATA, MINI_POLICY_FILES } from '../fixtures/bundle-fixtures.js';
import { TRUST_KEY_1 } from '../fixtures/signing-keys.js';
import { POLICIES_DIR } from '../support/paths.js';
import { signer1 } from './bundle-test-support.js';

const NOW = { now: new Date('2026-11-24T10:00:00Z') };
// About bundles, not request signatures: the signature is taken as checked.
const DECIDE = { ...NOW, assumeSigned: true };
const transfer = (amount: number): ActionRequest => ({
  idempotencyKey: 'bundle-1',
  actor: { id: 'agent-1', type: 'agent' },
  surface: 'payments',
  action: 'transfer',
  target: { type: 'account', id: 'acct-1' },
  context: { amount },
});

describe('compileVerifiedBundle', () => {
  describe('when a verified bundle is compiled', () => {
    it('is named by the bundle digest and version, and its decisions cite the bundle digest', async () => {
      const verified = verifyBundle(await readFile(MINI_BUNDLE_FILE, 'utf8'), TRUST_KEY_1, NOW.now);
      const set = compileVerifiedBundle(verified);
      expect(set.digest).toBe(verified.digest);
      expect(set.version).toBe(MINI_METADATA.version);
      expect(set.digest).not.toBe(compilePolicySet(MINI_POLICY_FILES).digest);
      expect(set.evaluate(transfer(100), DECIDE)).toEqual({
        outcome: 'PERMIT',
        reasons: ['payments.permit-small'],
        policy: { digest: verified.digest },
        actorKeyId: null,
      });
      expect(set.evaluate(transfer(60000), DECIDE)).toMatchObject({ outcome: 'DENY', reasons: ['payments.forbid-large'] });
    });

    it('decides the sample cases as the policy directory does', async () => {
      const files = await readPolicyDir(POLICIES_DIR);
      const bundle = encodeBundle(buildBundle(files, { version: 'samples', revision: 1, gitCommit: null }, signer1));
      const fromBundle = compileVerifiedBundle(verifyBundle(bundle, TRUST_KEY_1, NOW.now));
      const fromDir = compilePolicySet(files);
      const request = { ...transfer(50001), actor: { id: 'agent-42', type: 'agent' }, context: { amount: 50001, currency: 'EUR' } };
      const signature = signRequest(request, demoSigner('agent-42'));
      const decision = fromDir.evaluate(request, { ...NOW, signature });
      expect(decision).toMatchObject({ outcome: 'DENY', reasons: ['payments.forbid-agent-over-limit'] });
      expect({ ...fromBundle.evaluate(request, { ...NOW, signature }), policy: null }).toEqual({ ...decision, policy: null });
      expect(fromDir.version).toBeNull();
    });
  });
});
