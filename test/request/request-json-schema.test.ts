import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requestJsonSchema, requestJsonSchemaText } from '../../src/request/request-json-schema.js';
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
      expect(schema.properties.context?.propertyNames).toEqual({ not: { const: 'gate' } });
      expect(schema.$defs.JsonValue).toBeDefined();
    });

    it('carries the idempotency-key rule', () => {
      expect(schema.properties.idempotencyKey?.pattern).toBe('^[A-Za-z0-9][A-Za-z0-9._:@=+-]*$');
      expect(schema.properties.idempotencyKey?.maxLength).toBe(200);
    });
  });
});
