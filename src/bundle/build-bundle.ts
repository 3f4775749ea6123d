import { decodeBase64url, encodeBase64url } from '../keys/base64url.js';
import { verifyEd25519 } from '../keys/ed25519-verify.js';
import { ED25519_PUBLIC_KEY_BYTES, keyIdFor } from '../keys/key-id.js';
import type { Signer } from '../keys/signer.js';
import type { PolicyFile } from '../policy/policy-files.js';
import { compilePolicySet } from '../policy/policy-set.js';
import { BundleError } from './bundle-error.js';
import { bundleSigningInput } from './bundle-encoding.js';
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, BUNDLE_SIGNATURE_ALG, BundleMetadataSchema } from './bundle-schema.js';
import type { BundleBody, BundleMetadata, SignedBundle } from './bundle-types.js';

/**
 * Builds and signs a policy bundle from a policy set's files. The files are compiled first, so
 * a set that would not load in a worker (bad Cedar, schema violation, duplicate id) is never
 * built. No clock, no randomness: the same files, metadata and key give the same bundle, byte
 * for byte ({@link encodeBundle}; Ed25519 signatures are deterministic).
 *
 * @throws PolicyError `POLICY_INVALID` for files that do not compile; BundleError `MALFORMED`
 *   for bad metadata (every bad field in `details.issues`) or a signer whose signature its own
 *   public key does not verify.
 * @example
 * const signer = await readPrivateKeyFile('keys/policy-bundle.key.json');
 * const bundle = buildBundle(await readPolicyDir('policies'), { version: '2026-11-24.1', revision: 7, gitCommit: null }, signer);
 * await writeFile('bundle.json', encodeBundle(bundle));
 */
export function buildBundle(files: readonly PolicyFile[], metadata: BundleMetadata, signer: Signer): SignedBundle {
  const checked = BundleMetadataSchema.safeParse(metadata);
  if (!checked.success) {
    const issues = checked.error.issues.map((issue) => `metadata.${issue.path.join('.')}: ${issue.message}`);
    throw new BundleError('MALFORMED', `bundle metadata: ${issues.join('; ')}`, { issues });
  }
  compilePolicySet(files);

  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const body: BundleBody = {
    format: BUNDLE_FORMAT,
    v: BUNDLE_FORMAT_VERSION,
    metadata: { version: checked.data.version, revision: checked.data.revision, gitCommit: checked.data.gitCommit },
    files: Object.fromEntries(sorted.map((file) => [file.path, file.text])),
  };
  const input = bundleSigningInput(body);
  const signature = signer.sign(input);

  // A signer is an interface: check that its key id and signature are what verifiers will see.
  const publicKey = decodeBase64url(signer.publicKey, ED25519_PUBLIC_KEY_BYTES);
  if (!publicKey || keyIdFor(publicKey) !== signer.keyId || !verifyEd25519(signer.publicKey, input, signature)) {
    throw new BundleError('MALFORMED', `signer ${signer.keyId}: its signature does not verify under its own public key`, { keyId: signer.keyId });
  }
  return { body, signature: { alg: BUNDLE_SIGNATURE_ALG, keyId: signer.keyId, value: encodeBase64url(signature) } };
}
