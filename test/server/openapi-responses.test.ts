// Every response of the main flows, checked against the OpenAPI document the server serves: the
// status is declared for the operation, the content type is the declared one, and the body validates
// (ajv, JSON Schema 2020-12) against the declared component schema. The fuzz test covers random
// input; this one covers the answers that matter: permit, deny, step-up, break-glass, repeats, reads,
// and each problem.
import type { ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiStack, TEST_API_KEYS, type ApiStack } from '../support/api-server.js';
import { paymentRequest, uniqueId } from '../support/harness.js';
import { ajv2020 } from '../support/json-schema.js';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }>; headers?: Record<string, unknown> }>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

const DOCUMENT_ID = 'https://actiongate.test/openapi.json';

let stack: ApiStack;
let document: OpenApiDocument;
let schemaOf: (ref: string) => ValidateFunction;
let agentToken: string;
/** Which operation/status pairs the tests below saw, to check the coverage at the end. */
const seen = new Set<string>();

beforeAll(async () => {
  stack = await startApiStack();
  agentToken = await stack.token('agent-42');
  const response = await fetch(`${stack.url}/openapi.json`);
  document = (await response.json()) as OpenApiDocument;
  const ajv = ajv2020();
  // The whole document as one schema resource, so `#/components/schemas/...` references resolve.
  ajv.addSchema({ $id: DOCUMENT_ID, components: document.components });
  schemaOf = (ref) => {
    const validate = ajv.getSchema(`${DOCUMENT_ID}${ref}`);
    if (!validate) throw new Error(`the document has no schema ${ref}`);
    return validate;
  };
});

afterAll(async () => {
  await stack?.stop();
});

/**
 * Sends a request and checks the answer against the operation it belongs to (`template`: the path
 * as the document names it). Returns the status, headers and parsed body.
 */
async function call(
  method: 'GET' | 'POST' | 'PUT',
  template: string,
  path: string,
  init: { token?: string | null; headers?: Record<string, string>; body?: unknown; rawBody?: string } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { ...init.headers };
  const token = init.token === undefined ? agentToken : init.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers,
    ...(init.rawBody !== undefined ? { body: init.rawBody } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    redirect: 'manual',
  });
  const text = await response.text();
  const body = JSON.parse(text) as Record<string, unknown>;
  const operation = document.paths[template]?.[method.toLowerCase()];
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  if (!operation) {
    // An undeclared method: a problem, 405 with Allow.
    expect(response.status, `${method} ${template}`).toBe(405);
    expect(response.headers.get('allow')).toBeTruthy();
    expect(contentType).toBe('application/problem+json');
    expect(schemaOf('#/components/schemas/Problem')(body), JSON.stringify(schemaOf('#/components/schemas/Problem').errors)).toBe(true);
    return { status: response.status, headers: response.headers, body };
  }
  const declared = operation.responses[String(response.status)];
  expect(declared, `${method} ${template} answered ${response.status}, which the document does not declare: ${text.slice(0, 300)}`).toBeDefined();
  const content = declared?.content?.[contentType];
  expect(content, `${method} ${template} ${response.status} answered ${contentType}; declared: ${Object.keys(declared?.content ?? {}).join(', ')}`).toBeDefined();
  const ref = content?.schema.$ref;
  if (ref) {
    const validate = schemaOf(ref);
    expect(validate(body), `${method} ${template} ${response.status} does not match ${ref}: ${JSON.stringify(validate.errors)}\n${text.slice(0, 500)}`).toBe(true);
  }
  for (const name of Object.keys(declared?.headers ?? {})) expect(response.headers.get(name), `${method} ${template} ${response.status}: header ${name}`).toBeTruthy();
  seen.add(`${method} ${template} ${response.status}`);
  return { status: response.status, headers: response.headers, body };
}

function submission(request: { idempotencyKey: string } & Record<string, unknown>, headers: Record<string, string> = {}) {
  return { body: request, headers: { 'idempotency-key': request.idempotencyKey, ...headers } };
}

describe('when an action is submitted', () => {
  it('PERMIT, waited for: 200 completed, with the result and both receipts', async () => {
    const request = paymentRequest();
    const { status, body } = await call('POST', '/v1/actions', '/v1/actions', submission(request, { prefer: 'wait=10' }));
    expect(status).toBe(200);
    expect(body).toMatchObject({ state: 'completed', result: { outcome: 'PERMIT', dispatch: { status: 'succeeded' } } });
  });

  it('PERMIT, not waited for: 202 dispatching, with Location; the status reads completed later', async () => {
    const request = paymentRequest();
    const { status, headers, body } = await call('POST', '/v1/actions', '/v1/actions', submission(request, { prefer: 'respond-async' }));
    expect(status).toBe(202);
    expect(body).toMatchObject({ decision: { outcome: 'PERMIT' } });
    expect(headers.get('location')).toBe(`/v1/actions/${request.idempotencyKey}`);
    let state = body.state;
    for (let i = 0; i < 100 && state !== 'completed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = (await call('GET', '/v1/actions/{key}', `/v1/actions/${request.idempotencyKey}`)).body.state;
    }
    expect(state).toBe('completed');
  });

  it('DENY: 200 refused; then the action and both receipts read back', async () => {
    const request = paymentRequest({ context: { amount: 500_000, currency: 'EUR' } });
    const { status, body } = await call('POST', '/v1/actions', '/v1/actions', submission(request));
    expect(status).toBe(200);
    expect(body).toMatchObject({ state: 'refused', decision: { outcome: 'DENY' } });
    let action = await call('GET', '/v1/actions/{key}', `/v1/actions/${request.idempotencyKey}`);
    for (let i = 0; i < 100 && action.body.state !== 'completed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      action = await call('GET', '/v1/actions/{key}', `/v1/actions/${request.idempotencyKey}`);
    }
    const receipts = action.body.receipts as Array<{ receiptId: string; kind: string }>;
    expect(receipts.map((r) => r.kind)).toEqual(['decision', 'outcome']);
    for (const { receiptId } of receipts) {
      const receipt = await call('GET', '/v1/receipts/{id}', `/v1/receipts/${receiptId}`);
      expect(receipt.status).toBe(200);
    }
  });

  it('SILENCE (unknown surface): 200 refused', async () => {
    const request = paymentRequest({ surface: 'crypto-trades' });
    const { body } = await call('POST', '/v1/actions', '/v1/actions', submission(request, { prefer: 'wait=5' }));
    expect(body).toMatchObject({ decision: { outcome: 'SILENCE', reasons: ['unknown_surface'] } });
  });

  it('STEP_UP: 202 waiting_for_operators, with what it waits for', async () => {
    const request = {
      idempotencyKey: uniqueId('new-payee'),
      actor: { id: 'agent-ap-clerk', type: 'agent' },
      surface: 'payments',
      action: 'transfer',
      target: { type: 'supplier-account', id: 'NL91ABNA0417164300' },
      context: { amount: 12_000, currency: 'EUR' },
      payload: { amount: 12_000, currency: 'EUR', to: 'NL91ABNA0417164300' },
    };
    const { status, body } = await call('POST', '/v1/actions', '/v1/actions', { ...submission(request), token: await stack.token('agent-ap-clerk') });
    expect(status).toBe(202);
    expect(body).toMatchObject({ state: 'waiting_for_operators', decision: { outcome: 'STEP_UP', waitsFor: { kind: 'approval' } } });
  });

  it('break-glass asked on a DENY: 202 waiting_for_operators (override)', async () => {
    const request = {
      idempotencyKey: uniqueId('break-glass'),
      actor: { id: 'agent-deployer', type: 'agent' },
      surface: 'config-changes',
      action: 'apply',
      target: { type: 'service-config', id: 'api-gateway' },
      context: { environment: 'production' },
      payload: { service: 'api-gateway', rollbackTo: 'r41' },
      breakGlass: { reason: 'incident INC-7: rolling back' },
    };
    const { status, body } = await call('POST', '/v1/actions', '/v1/actions', { ...submission(request), token: await stack.token('agent-deployer') });
    expect(status).toBe(202);
    expect(body).toMatchObject({ state: 'waiting_for_operators', decision: { outcome: 'DENY', waitsFor: { kind: 'override' } } });
  });

  it('a repeat: the first decision, from the same receipts', async () => {
    const request = paymentRequest();
    const first = await call('POST', '/v1/actions', '/v1/actions', submission(request, { prefer: 'wait=10' }));
    const again = await call('POST', '/v1/actions', '/v1/actions', submission(request, { prefer: 'wait=10' }));
    expect((again.body.decision as { receipts: unknown }).receipts).toEqual((first.body.decision as { receipts: unknown }).receipts);
  });

  it('with an API key: the same answers', async () => {
    const request = {
      idempotencyKey: uniqueId('export'),
      actor: { id: 'agent-analyst', type: 'agent' },
      surface: 'data-exports',
      action: 'export',
      target: { type: 'dataset', id: 'sales.weekly' },
      context: { classification: 'internal', destination: 'internal' },
    };
    const { status } = await call('POST', '/v1/actions', '/v1/actions', { ...submission(request, { prefer: 'wait=10' }), token: TEST_API_KEYS['agent-analyst'] });
    expect(status).toBe(200);
  });
});

describe('when a request is refused before the gate', () => {
  it('400 naming every bad field, 401, 403, 409, 413, 415: each a documented problem', async () => {
    const bad = await call('POST', '/v1/actions', '/v1/actions', { body: { idempotencyKey: '', surface: 1 }, headers: { 'idempotency-key': 'x' } });
    expect(bad.status).toBe(400);
    expect((bad.body.errors as unknown[]).length).toBeGreaterThan(1);

    expect((await call('POST', '/v1/actions', '/v1/actions', { ...submission(paymentRequest()), token: null })).status).toBe(401);
    expect((await call('GET', '/v1/actions/{key}', '/v1/actions/abc', { token: 'not-a-known-key' })).status).toBe(401);
    const mismatch = await call('POST', '/v1/actions', '/v1/actions', { ...submission(paymentRequest()), token: await stack.token('agent-support') });
    expect(mismatch).toMatchObject({ status: 403, body: { code: 'ACTOR_MISMATCH' } });

    const request = paymentRequest();
    await call('POST', '/v1/actions', '/v1/actions', submission(request));
    const conflict = await call('POST', '/v1/actions', '/v1/actions', submission({ ...request, context: { amount: 1, currency: 'EUR' } }));
    expect(conflict).toMatchObject({ status: 409, body: { code: 'IDEMPOTENCY_CONFLICT' } });

    const huge = await call('POST', '/v1/actions', '/v1/actions', { rawBody: JSON.stringify({ pad: 'x'.repeat(300_000) }), headers: { 'content-type': 'application/json', 'idempotency-key': 'k' } });
    expect(huge.status).toBe(413);
    const text = await call('POST', '/v1/actions', '/v1/actions', { rawBody: 'hello', headers: { 'content-type': 'text/plain', 'idempotency-key': 'k' } });
    expect(text.status).toBe(415);
  });

  it('reads: 400 for a malformed key or id, 404 for what is not there', async () => {
    expect((await call('GET', '/v1/actions/{key}', '/v1/actions/-bad')).status).toBe(400);
    expect((await call('GET', '/v1/actions/{key}', `/v1/actions/${uniqueId('none')}`)).status).toBe(404);
    expect((await call('GET', '/v1/receipts/{id}', '/v1/receipts/sha256:xyz')).status).toBe(400);
    expect((await call('GET', '/v1/receipts/{id}', `/v1/receipts/sha256:${'a'.repeat(64)}`)).status).toBe(404);
  });

  it('429 once the principal is over its limit', async () => {
    const limited = await stack.another({ limits: { perPrincipalPerMinute: 1 } });
    const token = await stack.token('agent-sre');
    const get = async () => {
      const response = await fetch(`${limited.url}/v1/actions/${uniqueId('x')}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, type: response.headers.get('content-type'), retryAfter: response.headers.get('retry-after'), body: await response.json() };
    };
    await get();
    const second = await get();
    expect(second.status).toBe(429);
    expect(second.type).toMatch(/^application\/problem\+json/);
    expect(second.retryAfter).toMatch(/^\d+$/);
    expect(document.paths['/v1/actions/{key}']?.get?.responses['429']).toBeDefined();
    expect(schemaOf('#/components/schemas/Problem')(second.body)).toBe(true);
  });

  it('an undeclared method: 405 with Allow', async () => {
    expect((await call('PUT', '/v1/keys', '/v1/keys', { body: {} })).status).toBe(405);
  });
});

describe('when the public routes are read', () => {
  it('keys, health, readiness and the document itself match the document', async () => {
    expect((await call('GET', '/v1/keys', '/v1/keys', { token: null })).body).toMatchObject({ version: 1 });
    expect((await call('GET', '/healthz', '/healthz', { token: null })).body).toEqual({ ok: true });
    expect((await call('GET', '/readyz', '/readyz', { token: null })).body).toMatchObject({ ready: true });
    expect((await call('GET', '/openapi.json', '/openapi.json', { token: null })).body).toMatchObject({ openapi: '3.1.0' });
  });

  it('the flows above reached every documented success of the /v1 operations', () => {
    for (const expected of ['POST /v1/actions 200', 'POST /v1/actions 202', 'GET /v1/actions/{key} 200', 'GET /v1/receipts/{id} 200', 'GET /v1/keys 200']) {
      expect([...seen]).toContain(expected);
    }
  });
});
