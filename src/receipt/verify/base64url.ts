/**
 * Base64url without padding (RFC 4648 section 5), in pure JS so the verifier runs where neither
 * `Buffer` nor `node:crypto` exists. Decoding is strict: a text is accepted only if it is the one
 * canonical encoding of its bytes (no padding, no stray characters, zero trailing bits), so two
 * different texts can never carry the same signature.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The value of each UTF-16 code unit below 128 (-1 when not in the alphabet). */
const VALUES = new Int8Array(128).fill(-1);
for (let index = 0; index < ALPHABET.length; index++) VALUES[ALPHABET.charCodeAt(index)] = index;

/** @example encodeBase64url(new Uint8Array([0xfb, 0xff])) === '-_8' */
export function encodeBase64url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] as number;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    const n = (b0 << 16) | ((b1 ?? 0) << 8) | (b2 ?? 0);
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
    if (b1 !== undefined) out += ALPHABET[(n >> 6) & 63]!;
    if (b2 !== undefined) out += ALPHABET[n & 63]!;
  }
  return out;
}

/**
 * The bytes of a base64url text, or undefined when it is not the canonical encoding of exactly
 * `length` bytes (when given).
 *
 * @example decodeBase64url('-_8', 2) // Uint8Array [0xfb, 0xff]; decodeBase64url('-_9', 2) === undefined
 */
export function decodeBase64url(text: string, length?: number): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const size = Math.floor((text.length * 3) / 4);
  if (length !== undefined && size !== length) return undefined;
  const bytes = new Uint8Array(size);
  let acc = 0;
  let bits = 0;
  let at = 0;
  // By UTF-16 code unit: anything outside the ASCII alphabet (a surrogate half included) is refused.
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? (VALUES[code] as number) : -1;
    if (value < 0) return undefined;
    acc = ((acc << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[at++] = (acc >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, or '-_9' and '-_8' would both decode to the same two bytes.
  if ((acc & ((1 << bits) - 1)) !== 0) return undefined;
  return bytes;
}
