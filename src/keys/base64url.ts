/**
 * Base64url without padding (RFC 4648 section 5), decoded strictly: exactly one text per byte
 * string. Node's decoder skips characters it does not know and ignores stray trailing bits, so
 * two different texts could name the same key or signature; signed documents must not allow that.
 */
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** @example encodeBase64url(new Uint8Array([0xfb, 0xff])) === '-_8' */
export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * The bytes of a base64url text, or undefined when it is not the one canonical encoding of
 * `length` bytes (when given).
 *
 * @example decodeBase64url('-_8', 2) // Uint8Array [0xfb, 0xff]; decodeBase64url('-_9', 2) === undefined
 */
export function decodeBase64url(text: string, length?: number): Uint8Array | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) return undefined;
  if (length !== undefined && bytes.length !== length) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
