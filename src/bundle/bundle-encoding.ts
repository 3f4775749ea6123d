import { canonicalJson } from '../request/canonical-json.js';
import { digestJson, type Digest } from '../request/digest.js';
import type { BundleBody, SignedBundle } from './bundle-types.js';

/** Prefix of the signed bytes: a bundle signature can never pass for a receipt's, or the reverse. */
export const BUNDLE_SIGNATURE_CONTEXT = 'actiongate/policy-bundle/v1\n';

const utf8 = new TextEncoder();

/**
 * The bytes a bundle signature covers: UTF-8 of {@link BUNDLE_SIGNATURE_CONTEXT} followed by the
 * RFC 8785 canonical JSON of the body. Shared by the builder and every verifier.
 *
 * @example signer.sign(bundleSigningInput(body))
 */
export function bundleSigningInput(body: BundleBody): Uint8Array {
  return utf8.encode(BUNDLE_SIGNATURE_CONTEXT + canonicalJson(body));
}

/**
 * A bundle's identity: sha256 over the canonical JSON of its body (metadata included, signature
 * not), so re-signing the same content with another key keeps the digest.
 *
 * @example bundleDigest(bundle.body) // 'sha256:…'
 */
export function bundleDigest(body: BundleBody): Digest {
  return digestJson(body);
}

/**
 * The one byte form of a bundle file: canonical JSON of `{ body, signature }` and a newline.
 *
 * @example await writeFile('bundle.json', encodeBundle(buildBundle(files, metadata, signer)));
 */
export function encodeBundle(bundle: SignedBundle): string {
  return `${canonicalJson(bundle)}\n`;
}
