import { describe, expect, it } from 'vitest';
import { decodeBase64url, encodeBase64url } from '../../src/keys/base64url.js';

describe('base64url', () => {
  describe('when round-tripping bytes', () => {
    it('encodes without padding and decodes back', () => {
      const bytes = new Uint8Array([0xfb, 0xff, 0x00, 0x10]);
      expect(encodeBase64url(bytes)).toBe('-_8AEA');
      expect(decodeBase64url('-_8AEA')).toEqual(bytes);
    });
  });

  describe('when the text is not the one canonical encoding', () => {
    it.each([
      ['padding', '-_8AEA=='],
      ['standard alphabet', '+/8AEA'],
      ['white space', '-_8A EA'],
      ['stray trailing bits', '-_9'],
      ['impossible length', '-_8AE'],
    ])('refuses %s', (_, text) => {
      expect(decodeBase64url(text)).toBeUndefined();
    });
  });

  describe('when a length is required', () => {
    it('refuses other lengths', () => {
      expect(decodeBase64url('-_8', 2)).toEqual(new Uint8Array([0xfb, 0xff]));
      expect(decodeBase64url('-_8', 3)).toBeUndefined();
    });
  });
});
