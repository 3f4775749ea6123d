// The OpenAPI 3.1 document of the HTTP API, generated from the zod schemas the server parses and
// answers with (src/request/action-request.ts, src/api/api-schemas.ts): one source for both.
import { z } from 'zod';
import { requestJsonSchema } from '../request/request-json-schema.js';
import { MAX_REQUEST_BYTES } from '../request/action-request.js';
import {
  ActionDecisionSchema,
  ActionResultSchema,
  ActionStatusSchema,
  HealthSchema,
  KeySetResponseSchema,
  ProblemSchema,
  ReadinessSchema,
  ReceiptResponseSchema,
} from '../api/api-schemas.js';

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function problem(description: string) {
  return { description, content: { 'application/problem+json': { schema: ref('Problem') } } };
}

function json(description: string, id: string, headers?: Record<string, unknown>) {
  return { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema: ref(id) } } };
}

const COMMON_PROBLEMS = {
  '401': problem('No credentials, or credentials that do not verify (UNAUTHENTICATED).'),
  '429': problem('Too many requests from this principal (RATE_LIMITED); see Retry-After.'),
  '500': problem('An error of the server itself (INTERNAL).'),
  '503': problem('Temporal or Postgres did not answer (UNAVAILABLE).'),
};

const KEY_PARAMETER = {
  name: 'key',
  in: 'path',
  required: true,
  description: "The action's idempotency key (its workflow ID).",
  schema: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._:@=+-]*$' },
};

/** The OpenAPI document served at /openapi.json. */
export function openApiDocument(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  registry.add(ActionDecisionSchema, { id: 'ActionDecision' });
  registry.add(ActionResultSchema, { id: 'ActionResult' });
  registry.add(ActionStatusSchema, { id: 'ActionStatus' });
  registry.add(ReceiptResponseSchema, { id: 'Receipt' });
  registry.add(KeySetResponseSchema, { id: 'KeySet' });
  registry.add(ProblemSchema, { id: 'Problem' });
  registry.add(HealthSchema, { id: 'Health' });
  registry.add(ReadinessSchema, { id: 'Readiness' });
  const generated = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'output',
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
  }) as { schemas: Record<string, Record<string, unknown>> };
  const schemas: Record<string, unknown> = {};
  for (const [id, schema] of Object.entries(generated.schemas)) {
    const { $schema: _drop, $id: _id, ...rest } = schema;
    schemas[id] = rest;
  }
  // The request's own schema (also docs/action-request.schema.json): its $defs become components.
  const request = requestJsonSchema() as { $defs?: Record<string, unknown>; $schema?: string } & Record<string, unknown>;
  const { $defs, $schema: _s, ...requestSchema } = request;
  const moveRefs = (value: unknown) => JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as unknown;
  schemas.ActionRequest = moveRefs(requestSchema);
  for (const [id, schema] of Object.entries($defs ?? {})) schemas[id] = moveRefs(schema);

  return {
    openapi: '3.1.0',
    info: {
      title: 'ActionGate HTTP API',
      version: '1',
      description:
        'Submit an action an agent wants to take; the gate decides (PERMIT, DENY, SILENCE or STEP_UP) and records a signed receipt before answering, and dispatches only what it permitted. See docs/API.md.',
    },
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A JWT from the configured issuer, or an API key.' },
        clientCertificate: { type: 'mutualTLS', description: 'A client certificate signed by the configured CA.' },
      },
    },
    security: [{ bearer: [] }, { clientCertificate: [] }],
    paths: {
      '/v1/actions': {
        post: {
          operationId: 'submitAction',
          summary: 'Submit an action: answers with the decision once it is on record',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: true,
              description: "Must equal the body's idempotencyKey. A repeat gets the first decision; nothing is dispatched twice.",
              schema: KEY_PARAMETER.schema,
            },
            {
              name: 'Prefer',
              in: 'header',
              required: false,
              description:
                'wait=N (seconds, bounded by the server): wait up to N s for the end (200 with the result); respond-async: do not wait for dispatch (202 with the decision).',
              schema: { type: 'string' },
            },
            {
              name: 'ActionGate-Signature',
              in: 'header',
              required: false,
              description:
                "The agent's own request signature: keyId=ed25519:<32 hex>; sig=<base64url>. Without it, the server attests the caller it authenticated with its gateway key (when configured).",
              schema: { type: 'string', maxLength: 300, pattern: '^keyId=ed25519:[0-9a-f]{32}; ?sig=[A-Za-z0-9_-]{85}[AQgw]$' },
            },
          ],
          requestBody: {
            required: true,
            description: `An ActionRequest (canonical JSON at most ${MAX_REQUEST_BYTES} bytes). Its actor must be the authenticated principal.`,
            content: { 'application/json': { schema: ref('ActionRequest') } },
          },
          responses: {
            '200': json('The end: the decision refuses (state refused) or the result is in (state completed).', 'ActionStatus'),
            '202': json('The decision is on record; dispatch or operators are pending. Poll the Location.', 'ActionStatus', {
              Location: { description: 'The status URL: /v1/actions/{key}', schema: { type: 'string' } },
            }),
            '400': problem('The request is not valid (INVALID_REQUEST, naming every bad field); nothing was started.'),
            '403': problem("The body's actor is not the authenticated principal (ACTOR_MISMATCH); nothing was started."),
            '409': problem('The key was first used for a different request (IDEMPOTENCY_CONFLICT).'),
            '413': problem('The body is too large (PAYLOAD_TOO_LARGE).'),
            '415': problem('The body is not application/json (UNSUPPORTED_MEDIA_TYPE).'),
            ...COMMON_PROBLEMS,
          },
        },
      },
      '/v1/actions/{key}': {
        get: {
          operationId: 'getAction',
          summary: "An action's decision, receipts and dispatch status",
          parameters: [KEY_PARAMETER],
          responses: {
            '200': json('Where the action is.', 'ActionStatus'),
            '400': problem('The key is not a valid idempotency key (INVALID_REQUEST).'),
            '404': problem('No action of this key that the caller may read (NOT_FOUND).'),
            ...COMMON_PROBLEMS,
          },
        },
      },
      '/v1/receipts/{id}': {
        get: {
          operationId: 'getReceipt',
          summary: 'One receipt, with its signed envelope',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' } }],
          responses: {
            '200': json('The receipt.', 'Receipt'),
            '400': problem('Not a receipt id (INVALID_REQUEST).'),
            '404': problem('No receipt of this id that the caller may read (NOT_FOUND).'),
            ...COMMON_PROBLEMS,
          },
        },
      },
      '/v1/keys': {
        get: {
          operationId: 'getKeys',
          summary: 'The public keys verifiers need (receipts, policy bundles, gateway attestations)',
          security: [],
          responses: { '200': json('A key set.', 'KeySet'), '429': COMMON_PROBLEMS['429'], '500': COMMON_PROBLEMS['500'] },
        },
      },
      '/healthz': {
        get: { operationId: 'health', security: [], summary: 'The process is up', responses: { '200': json('Up.', 'Health') } },
      },
      '/readyz': {
        get: {
          operationId: 'ready',
          security: [],
          summary: 'Temporal and Postgres answer',
          responses: { '200': json('Ready.', 'Readiness'), '503': json('Not ready: the checks say what is not.', 'Readiness') },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openApi',
          security: [],
          summary: 'This document',
          responses: { '200': { description: 'The OpenAPI document.', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
    },
  };
}
