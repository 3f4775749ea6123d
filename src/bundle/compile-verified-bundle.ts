import { compilePolicySet, type CompiledPolicySet } from '../policy/policy-set.js';
import type { VerifiedBundle } from './bundle-types.js';

/**
 * Compiles a verified bundle's files into a policy set named by the bundle: `digest` is the
 * bundle digest (what receipts cite) and `version` its `metadata.version`. Takes only a
 * {@link VerifiedBundle}, so an unverified bundle cannot be compiled by mistake through here.
 *
 * @throws PolicyError `POLICY_INVALID` if the files do not compile (a bundle built by
 *   {@link buildBundle} always does, with the same Cedar version).
 * @example
 * const set = compileVerifiedBundle(verifyBundle(text, trusted, now));
 * set.evaluate(request, { now }).policy.digest === set.digest;
 */
export function compileVerifiedBundle(bundle: VerifiedBundle): CompiledPolicySet {
  const files = Object.entries(bundle.body.files).map(([path, text]) => ({ path, text }));
  return compilePolicySet(files, { digest: bundle.digest, version: bundle.body.metadata.version });
}
