import { ActionGateError } from '../errors.js';

/**
 * `UNAVAILABLE`: a key or key-set file cannot be read. `MALFORMED`: it was read but is not a
 * valid key file or key set (every bad field is listed in `details.issues`).
 * `UNSUPPORTED_VERSION`: its `version` is not 1. `KEY_MISMATCH`: a private key file whose
 * `publicKey` or `keyId` does not belong to its private key. `EXISTS`: a private key file is
 * already there (keys are never overwritten).
 */
export type KeyErrorCode = 'UNAVAILABLE' | 'MALFORMED' | 'UNSUPPORTED_VERSION' | 'KEY_MISMATCH' | 'EXISTS';

/**
 * A signing key or key set that cannot be used. Messages name the file, never key material.
 *
 * @example
 * try {
 *   await loadKeySet('keys/keyset.json');
 * } catch (error) {
 *   if (error instanceof KeyError && error.code === 'UNSUPPORTED_VERSION') upgrade();
 *   throw error;
 * }
 */
export class KeyError extends ActionGateError<KeyErrorCode> {}
