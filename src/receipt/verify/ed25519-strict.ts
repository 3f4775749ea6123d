import { Point } from '@noble/ed25519';

/** Order of the Ed25519 base point (RFC 8032: L = 2^252 + 27742317777372353535851937790883648493), little-endian. */
const L_BYTES = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
]);

/**
 * The encoding checks RFC 8032 section 5.1.7 and Wycheproof ask for, done once in pure JS so
 * every back end gives the strict answer where a library is more lenient (OpenSSL, for one,
 * accepts a small-order public key, under which a forged signature verifies for any message):
 * lengths 32 and 64, S < L, A and R canonical points on the curve, A not of small order.
 *
 * @example if (!passesStrictEncodingChecks(publicKey, signature)) return false;
 */
export function passesStrictEncodingChecks(publicKey: Uint8Array, signature: Uint8Array): boolean {
  if (!passesStrictByteChecks(publicKey, signature)) return false;
  try {
    // zip215 = false: refuse non-canonical y (>= p) and a "negative zero" x.
    Point.fromBytes(signature.subarray(0, 32), false);
  } catch {
    return false;
  }
  return true;
}

/**
 * {@link passesStrictEncodingChecks} but for the one check that costs a point decompression per
 * signature, that R lies on the curve: lengths 32 and 64, S < L, R's y canonical (< p) and not a
 * "negative zero" x, A a canonical point on the curve and not of small order (decided once per key).
 *
 * What the back ends add, and why this is still the strict answer: both shipped back ends decide
 * that R is on the curve themselves, on every signature. OpenSSL recomputes R' = [S]B - [k]A and
 * compares its canonical encoding with the signature's R byte for byte, so it accepts only an R
 * that is the canonical encoding of a curve point; @noble/ed25519 with `zip215: false` decodes R
 * with the same strict `Point.fromBytes(R, false)` as {@link passesStrictEncodingChecks}.
 * A back end whose library does neither must use {@link passesStrictEncodingChecks}.
 *
 * @example if (!passesStrictByteChecks(publicKey, signature)) return false;
 */
export function passesStrictByteChecks(publicKey: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  if (!scalarBelowOrder(signature)) return false;
  if (!canonicalPointBytes(signature, 0)) return false;
  return acceptablePublicKey(publicKey);
}

/** S (bytes 32..63, little-endian) < L, compared from the most significant byte down. */
function scalarBelowOrder(signature: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i] as number;
    const l = L_BYTES[i] as number;
    if (s !== l) return s < l;
  }
  return false; // S = L
}

/**
 * The 32 bytes at `offset` are not refused by a strict decoder before any arithmetic: y (the
 * low 255 bits, little-endian) < p = 2^255 - 19, and the sign bit of x is clear when x = 0,
 * that is when y = 1 or y = p - 1 (the only y with y^2 = 1).
 */
function canonicalPointBytes(bytes: Uint8Array, offset: number): boolean {
  const top = (bytes[offset + 31] as number) & 0x7f;
  const sign = (bytes[offset + 31] as number) & 0x80;
  let middleAllOnes = true;
  let middleAllZeros = true;
  for (let i = 1; i < 31; i++) {
    const b = bytes[offset + i] as number;
    if (b !== 0xff) middleAllOnes = false;
    if (b !== 0) middleAllZeros = false;
  }
  const low = bytes[offset] as number;
  // y >= p: 0x7f, then thirty 0xff, then a low byte >= 0xed (p = 0x7fff...ffed).
  if (top === 0x7f && middleAllOnes && low >= 0xed) return false;
  if (sign !== 0) {
    if (top === 0 && middleAllZeros && low === 0x01) return false; // y = 1, x = 0
    if (top === 0x7f && middleAllOnes && low === 0xec) return false; // y = p - 1, x = 0
  }
  return true;
}

// A log is signed by a handful of keys: decide each key's encoding once (a point decompression
// costs about as much as the signature check itself). Bounded, so a hostile input cannot grow it.
const publicKeyVerdicts = new Map<string, boolean>();
const MAX_CACHED_KEYS = 1_024;

/** A canonical encoding of a point on the curve that is not of small order (cached per key). */
function acceptablePublicKey(publicKey: Uint8Array): boolean {
  const id = bytesKey(publicKey);
  const known = publicKeyVerdicts.get(id);
  if (known !== undefined) return known;
  let verdict: boolean;
  try {
    verdict = !Point.fromBytes(publicKey, false).isSmallOrder();
  } catch {
    verdict = false;
  }
  if (publicKeyVerdicts.size >= MAX_CACHED_KEYS) publicKeyVerdicts.clear();
  publicKeyVerdicts.set(id, verdict);
  return verdict;
}

/**
 * A map key for a short byte string: one UTF-16 code unit per byte (a latin1 string), exact and
 * cheap to build.
 *
 * @example const cache = new Map<string, T>(); cache.get(bytesKey(publicKey));
 */
export function bytesKey(bytes: Uint8Array): string {
  let key = '';
  for (let i = 0; i < bytes.length; i++) key += String.fromCharCode(bytes[i] as number);
  return key;
}
