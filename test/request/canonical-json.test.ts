import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CanonicalJsonError, canonicalJson } from '../../src/request/canonical-json.js';
import { VECTORS_DIR } from '../support/paths.js';

const jcs = join(VECTORS_DIR, 'jcs');

describe('canonicalJson', () => {
  describe('when given the RFC 8785 test vectors', () => {
    const names = readdirSync(join(jcs, 'input')).filter((n) => n.endsWith('.json'));
    it('has vectors to check', () => expect(names.length).toBeGreaterThanOrEqual(6));
    for (const name of names) {
      it(`produces exactly output/${name}`, () => {
        const input = JSON.parse(readFileSync(join(jcs, 'input', name), 'utf8'));
        const expected = readFileSync(join(jcs, 'output', name), 'utf8').replace(/\n$/, '');
        expect(canonicalJson(input)).toBe(expected);
      });
    }
  });

  describe('when given something that is not JSON', () => {
    it.each([
      ['NaN', { a: Number.NaN }],
      ['Infinity', [Number.POSITIVE_INFINITY]],
      ['undefined member', { a: undefined }],
      ['bigint', { a: 1n }],
      ['function', { a: () => 1 }],
      ['Date', { a: new Date(0) }],
      ['sparse array', [1, , 3]], // eslint-disable-line no-sparse-arrays
      ['array of holes', new Array(2)],
    ])('refuses %s with NOT_JSON', (_label, value) => {
      try {
        canonicalJson(value);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(CanonicalJsonError);
        expect((err as CanonicalJsonError).code).toBe('NOT_JSON');
      }
    });

    it('refuses a cycle', () => {
      const a: Record<string, unknown> = {};
      a.self = a;
      expect(() => canonicalJson(a)).toThrow(CanonicalJsonError);
    });
  });

  it('sorts keys by UTF-16 code units and writes -0 as 0', () => {
    expect(canonicalJson({ b: -0, a: [true, null, 'x'], '\u20ac': 1, '\ud83d\ude00': 2 })).toBe(
      '{"a":[true,null,"x"],"b":0,"\u20ac":1,"\ud83d\ude00":2}',
    );
  });
});
