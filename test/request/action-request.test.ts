import { describe, expect, it } from 'vitest';
import { ActionGateError } from '../../src/errors.js';
import {
  MAX_JSON_DEPTH,
  MAX_REQUEST_BYTES,
  describeAction,
  parseActionRequest,
  safeParseActionRequest,
  unstorableText,
  type ActionRequestInput,
} from '../../src/request/action-request.js';
import { canonicalJson } from '../../src/request/canonical-json.js';
import { RequestError } from '../../src/request/request-error.js';
import { VALID_TRANSFER } from '../fixtures/requests.js';

const VALID = VALID_TRANSFER;

/** VALID with some fields replaced (or removed, with `undefined`), as an untyped input. */
function withFields(fields: Record<string, unknown>): Record<string, unknown> {
  return { ...VALID, ...fields };
}

function rejection(input: unknown): RequestError {
  const parsed = safeParseActionRequest(input);
  if (parsed.ok) return expect.unreachable('the request was accepted');
  return parsed.error;
}

function rejectedPaths(input: unknown): Set<string> {
  return new Set(rejection(input).issues.map((issue) => issue.path));
}

function nested(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { v: value };
  return value;
}

describe('parseActionRequest', () => {
  describe('when the request is valid', () => {
    it('returns it, with context defaulting to {}', () => {
      expect(parseActionRequest(VALID)).toEqual({ ...VALID, context: {} });
    });

    it('keeps context and payload as sent', () => {
      const context = { amount: 120, currency: 'EUR', flags: [true, null], meta: { gate: 'ok when nested' } };
      const payload = { to: 'acct-9', lines: [{ n: 1.5 }] };
      expect(parseActionRequest(withFields({ context, payload }))).toEqual({ ...VALID, context, payload });
    });

    it('accepts null as a payload', () => {
      expect(parseActionRequest(withFields({ payload: null })).payload).toBeNull();
    });

    it('drops an explicit payload: undefined, as a JSON round trip would', () => {
      expect('payload' in parseActionRequest(withFields({ payload: undefined }))).toBe(false);
    });

    it('gives each request its own default context', () => {
      const first = parseActionRequest(VALID);
      first.context.mutated = true;
      expect(parseActionRequest(VALID).context).toEqual({});
    });

    it('accepts every allowed idempotency-key character', () => {
      expect(parseActionRequest(withFields({ idempotencyKey: 'A0z9._:@=+-' })).idempotencyKey).toBe('A0z9._:@=+-');
    });

    it('accepts identifiers at their longest', () => {
      const longest = {
        idempotencyKey: 'k'.repeat(200),
        actor: { id: 'a'.repeat(200), type: `a${'b'.repeat(63)}` },
        surface: `s${'-'.repeat(62)}`,
        action: `a${'.'.repeat(99)}`,
        target: { type: `t${'_'.repeat(63)}`, id: '🤖 any printable text' },
      };
      expect(() => parseActionRequest(longest)).not.toThrow();
    });
  });

  describe('when the request has an unknown field', () => {
    it('rejects it at the top level and names it', () => {
      expect(rejectedPaths(withFields({ extra: 1 }))).toEqual(new Set(['extra']));
    });

    it('rejects it inside actor and target', () => {
      const input = withFields({ actor: { ...VALID.actor, role: 'admin' }, target: { ...VALID.target, owner: 'x' } });
      expect(rejectedPaths(input)).toEqual(new Set(['actor.role', 'target.owner']));
    });

    it('rejects a "__proto__" key instead of dropping it', () => {
      expect(rejectedPaths(JSON.parse(`{"__proto__":{"x":1},${JSON.stringify(VALID).slice(1)}`))).toEqual(
        new Set(['__proto__']),
      );
    });
  });

  describe('when several fields are bad at once', () => {
    const input = withFields({
      idempotencyKey: 'has space',
      actor: { id: '', type: 'Agent' },
      surface: 'Payments',
      target: { type: 'account' },
      context: { gate: {}, amount: Number.NaN },
      extra: true,
    });
    const expected = new Set([
      'idempotencyKey',
      'actor.id',
      'actor.type',
      'surface',
      'target.id',
      'context.gate',
      'context.amount',
      'extra',
    ]);

    it('throws one RequestError that names every bad field', () => {
      let thrown: unknown;
      try {
        parseActionRequest(input);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(RequestError);
      expect(thrown).toBeInstanceOf(ActionGateError);
      const error = thrown as RequestError;
      expect(error.code).toBe('INVALID_REQUEST');
      expect(new Set(error.issues.map((issue) => issue.path))).toEqual(expected);
    });

    it('returns the same error from safeParseActionRequest', () => {
      const error = rejection(input);
      expect(error).toBeInstanceOf(RequestError);
      expect(error.code).toBe('INVALID_REQUEST');
      expect(new Set(error.issues.map((issue) => issue.path))).toEqual(expected);
    });
  });

  describe('when required fields are missing', () => {
    it('names each one', () => {
      expect(rejectedPaths({})).toEqual(new Set(['idempotencyKey', 'actor', 'surface', 'action', 'target']));
    });

    it('names missing nested fields', () => {
      expect(rejectedPaths(withFields({ actor: {}, target: {} }))).toEqual(
        new Set(['actor.id', 'actor.type', 'target.type', 'target.id']),
      );
    });
  });

  describe('when the input is not an object', () => {
    it.each([['a string', 'request'], ['null', null], ['an array', [VALID]], ['undefined', undefined]])(
      'rejects %s as a whole',
      (_label, input) => {
        expect(rejectedPaths(input)).toEqual(new Set(['(request)']));
      },
    );
  });

  describe('when the idempotencyKey breaks its rule', () => {
    it.each([
      ['empty', ''],
      ['with a slash', 'tenant/pay-1'],
      ['with a space', 'pay 1'],
      ['with a control character', 'pay\n1'],
      ['starting with a dash', '-pay-1'],
      ['with a non-ASCII letter', 'paÿ-1'],
      ['201 characters long', 'k'.repeat(201)],
      ['not a string', 42],
    ])('rejects a key %s', (_label, idempotencyKey) => {
      expect(rejectedPaths(withFields({ idempotencyKey }))).toEqual(new Set(['idempotencyKey']));
    });
  });

  describe('when actor or target identifiers break their rules', () => {
    it.each([
      ['empty', ''],
      ['201 characters long', 'a'.repeat(201)],
      ['with a NUL', 'agent\u00000'],
      ['with a newline', 'agent\n42'],
      ['with DEL', 'agent\u007f'],
      ['with a C1 control', 'agent\u0085'],
    ])('rejects an id %s', (_label, id) => {
      const input = withFields({ actor: { ...VALID.actor, id }, target: { ...VALID.target, id } });
      expect(rejectedPaths(input)).toEqual(new Set(['actor.id', 'target.id']));
    });

    it.each([
      ['upper case', 'Agent'],
      ['starting with a digit', '1agent'],
      ['with a dot', 'ai.agent'],
      ['65 characters long', `a${'b'.repeat(64)}`],
      ['empty', ''],
    ])('rejects a type %s', (_label, type) => {
      const input = withFields({ actor: { ...VALID.actor, type }, target: { ...VALID.target, type } });
      expect(rejectedPaths(input)).toEqual(new Set(['actor.type', 'target.type']));
    });
  });

  describe('when surface or action break their rules', () => {
    it.each([
      ['upper case', 'Payments'],
      ['with an underscore', 'config_changes'],
      ['with a dot', 'pay.ments'],
      ['64 characters long', `s${'a'.repeat(63)}`],
      ['empty', ''],
    ])('rejects a surface %s', (_label, surface) => {
      expect(rejectedPaths(withFields({ surface }))).toEqual(new Set(['surface']));
    });

    it.each([
      ['upper case', 'Transfer'],
      ['with a space', 'wire transfer'],
      ['with a slash', 'wire/transfer'],
      ['101 characters long', `a${'b'.repeat(100)}`],
      ['empty', ''],
    ])('rejects an action %s', (_label, action) => {
      expect(rejectedPaths(withFields({ action }))).toEqual(new Set(['action']));
    });
  });

  describe('when context holds the reserved key "gate"', () => {
    it('rejects it', () => {
      expect(rejectedPaths(withFields({ context: { gate: { now: 0 }, amount: 1 } }))).toEqual(new Set(['context.gate']));
    });
  });

  describe('when context is not an object', () => {
    it.each([['an array', [1]], ['null', null], ['a string', 'amount=1']])('rejects %s', (_label, context) => {
      expect(rejectedPaths(withFields({ context }))).toEqual(new Set(['context']));
    });
  });

  describe('when context or payload holds something that is not JSON', () => {
    class Money {
      amount = 1;
    }
    it.each([
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['-Infinity', Number.NEGATIVE_INFINITY],
      ['undefined', undefined],
      ['a function', () => 1],
      ['a Date', new Date(0)],
      ['a Map', new Map()],
      ['a class instance', new Money()],
      ['a bigint', 10n],
      ['a symbol', Symbol('x')],
    ])('rejects %s at its path', (_label, bad) => {
      const input = withFields({ context: { ok: 1, amount: bad }, payload: { lines: [1, { n: bad }] } });
      expect(rejectedPaths(input)).toEqual(new Set(['context.amount', 'payload.lines[1].n']));
    });

    it('rejects a payload that is itself not JSON', () => {
      expect(rejectedPaths(withFields({ payload: Number.NaN }))).toEqual(new Set(['payload']));
    });

    it('rejects undefined inside an array, and a hole in a sparse array', () => {
      // eslint-disable-next-line no-sparse-arrays
      const input = withFields({ payload: { a: [1, undefined], b: [1, , 3] } });
      expect(rejectedPaths(input)).toEqual(new Set(['payload.a[1]', 'payload.b[1]']));
    });

    it('rejects a "__proto__" key inside a value', () => {
      const context = JSON.parse('{"meta":{"__proto__":{"admin":true}}}');
      expect(rejectedPaths(withFields({ context }))).toEqual(new Set(['context.meta.__proto__']));
    });

    it('names a key that is not an identifier in brackets', () => {
      expect(rejectedPaths(withFields({ context: { 'a.b': Number.NaN } }))).toEqual(new Set(['context["a.b"]']));
    });

    it('rejects a huge sparse array without walking it', () => {
      expect(rejectedPaths(withFields({ payload: new Array(1e9) }))).toEqual(new Set(['payload']));
    });
  });

  describe(`when a JSON value nests more than ${MAX_JSON_DEPTH} levels`, () => {
    it(`accepts a payload ${MAX_JSON_DEPTH} levels deep`, () => {
      expect(() => parseActionRequest(withFields({ payload: nested(MAX_JSON_DEPTH) }))).not.toThrow();
    });

    it(`accepts a context entry ${MAX_JSON_DEPTH} levels deep`, () => {
      expect(() => parseActionRequest(withFields({ context: { deep: nested(MAX_JSON_DEPTH) } }))).not.toThrow();
    });

    it(`rejects a payload ${MAX_JSON_DEPTH + 1} levels deep`, () => {
      const paths = [...rejectedPaths(withFields({ payload: nested(MAX_JSON_DEPTH + 1) }))];
      expect(paths).toHaveLength(1);
      expect(paths[0]).toMatch(/^payload/);
    });

    it(`rejects a context entry ${MAX_JSON_DEPTH + 1} levels deep`, () => {
      const paths = [...rejectedPaths(withFields({ context: { deep: nested(MAX_JSON_DEPTH + 1) } }))];
      expect(paths).toHaveLength(1);
      expect(paths[0]).toMatch(/^context\.deep/);
    });

    it('rejects a cycle instead of overflowing the stack', () => {
      const cycle: Record<string, unknown> = { a: 1 };
      cycle.self = cycle;
      expect(rejection(withFields({ payload: cycle })).code).toBe('INVALID_REQUEST');
    });
  });

  describe(`when the request is near ${MAX_REQUEST_BYTES} bytes`, () => {
    /** A request whose canonical JSON is exactly `bytes` long, padded with `unit` (1 or 2 UTF-8 bytes). */
    function requestOfSize(bytes: number, unit: 'x' | 'é' = 'x'): Record<string, unknown> {
      const empty = canonicalJson(parseActionRequest(withFields({ payload: '' })));
      const room = bytes - new TextEncoder().encode(empty).length;
      const unitBytes = new TextEncoder().encode(unit).length;
      const padding = unit.repeat(Math.floor(room / unitBytes)) + 'x'.repeat(room % unitBytes);
      return withFields({ payload: padding });
    }

    it('accepts a request of exactly the limit', () => {
      const request = parseActionRequest(requestOfSize(MAX_REQUEST_BYTES));
      expect(new TextEncoder().encode(canonicalJson(request)).length).toBe(MAX_REQUEST_BYTES);
    });

    it('rejects a request one byte over, as a whole-request problem', () => {
      const error = rejection(requestOfSize(MAX_REQUEST_BYTES + 1));
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.issues.map((issue) => issue.path)).toEqual(['(request)']);
    });

    it('counts UTF-8 bytes, not characters', () => {
      const input = requestOfSize(MAX_REQUEST_BYTES + 1, 'é');
      expect((input.payload as string).length).toBeLessThan(MAX_REQUEST_BYTES);
      expect(rejectedPaths(input)).toEqual(new Set(['(request)']));
    });

    it('still reports the other bad fields', () => {
      const input = { ...requestOfSize(MAX_REQUEST_BYTES + 1), surface: 'Payments' };
      expect(rejectedPaths(input)).toEqual(new Set(['(request)', 'surface']));
    });
  });

  describe('when a string holds what Postgres jsonb cannot store', () => {
    const NUL = 'a\u0000b';
    const HIGH = 'a\uD800b';
    const LOW = 'a\uDC00b';

    it.each([
      ['U+0000', NUL],
      ['a lone high surrogate', HIGH],
      ['a lone high surrogate at the end', 'ab\uD83D'],
      ['a lone low surrogate', LOW],
      ['a lone low surrogate at the start', '\uDE00ab'],
      ['a pair in the wrong order', 'a\uDE00\uD83Db'],
    ])('rejects %s in a context or payload value at its path', (_label, bad) => {
      const input = withFields({ context: { note: bad, ok: 'x' }, payload: { items: ['x', 'y', bad] } });
      expect(rejectedPaths(input)).toEqual(new Set(['context.note', 'payload.items[2]']));
    });

    it.each([['U+0000', NUL], ['a lone high surrogate', HIGH], ['a lone low surrogate', LOW]])(
      'rejects %s in an object key, at the key\'s path',
      (_label, bad) => {
        const input = withFields({ context: { [bad]: 1 }, payload: { items: [{ [bad]: 'v' }] } });
        expect(rejectedPaths(input)).toEqual(
          new Set([`context[${JSON.stringify(bad)}]`, `payload.items[0][${JSON.stringify(bad)}]`]),
        );
      },
    );

    it('writes a bad key escaped in the path, so the error itself can be stored', () => {
      const [issue] = rejection(withFields({ payload: { ['k\u0000']: 1 } })).issues;
      expect(issue?.path).toBe('payload["k\\u0000"]');
    });

    it('rejects a bad key and a bad value under it, each at its path', () => {
      const input = withFields({ payload: { [NUL]: { inner: LOW } } });
      expect(rejectedPaths(input)).toEqual(new Set(['payload["a\\u0000b"]', 'payload["a\\u0000b"].inner']));
    });

    it('rejects a payload that is itself a bad string', () => {
      expect(rejectedPaths(withFields({ payload: HIGH }))).toEqual(new Set(['payload']));
    });

    it.each([['U+0000', NUL], ['a lone high surrogate', HIGH], ['a lone low surrogate', LOW]])(
      'rejects %s in every named field, with one problem each',
      (_label, bad) => {
        const input = withFields({
          idempotencyKey: bad,
          actor: { id: bad, type: bad },
          surface: bad,
          action: bad,
          target: { type: bad, id: bad },
          notAfter: bad,
        });
        const paths = rejection(input).issues.map((issue) => issue.path);
        expect(paths.sort()).toEqual(
          ['action', 'actor.id', 'actor.type', 'idempotencyKey', 'notAfter', 'surface', 'target.id', 'target.type'].sort(),
        );
      },
    );

    it('accepts a valid surrogate pair in ids, values and keys', () => {
      const emoji = '\uD83D\uDE00';
      const input = withFields({
        actor: { ...VALID.actor, id: `agent ${emoji}` },
        target: { ...VALID.target, id: emoji },
        context: { [emoji]: emoji },
        payload: { items: [`${emoji}${emoji}`, { [`k${emoji}`]: 'x' }] },
      });
      expect(parseActionRequest(input).context).toEqual({ [emoji]: emoji });
    });
  });

  describe('when the request gives notAfter', () => {
    it.each([
      ['in UTC', '2026-11-24T12:00:00Z'],
      ['with an offset', '2026-11-24T13:00:00+01:00'],
      ['with a negative offset', '2026-11-24T07:00:00-05:00'],
      ['with fractional seconds', '2026-11-24T12:00:00.123Z'],
    ])('accepts an instant %s and keeps it as sent', (_label, notAfter) => {
      expect(parseActionRequest(withFields({ notAfter })).notAfter).toBe(notAfter);
    });

    it('leaves it out when not given', () => {
      expect('notAfter' in parseActionRequest(VALID)).toBe(false);
    });

    it.each([
      ['without an offset', '2026-11-24T12:00:00'],
      ['a date only', '2026-11-24'],
      ['a day that does not exist', '2026-02-30T12:00:00Z'],
      ['not ISO 8601', 'Tue, 24 Nov 2026 12:00:00 GMT'],
      ['empty', ''],
      ['a number', 1_795_000_000_000],
      ['null', null],
    ])('rejects %s', (_label, notAfter) => {
      expect(rejectedPaths(withFields({ notAfter }))).toEqual(new Set(['notAfter']));
    });
  });

  describe('when there are very many problems', () => {
    it('lists the first 100 and sums up the rest in one more issue', () => {
      const error = rejection(withFields({ payload: Array.from({ length: 500 }, () => Number.NaN) }));
      expect(error.issues).toHaveLength(101);
      expect(error.issues.at(-1)?.path).toBe('(request)');
    });
  });
});

describe('unstorableText', () => {
  describe('when given text Postgres jsonb refuses', () => {
    it.each([
      ['a\u0000', 'must not contain U+0000 (NUL)'],
      ['a\uD800', 'contains an unpaired surrogate (U+D800)'],
      ['\uDFFFa', 'contains an unpaired surrogate (U+DFFF)'],
    ])('says why for %j', (text, why) => {
      expect(unstorableText(text)).toBe(why);
    });
  });

  describe('when given text it stores', () => {
    it.each([[''], ['plain'], ['\uD83D\uDE00'], ['tab\tand\u0001control']])('returns undefined for %j', (text) => {
      expect(unstorableText(text)).toBeUndefined();
    });
  });
});

describe('describeAction', () => {
  describe('when given a request', () => {
    it('reads surface.action by actor id', () => {
      expect(describeAction(parseActionRequest(VALID))).toBe('payments.transfer by agent-42');
    });
  });
});
