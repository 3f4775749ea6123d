import { ActionGateError } from '../errors.js';

/**
 * Why the bundle store refused. `NOT_FOUND`: no bundle has that digest or version label.
 * `VERSION_TAKEN` / `REVISION_TAKEN`: another bundle was published under that label or revision.
 * `ALREADY_PUBLISHED`: this digest is stored with other bytes (signed again); stored bytes never change.
 * `ROLLBACK_REQUIRED`: activating a lower revision than the active one without asking for a rollback.
 * `NOT_A_ROLLBACK`: a rollback was asked for, but the bundle is not lower than the active one.
 * `NO_TRUSTED_KEYS`: publishing or activating needs the trusted key set, and none was given.
 * `DIGEST_MISMATCH`: a stored bundle's bytes are not those of the digest it is stored under.
 * `CONFLICT`: a concurrent change got in between; try again.
 */
export type BundleStoreErrorCode =
  | 'NOT_FOUND'
  | 'VERSION_TAKEN'
  | 'REVISION_TAKEN'
  | 'ALREADY_PUBLISHED'
  | 'ROLLBACK_REQUIRED'
  | 'NOT_A_ROLLBACK'
  | 'NO_TRUSTED_KEYS'
  | 'DIGEST_MISMATCH'
  | 'CONFLICT';

/**
 * A refusal of the policy bundle store. Bundles that fail verification are refused with the
 * verifier's own {@link BundleError} instead, so its code (`UNTRUSTED_KEY`, ...) reaches the caller.
 *
 * @example
 * try {
 *   await store.activate('2026-11-20.1', { by: 'alice' });
 * } catch (error) {
 *   if (error instanceof BundleStoreError && error.code === 'ROLLBACK_REQUIRED') askForRollback(error.details);
 *   throw error;
 * }
 */
export class BundleStoreError extends ActionGateError<BundleStoreErrorCode> {}
