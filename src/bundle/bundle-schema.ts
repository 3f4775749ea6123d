import { z } from 'zod';
import { decodeBase64url } from '../keys/base64url.js';
import { ED25519_SIGNATURE_BYTES } from '../keys/ed25519-verify.js';
import { KEY_ID_PATTERN } from '../keys/key-id.js';
import type { BundleBody, BundleMetadata, SignedBundle } from './bundle-types.js';

export const BUNDLE_FORMAT = 'actiongate.policy-bundle';
export const BUNDLE_FORMAT_VERSION = 1;
export const BUNDLE_SIGNATURE_ALG = 'Ed25519';

/** A version label: it names the bundle in the CLI, the store and receipts, so no spaces or slashes. */
export const BUNDLE_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
/** A full git object name: SHA-1 (40 hex) or SHA-256 (64 hex) repositories. */
export const GIT_COMMIT_PATTERN = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export const BundleMetadataSchema = z.strictObject({
  version: z.string().regex(BUNDLE_VERSION_PATTERN, {
    error: 'must be 1 to 64 of A-Z a-z 0-9 . _ + - starting with a letter or digit, e.g. "2026-11-24.1"',
  }),
  revision: z.int().min(1, { error: 'must be a whole number, at least 1' }).max(Number.MAX_SAFE_INTEGER),
  gitCommit: z.string().regex(GIT_COMMIT_PATTERN, { error: 'must be a full lower-case git commit id (40 or 64 hex digits)' }).nullable(),
});

export const BundleBodySchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  v: z.literal(BUNDLE_FORMAT_VERSION),
  metadata: BundleMetadataSchema,
  // Which paths may appear is compilePolicySet's business; it refuses anything else.
  files: z.record(z.string().min(1), z.string()),
});

export const BundleSignatureSchema = z.strictObject({
  alg: z.literal(BUNDLE_SIGNATURE_ALG),
  keyId: z.string().regex(KEY_ID_PATTERN, { error: 'must be ed25519: and 32 lower-case hex digits' }),
  value: z.string().refine((text) => decodeBase64url(text, ED25519_SIGNATURE_BYTES) !== undefined, {
    error: 'must be a 64-byte Ed25519 signature, base64url without padding',
  }),
});

export const SignedBundleSchema = z.strictObject({ body: BundleBodySchema, signature: BundleSignatureSchema });

// The interfaces in bundle-types.ts are the contract; the schemas must describe exactly them.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
true satisfies Same<z.infer<typeof BundleMetadataSchema>, BundleMetadata>;
true satisfies Same<z.infer<typeof BundleBodySchema>, BundleBody>;
true satisfies Same<z.infer<typeof SignedBundleSchema>, SignedBundle>;
