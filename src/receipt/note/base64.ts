/**
 * Standard base64 with padding (RFC 4648 section 4), the encoding signed notes, verifier keys and
 * checkpoints use, in pure JS. Decoding is strict: a text is accepted only if it is the one
 * canonical encoding of its bytes (length a multiple of 4, padding only where the length asks for
 * it, zero trailing bits, nothing outside the alphabet), so two texts never carry the same bytes.
 * Go's `base64.StdEncoding` also accepts non-zero trailing bits (and skips CR and LF, which a note
 * cannot contain): such a text is refused here.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** The value of each UTF-16 code unit below 128 (-1 when not in the alphabet). */
const VALUES = new Int8Array(128).fill(-1);
for (let index = 0; index < ALPHABET.length; index++) VALUES[ALPHABET.charCodeAt(index)] = index;

/** @example encodeBase64(new Uint8Array([0xfb, 0xff])) === '+/8=' */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] as number;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    const n = (b0 << 16) | ((b1 ?? 0) << 8) | (b2 ?? 0);
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
    out += b1 === undefined ? '=' : ALPHABET[(n >> 6) & 63]!;
    out += b2 === undefined ? '=' : ALPHABET[n & 63]!;
  }
  return out;
}

/**
 * The bytes of a padded base64 text, or undefined when it is not the canonical encoding of some
 * bytes (of exactly `length` bytes, when given).
 *
 * @example decodeBase64('+/8=') // Uint8Array [0xfb, 0xff]; decodeBase64('+/9=') === undefined
 */
export function decodeBase64(text: string, length?: number): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  let padding = 0;
  if (text.endsWith('==')) padding = 2;
  else if (text.endsWith('=')) padding = 1;
  const size = (text.length / 4) * 3 - padding;
  if (length !== undefined && size !== length) return undefined;
  const bytes = new Uint8Array(size);
  let acc = 0;
  let bits = 0;
  let at = 0;
  const end = text.length - padding;
  // By UTF-16 code unit: anything outside the ASCII alphabet (an inner '=' included) is refused.
  for (let i = 0; i < end; i++) {
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
  // Leftover bits must be zero, or '+/9=' and '+/8=' would both decode to the same two bytes.
  if ((acc & ((1 << bits) - 1)) !== 0) return undefined;
  return bytes;
}
