import { z } from 'zod';
import { ActionRequestSchema, ContextSchema, JsonValueSchema, NO_NUL_PATTERN, RESERVED_CONTEXT_KEY } from './action-request.js';

const JSON_VALUE_REF = '#/$defs/JsonValue';
// What the validator refuses in every string and object key (Postgres cannot store U+0000), stated
// so that a generator working from the schema (the OpenAPI fuzz test) makes only valid requests.
const NO_NUL = NO_NUL_PATTERN.source;
const JSON_KEY = { pattern: NO_NUL, not: { const: '__proto__' } };

/**
 * The JSON Schema (draft 2020-12) of what a caller may send as an ActionRequest, generated from
 * the zod schema so the two cannot disagree. Checks JSON Schema cannot express (the byte bound,
 * the nesting bound) are stated in the descriptions.
 *
 * @example
 * const schema = requestJsonSchema();
 * schema.title === 'ActionRequest'
 */
export function requestJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ActionRequestSchema, {
    io: 'input',
    // JsonValueSchema and ContextSchema are zod custom types (walked by hand for better errors);
    // `override` below writes their JSON Schema. Anything else unrepresentable still throws.
    unrepresentable: ({ zodSchema }) => (zodSchema._zod.def.type === 'custom' ? 'any' : 'throw'),
    override: ({ zodSchema, jsonSchema }) => {
      if (zodSchema === JsonValueSchema) replace(jsonSchema, { $ref: JSON_VALUE_REF });
      if (zodSchema === ContextSchema) {
        replace(jsonSchema, {
          type: 'object',
          propertyNames: { pattern: NO_NUL, not: { enum: [RESERVED_CONTEXT_KEY, '__proto__'] } },
          additionalProperties: { $ref: JSON_VALUE_REF },
        });
      }
    },
  }) as Record<string, unknown>;
  return {
    ...schema,
    $defs: {
      ...(schema.$defs as Record<string, unknown> | undefined),
      JsonValue: {
        description: 'Any JSON value: string, finite number, boolean, null, array or object.',
        anyOf: [
          { type: 'string', pattern: NO_NUL },
          { type: 'number' },
          { type: 'boolean' },
          { type: 'null' },
          { type: 'array', items: { $ref: JSON_VALUE_REF } },
          { type: 'object', propertyNames: JSON_KEY, additionalProperties: { $ref: JSON_VALUE_REF } },
        ],
      },
    },
  };
}

/** The committed text of docs/action-request.schema.json: two-space indent, trailing newline. */
export function requestJsonSchemaText(): string {
  return `${JSON.stringify(requestJsonSchema(), null, 2)}\n`;
}

function replace(target: Record<string, unknown>, value: Record<string, unknown>): void {
  for (const key of Object.keys(target)) delete target[key];
  Object.assign(target, value);
}
