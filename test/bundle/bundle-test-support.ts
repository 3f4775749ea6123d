import { expect } from 'vitest';
import { BundleError } from '../../src/bundle/bundle-error.js';
import { parsePrivateKeyFile } from '../../src/keys/private-key-file.js';
import type { Signer } from '../../src/keys/signer.js';
import { TEST_KEY_1, TEST_KEY_2 } from '../fixtures/signing-keys.js';

export const signer1: Signer = parsePrivateKeyFile(JSON.stringify(TEST_KEY_1), 'TEST_KEY_1');
export const signer2: Signer = parsePrivateKeyFile(JSON.stringify(TEST_KEY_2), 'TEST_KEY_2');

/** The BundleError `fn` throws (fails the test if it throws nothing or something else). */
export function bundleError(fn: () => unknown): BundleError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BundleError);
    return error as BundleError;
  }
  throw new Error('expected a BundleError');
}
