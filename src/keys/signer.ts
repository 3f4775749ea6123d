import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { decodeBase64url } from './base64url.js';
import { KeyError } from './key-error.js';
import { ED25519_PUBLIC_KEY_BYTES, keyIdFor } from './key-id.js';

/**
 * Signs bytes with one Ed25519 key. The private key stays inside (a Node KeyObject in a
 * closure): a signer can be passed around and logged without showing it.
 */
export interface Signer {
  /** {@link keyIdFor} the public key. */
  readonly keyId: string;
  /** Raw 32-byte public key, base64url without padding. */
  readonly publicKey: string;
  /** Ed25519 over `data` (deterministic: the same bytes give the same 64-byte signature). */
  sign(data: Uint8Array): Uint8Array;
}

/**
 * A signer for a PKCS#8 PEM Ed25519 private key. `source` names the key in errors.
 *
 * @throws KeyError `MALFORMED` when the PEM is not an Ed25519 private key.
 * @example
 * const signer = createSigner(pem, 'keys/bundle.key.json');
 * const signature = signer.sign(new TextEncoder().encode('hello'));
 */
export function createSigner(privateKeyPem: string, source: string): Signer {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch {
    // Neither OpenSSL's message nor the error as cause: keep anything near key material out of logs.
    throw new KeyError('MALFORMED', `${source}: privateKey is not a PKCS#8 PEM private key`, { file: source });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new KeyError('MALFORMED', `${source}: privateKey is a ${privateKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519`, { file: source });
  }
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  const keyId = keyIdFor(decodeBase64url(publicKey, ED25519_PUBLIC_KEY_BYTES) as Uint8Array);
  return Object.freeze({
    keyId,
    publicKey,
    sign: (data: Uint8Array) => new Uint8Array(sign(null, data, privateKey)),
  });
}

/** The raw public key (JWK `x`) of an Ed25519 public KeyObject. */
export function rawPublicKey(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new TypeError('not an Ed25519 public key');
  return jwk.x;
}
