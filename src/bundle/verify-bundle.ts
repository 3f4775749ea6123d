import { decodeBase64url } from '../keys/base64url.js';
import { verifyEd25519 } from '../keys/ed25519-verify.js';
import type { KeySet, KeySetEntry } from '../keys/key-set.js';
import { findTrustedKey } from '../keys/trusted-key.js';
import { BundleError } from './bundle-error.js';
import { bundleDigest, bundleSigningInput, encodeBundle } from './bundle-encoding.js';
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, BUNDLE_SIGNATURE_ALG, SignedBundleSchema } from './bundle-schema.js';
import type { SignedBundle, VerifiedBundle } from './bundle-types.js';

/**
 * Checks a bundle file's text against the keys trusted to sign policy bundles, as a pipeline of
 * small checks, each with its own error code: JSON, format version, signature present, shape,
 * trusted key, signature, canonical bytes. Only a bundle that passes all of them comes back.
 *
 * The last check makes one bundle have exactly one byte form: JSON that parses to the signed
 * content but is spelled differently (white space, member order, escapes, a duplicate member)
 * is refused, so a bundle's bytes, its digest and what was signed can never disagree.
 *
 * @param now the instant to check key validity at. A key with a validity period is refused
 *   when `now` is absent: the core has no clock, and a missing one must not pass an expired key.
 * @throws BundleError `MALFORMED`, `UNSUPPORTED_VERSION`, `UNSIGNED`, `UNTRUSTED_KEY`,
 *   `BAD_SIGNATURE` or `NOT_CANONICAL` (see {@link BundleErrorCode}).
 * @example
 * const verified = verifyBundle(await readFile('bundle.json', 'utf8'), await loadKeySet('keyset.json'), new Date());
 * const set = compileVerifiedBundle(verified); // set.digest === verified.digest
 */
export function verifyBundle(text: string, trusted: KeySet, now?: Date): VerifiedBundle {
  const json = parseJson(text);
  checkVersions(json);
  checkSigned(json);
  const bundle = checkShape(json);
  const key = checkTrusted(bundle, trusted, now);
  checkSignature(bundle, key);
  checkCanonical(text, bundle);
  return deepFreeze({ digest: bundleDigest(bundle.body), body: bundle.body, keyId: key.keyId, text });
}

function parseJson(text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BundleError('MALFORMED', `not a policy bundle: not JSON (${(error as Error).message})`, {}, { cause: error });
  }
  if (!isRecord(json)) throw new BundleError('MALFORMED', 'not a policy bundle: not a JSON object', {});
  return json;
}

/** Before the shape: a newer bundle must say "unsupported version", not "malformed". */
function checkVersions(json: Record<string, unknown>): void {
  const body = json['body'];
  if (isRecord(body) && body['format'] === BUNDLE_FORMAT && body['v'] !== undefined && body['v'] !== BUNDLE_FORMAT_VERSION) {
    throw new BundleError('UNSUPPORTED_VERSION', `policy bundle format version ${JSON.stringify(body['v'])} is not supported (expected ${BUNDLE_FORMAT_VERSION})`, {
      v: body['v'],
    });
  }
  const signature = json['signature'];
  if (isRecord(signature) && typeof signature['alg'] === 'string' && signature['alg'] !== BUNDLE_SIGNATURE_ALG) {
    throw new BundleError('UNSUPPORTED_VERSION', `signature algorithm ${JSON.stringify(signature['alg'])} is not supported (expected ${BUNDLE_SIGNATURE_ALG})`, {
      alg: signature['alg'],
    });
  }
}

function checkSigned(json: Record<string, unknown>): void {
  if (json['signature'] === undefined || json['signature'] === null) {
    throw new BundleError('UNSIGNED', 'the policy bundle has no signature', {});
  }
}

function checkShape(json: Record<string, unknown>): SignedBundle {
  const parsed = SignedBundleSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
    throw new BundleError('MALFORMED', `not a policy bundle: ${issues.join('; ')}`, { issues });
  }
  return parsed.data;
}

function checkTrusted(bundle: SignedBundle, trusted: KeySet, now: Date | undefined): KeySetEntry {
  const { keyId } = bundle.signature;
  const found = findTrustedKey(trusted, keyId, 'policy-bundle', now);
  if (!found.trusted) throw new BundleError('UNTRUSTED_KEY', `policy bundle signed by an untrusted key: ${found.message}`, { keyId, reason: found.reason });
  return found.entry;
}

function checkSignature(bundle: SignedBundle, key: KeySetEntry): void {
  const signature = decodeBase64url(bundle.signature.value) as Uint8Array; // the shape check decoded it already
  if (!verifyEd25519(key.publicKey, bundleSigningInput(bundle.body), signature)) {
    throw new BundleError('BAD_SIGNATURE', `the policy bundle's signature does not verify under key ${key.keyId}`, { keyId: key.keyId });
  }
}

function checkCanonical(text: string, bundle: SignedBundle): void {
  // Also catches members the shape check dropped without complaint (a "__proto__" file name).
  if (text !== encodeBundle(bundle)) {
    throw new BundleError('NOT_CANONICAL', 'the policy bundle is not in its canonical form (RFC 8785 JSON and one newline)', {});
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
