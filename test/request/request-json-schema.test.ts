import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { safeParseActionRequest } from '../../src/request/action-request.js';
import { requestJsonSchema, requestJsonSchemaText } from '../../src/request/request-json-schema.js';
import { ajv2020 } from '../support/json-schema.js';
import { REPO_ROOT } from '../support/paths.js';

describe('requestJsonSchema', () => {
  describe('when compared with the committed docs/action-request.schema.json', () => {
    it('is identical (run `npm run gen:schema` after changing the request schema)', () => {
      const committed = readFileSync(join(REPO_ROOT, 'docs', 'action-request.schema.json'), 'utf8');
      expect(committed).toBe(requestJsonSchemaText());
    });
  });

  describe('when generated', () => {
    const schema = requestJsonSchema() as {
      additionalProperties: unknown;
      required: string[];
      properties: Record<string, { propertyNames?: unknown; pattern?: string; maxLength?: number }>;
      $defs: Record<string, unknown>;
    };

    it('closes the top level and requires all but context and payload', () => {
      expect(schema.additionalProperties).toBe(false);
      expect(new Set(schema.required)).toEqual(new Set(['idempotencyKey', 'actor', 'surface', 'action', 'target']));
    });

    it('reserves context.gate and defines JsonValue', () => {
      expect(schema.properties.context?.propertyNames).toEqual({ pattern: '^[^\\u0000]*$', not: { enum: ['gate', '__proto__'] } });
      expect(schema.$defs.JsonValue).toBeDefined();
    });

    it('carries the idempotency-key rule', () => {
      expect(schema.properties.idempotencyKey?.pattern).toBe('^[A-Za-z0-9][A-Za-z0-9._:@=+-]*$');
      expect(schema.properties.idempotencyKey?.maxLength).toBe(200);
    });
  });

  // A generator that works from the schema (the OpenAPI fuzz test) must make only requests the
  // validator accepts: every refusal JSON Schema can state is in the schema too.
  describe('when a request breaks a rule JSON Schema can state', () => {
    const validate = ajv2020().compile(requestJsonSchema());
    const base = { idempotencyKey: 'k-1', actor: { id: 'agent-42', type: 'agent' }, surface: 'payments', action: 'transfer', target: { type: 'account', id: 'a' } };

    it.each([
      ['a NUL in a context key', { context: { 'a\u0000b': 1 } }],
      ['a NUL in a context string', { context: { a: 'x\u0000' } }],
      ['a NUL in a payload key', { payload: { nested: { 'k\u0000': true } } }],
      ['a __proto__ key in context', { context: JSON.parse('{"__proto__": 1}') }],
      ['a __proto__ key in the payload', { payload: JSON.parse('{"a": {"__proto__": 1}}') }],
      ['a NUL in the break-glass reason', { breakGlass: { reason: 'why\u0000' } }],
      ['a blank break-glass reason', { breakGlass: { reason: ' \u3000\n' } }],
      ['a break-glass reason over 2000 characters', { breakGlass: { reason: 'x'.repeat(2_001) } }],
    ])('%s: the validator and the schema both refuse it', (_name, fields) => {
      const request = { ...base, ...fields };
      expect(safeParseActionRequest(request).ok).toBe(false);
      expect(validate(request)).toBe(false);
    });

    it('a request with none of them: both accept it', () => {
      const request = { ...base, context: { a: 'x', b: [1, { c: null }] }, payload: { 'k y': 'v' }, breakGlass: { reason: ' why ' } };
      expect(safeParseActionRequest(request).ok).toBe(true);
      expect(validate(request), JSON.stringify(validate.errors)).toBe(true);
    });
  });
});
