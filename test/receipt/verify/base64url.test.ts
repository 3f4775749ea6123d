import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64url, encodeBase64url } from '../../../src/receipt/verify/base64url.js';

describe('base64url (pure)', () => {
  describe('when round-tripping random bytes of every length up to 70', () => {
    it('matches Node and decodes back', () => {
      for (let n = 0; n <= 70; n++) {
        const bytes = new Uint8Array(randomBytes(n));
        const text = encodeBase64url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(decodeBase64url(text, n)).toEqual(bytes);
      }
    });
  });

  describe('when the text is not the one canonical encoding', () => {
    it.each(['-_9', '-_8=', 'ab+/', 'a', 'ab c', 'ab\n'])('refuses %j', (text) => {
      expect(decodeBase64url(text)).toBeUndefined();
    });

    it('refuses the wrong length', () => {
      expect(decodeBase64url('-_8', 3)).toBeUndefined();
    });
  });
});
