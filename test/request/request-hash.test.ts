import { describe, expect, it } from 'vitest';
import { parseActionRequest, type ActionRequest, type ActionRequestInput } from '../../src/request/action-request.js';
import { DIGEST_PATTERN, digestJson } from '../../src/request/digest.js';
import { requestHash } from '../../src/request/request-hash.js';
import { VALID_TRANSFER } from '../fixtures/requests.js';

const VALID = {
  ...VALID_TRANSFER,
  context: { amount: 120, currency: 'EUR', approvers: ['alice', 'bob'] },
  payload: { to: 'acct-9', memo: 'invoice 17' },
} as const satisfies ActionRequestInput;

const request = (): ActionRequest => parseActionRequest(structuredClone(VALID));

/** The same object with keys in reverse order at every level. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
}

describe('requestHash', () => {
  describe('when given a request', () => {
    it('is sha256: and 64 lower-case hex digits', () => {
      expect(requestHash(request())).toMatch(DIGEST_PATTERN);
    });

    it('is the digest of the canonical JSON of the request', () => {
      expect(requestHash(request())).toBe(digestJson(request()));
    });
  });

  describe('when the same request is written with keys in another order', () => {
    it('does not change', () => {
      const reordered = parseActionRequest(reverseKeys(VALID));
      expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(request()));
      expect(requestHash(reordered)).toBe(requestHash(request()));
    });
  });

  describe('when the request makes a JSON round trip (as through Temporal)', () => {
    it('does not change', () => {
      const roundTripped = parseActionRequest(JSON.parse(JSON.stringify(request())));
      expect(requestHash(roundTripped)).toBe(requestHash(request()));
    });
  });

  describe('when context is omitted or payload is undefined', () => {
    it('hashes omitted context like an empty one', () => {
      const { context: _context, ...withoutContext } = VALID;
      expect(requestHash(parseActionRequest(withoutContext))).toBe(
        requestHash(parseActionRequest({ ...withoutContext, context: {} })),
      );
    });

    it('hashes payload: undefined like no payload, even when built by hand', () => {
      const { payload: _payload, ...withoutPayload } = request();
      expect(requestHash({ ...withoutPayload, payload: undefined })).toBe(requestHash(withoutPayload));
    });
  });

  describe('when any field changes', () => {
    const base = requestHash(request());
    it.each<[string, (r: ActionRequest) => void]>([
      ['idempotencyKey', (r) => void (r.idempotencyKey = 'pay-2026-11-24-0002')],
      ['actor.id', (r) => void (r.actor.id = 'agent-43')],
      ['actor.type', (r) => void (r.actor.type = 'service')],
      ['surface', (r) => void (r.surface = 'refunds')],
      ['action', (r) => void (r.action = 'refund')],
      ['target.type', (r) => void (r.target.type = 'wallet')],
      ['target.id', (r) => void (r.target.id = 'acct-8')],
      ['a context value', (r) => void (r.context.amount = 121)],
      ['a context value type', (r) => void (r.context.amount = '120')],
      ['a context array order', (r) => void (r.context.approvers = ['bob', 'alice'])],
      ['an added context key', (r) => void (r.context.urgent = false)],
      ['a payload value', (r) => void (r.payload = { to: 'acct-9', memo: 'invoice 18' })],
      ['payload null instead of absent', (r) => void (r.payload = null)],
      ['payload removed', (r) => void delete r.payload],
    ])('changes with %s', (_label, change) => {
      const changed = request();
      change(changed);
      expect(requestHash(changed)).not.toBe(base);
    });
  });
});
