import { ActionGateError } from '../errors.js';

/**
 * Why a policy bundle was refused, one code per check of {@link verifyBundle} (in its order):
 * `MALFORMED` (not JSON, or not the bundle format; every bad field in `details.issues`),
 * `UNSUPPORTED_VERSION` (a bundle format version or signature algorithm this reader does not
 * know), `UNSIGNED`, `UNTRUSTED_KEY` (not in the trusted key set for policy bundles, or outside
 * its validity; `details.reason` says which), `BAD_SIGNATURE`, `NOT_CANONICAL` (signed content
 * in another byte form than its canonical one).
 */
export type BundleErrorCode = 'MALFORMED' | 'UNSUPPORTED_VERSION' | 'UNSIGNED' | 'UNTRUSTED_KEY' | 'BAD_SIGNATURE' | 'NOT_CANONICAL';

/**
 * A policy bundle that cannot be built or must not be used. Any of these means: do not load it.
 *
 * @example
 * try {
 *   verifyBundle(text, trusted, now);
 * } catch (error) {
 *   if (error instanceof BundleError && error.code === 'UNTRUSTED_KEY') alert(error.details?.keyId);
 *   throw error;
 * }
 */
export class BundleError extends ActionGateError<BundleErrorCode> {}
