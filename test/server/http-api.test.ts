import { createServer } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { WorkflowNotFoundError } from '@temporalio/client';
import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSigner } from '../../src/demo/demo-keys.js';
import { signRequest } from '../../src/identity/request-signature.js';
import type { ActionRequest } from '../../src/request/action-request.js';
import { digestJson } from '../../src/request/digest.js';
import { paymentRequest, uniqueId } from '../support/harness.js';
import { startApiStack, TEST_API_KEYS, TEST_AUDIENCE, TEST_ISSUER, type ApiStack } from '../support/api-server.js';
import { tempDir } from '../support/temp-dir.js';
import { hasOpenssl, makeCertificates } from '../tls/tls-fixtures.js';

let stack: ApiStack;
const GATEWAY_KEY_ID = demoSigner('actiongate-http').keyId;

beforeAll(async () => {
  stack = await startApiStack();
});

afterAll(async () => {
  await stack?.stop();
});

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, any>;
}

async function call(path: string, init: { method?: string; token?: string; headers?: Record<string, string>; body?: unknown; raw?: string; base?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...init.headers };
  let body: string | undefined = init.raw;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${init.base ?? stack.url}${path}`, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual' });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
}

async function submit(request: ActionRequest, options: { token?: string; prefer?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return call('/v1/actions', {
    token: options.token ?? (await stack.token(request.actor.id)),
    headers: { 'idempotency-key': request.idempotencyKey, ...(options.prefer ? { prefer: options.prefer } : {}), ...options.headers },
    body: request,
  });
}

async function receiptsOf(key: string): Promise<Array<{ kind: string; outcome: string; body: any }>> {
  const { rows } = await stack.pool.query('SELECT kind, outcome, body FROM receipts WHERE idempotency_key = $1 ORDER BY seq', [key]);
  return rows;
}

async function workflowExists(key: string): Promise<boolean> {
  try {
    await stack.client.workflow.getHandle(key).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

function expectProblem(answer: Answer, status: number, code: string): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({ status, code, type: expect.stringMatching(/^https:\/\/actiongate\.dev\/problems\//), title: expect.any(String), detail: expect.any(String) });
}

describe('POST /v1/actions', () => {
  it('answers a permitted action with the full result when asked to wait, attested by the gateway, dispatched once', async () => {
    const request = paymentRequest();
    const answer = await submit(request, { prefer: 'wait=20' });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.headers.get('preference-applied')).toBe('wait=20');
    expect(answer.headers.get('location')).toBe(`/v1/actions/${request.idempotencyKey}`);
    expect(answer.body.state).toBe('completed');
    expect(answer.body.decision.outcome).toBe('PERMIT');
    expect(answer.body.result.dispatch).toMatchObject({ status: 'succeeded', result: { httpStatus: 200 } });
    expect(digestJson(answer.body.result.dispatch.result)).toBe(answer.body.result.dispatch.resultHash);
    expect(stack.fake.callsFor(request.idempotencyKey)).toHaveLength(1);
    // The agent did not sign: the receipt names the gateway's key, which proved the actor.
    const receipts = await receiptsOf(request.idempotencyKey);
    expect(receipts.map((r) => r.kind)).toEqual(['decision', 'outcome']);
    expect(receipts[0]?.body.actor).toEqual({ id: 'agent-42', type: 'agent', keyId: GATEWAY_KEY_ID });
    expect(answer.body.receipts.map((r: { kind: string }) => r.kind)).toEqual(['decision', 'outcome']);
  });

  it('answers 202 with the decision and a status URL when not asked to wait', async () => {
    stack.fake.respondWith((_call, n) => ({ status: 200, body: { accepted: true, n }, delayMs: 1_500 }));
    try {
      const request = paymentRequest();
      const answer = await submit(request);
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
      expect(answer.body).toMatchObject({ state: 'dispatching', result: null, decision: { outcome: 'PERMIT' } });
      expect(answer.headers.get('location')).toBe(`/v1/actions/${request.idempotencyKey}`);
      // The decision receipt is on record before the answer.
      expect(answer.body.receipts[0]).toMatchObject({ kind: 'decision', receiptId: answer.body.decision.receipts.decision });
      let status: Answer;
      const token = await stack.token('agent-42');
      const deadline = Date.now() + 20_000;
      do {
        await new Promise((r) => setTimeout(r, 200));
        status = await call(`/v1/actions/${request.idempotencyKey}`, { token });
      } while (status.body.state !== 'completed' && Date.now() < deadline);
      expect(status.status).toBe(200);
      expect(status.body.result.dispatch.status).toBe('succeeded');
      expect(status.body.receipts.map((r: { kind: string }) => r.kind)).toEqual(['decision', 'outcome']);
    } finally {
      stack.fake.respondWith((_call, n) => ({ status: 200, body: { accepted: true, n } }));
    }
  });

  it('answers a policy DENY with 200 (refused) and dispatches nothing', async () => {
    const request = paymentRequest({ context: { amount: 9_000_000, currency: 'EUR' } });
    const answer = await submit(request);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.state).toBe('refused');
    expect(answer.body.decision.outcome).toBe('DENY');
    expect(answer.body.decision.receipts.decision).toMatch(/^sha256:/);
    expect(stack.fake.callsFor(request.idempotencyKey)).toHaveLength(0);
  });

  it('gives a repeat the first decision and never dispatches twice', async () => {
    const request = paymentRequest();
    const first = await submit(request, { prefer: 'wait=20' });
    const again = await submit(request, { prefer: 'wait=20' });
    expect(again.status).toBe(200);
    expect(again.body.decision.receipts).toEqual(first.body.decision.receipts);
    expect(again.body.result.receipts).toEqual(first.body.result.receipts);
    expect(stack.fake.callsFor(request.idempotencyKey)).toHaveLength(1);
  });

  it('refuses another request under a used key with 409 IDEMPOTENCY_CONFLICT', async () => {
    const request = paymentRequest();
    await submit(request, { prefer: 'wait=20' });
    const other = { ...request, context: { amount: 100, currency: 'EUR' } };
    expectProblem(await submit(other), 409, 'IDEMPOTENCY_CONFLICT');
    expect(stack.fake.callsFor(request.idempotencyKey)).toHaveLength(1);
  });

  it("uses the agent's own signature when it sends one (the receipt names the agent's key)", async () => {
    const request = paymentRequest();
    const signature = signRequest(request, demoSigner('agent-42'));
    const answer = await submit(request, { headers: { 'actiongate-signature': `keyId=${signature.keyId}; sig=${signature.sig}` }, prefer: 'wait=20' });
    expect(answer.body.decision.outcome).toBe('PERMIT');
    expect((await receiptsOf(request.idempotencyKey))[0]?.body.actor.keyId).toBe(signature.keyId);
  });

  it("refuses (SILENCE bad_signature, with a receipt) a signature header that is not the agent's", async () => {
    const request = paymentRequest();
    const signature = signRequest(request, demoSigner('agent-analyst'));
    const answer = await submit(request, { headers: { 'actiongate-signature': `keyId=${signature.keyId}; sig=${signature.sig}` } });
    expect(answer.status).toBe(200);
    expect(answer.body.decision).toMatchObject({ outcome: 'SILENCE', reasons: ['bad_signature'] });
    expect((await receiptsOf(request.idempotencyKey)).map((r) => r.outcome)).toContain('SILENCE');
    expect(stack.fake.callsFor(request.idempotencyKey)).toHaveLength(0);
  });

  it('refuses 403 ACTOR_MISMATCH when the body names another actor than the caller, and starts nothing', async () => {
    const request = paymentRequest();
    const answer = await submit(request, { token: await stack.token('agent-analyst') });
    expectProblem(answer, 403, 'ACTOR_MISMATCH');
    expect(answer.body.detail).toMatch(/actor.id is "agent-42" but the caller authenticated as "agent-analyst"/);
    expect(await workflowExists(request.idempotencyKey)).toBe(false);
    expect(await receiptsOf(request.idempotencyKey)).toEqual([]);
  });

  it('names every bad field (body and headers) in one 400 INVALID_REQUEST, and starts nothing', async () => {
    const key = uniqueId('bad');
    const answer = await call('/v1/actions', {
      token: await stack.token('agent-42'),
      headers: { 'idempotency-key': `${key}-other` },
      body: { idempotencyKey: key, actor: { id: 'agent-42', type: 'agent' }, surface: 'Payments!', action: 'transfer', target: { type: 'account' }, context: { amount: 'a\u0000b' } },
    });
    expectProblem(answer, 400, 'INVALID_REQUEST');
    const paths = answer.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['surface', 'target.id', 'context.amount']));
    expect(answer.body.errors.find((e: { path: string }) => e.path === 'context.amount').message).toMatch(/NUL/);
    expect(await workflowExists(key)).toBe(false);
  });

  it('requires the Idempotency-Key header to equal the body key', async () => {
    const request = paymentRequest();
    const token = await stack.token('agent-42');
    const missing = await call('/v1/actions', { token, body: request });
    expectProblem(missing, 400, 'INVALID_REQUEST');
    expect(missing.body.errors).toEqual([{ path: 'header Idempotency-Key', message: expect.stringMatching(/is required/) }]);
    const other = await call('/v1/actions', { token, headers: { 'idempotency-key': 'something-else' }, body: request });
    expect(other.body.errors).toEqual([{ path: 'header Idempotency-Key', message: expect.stringContaining(request.idempotencyKey) }]);
    expect(await workflowExists(request.idempotencyKey)).toBe(false);
  });

  it('refuses bodies that are not JSON, too large, or of another media type', async () => {
    const token = await stack.token('agent-42');
    expectProblem(await call('/v1/actions', { token, headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' }, raw: '{"idempotencyKey":' }), 400, 'INVALID_REQUEST');
    expectProblem(await call('/v1/actions', { token, headers: { 'content-type': 'text/plain', 'idempotency-key': 'k1' }, raw: 'hello' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    const huge = { ...paymentRequest(), payload: { blob: 'x'.repeat(300_000) } };
    expectProblem(await submit(huge, { token }), 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('authentication', () => {
  const request = () => paymentRequest();

  it('refuses a call without credentials with 401 and a Bearer challenge', async () => {
    const answer = await call('/v1/actions', { headers: { 'idempotency-key': 'k' }, body: request() });
    expectProblem(answer, 401, 'UNAUTHENTICATED');
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it.each([
    ['signed by another key', async () => stack.token('agent-42', {}, { key: (await generateKeyPair('EdDSA')).privateKey }), /no key of the JWKS matches|does not verify/],
    ['expired', async () => stack.token('agent-42', {}, { expiresIn: '-2m' }), /expired/],
    ['for another audience', async () => stack.token('agent-42', {}, { audience: 'someone-else' }), /claim "aud"/],
  ])('refuses a JWT %s', async (_what, makeToken, message) => {
    const r = request();
    const answer = await submit(r, { token: await makeToken() });
    expectProblem(answer, 401, 'UNAUTHENTICATED');
    expect(answer.body.detail).toMatch(message);
    expect(await workflowExists(r.idempotencyKey)).toBe(false);
  });

  it('verifies JWTs against a JWKS served over HTTP (jwksUrl), fetched once and cached', async () => {
    let fetched = 0;
    const jwksServer = createServer((_req, res) => {
      fetched++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(stack.jwks));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = jwksServer.address() as AddressInfo;
      const remote = await stack.another({ auth: { jwt: { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, jwksUrl: `http://127.0.0.1:${port}/jwks.json` } } });
      const token = await stack.token('agent-42');
      const path = `/v1/actions/${uniqueId('none')}`;
      expectProblem(await call(path, { token, base: remote.url }), 404, 'NOT_FOUND');
      expectProblem(await call(path, { token, base: remote.url }), 404, 'NOT_FOUND');
      expect(fetched).toBe(1);
      const forged = await stack.token('agent-42', {}, { key: (await generateKeyPair('EdDSA')).privateKey });
      expectProblem(await call(path, { token: forged, base: remote.url }), 401, 'UNAUTHENTICATED');
    } finally {
      await new Promise((resolve) => jwksServer.close(resolve));
    }
  });

  it('accepts an API key and maps it to its principal; an unknown key is 401', async () => {
    const r = paymentRequest({ actor: { id: 'agent-analyst', type: 'agent' } });
    const byKey = await submit(r, { token: TEST_API_KEYS['agent-analyst'] });
    expect(byKey.status).not.toBe(401);
    expect(byKey.body.decision.idempotencyKey).toBe(r.idempotencyKey);
    expectProblem(await submit(paymentRequest({ actor: { id: 'agent-analyst', type: 'agent' } }), { token: 'agk_not_a_key_0123456789abcdef' }), 401, 'UNAUTHENTICATED');
  });
});

describe('GET /v1/actions/{key} and /v1/receipts/{id}', () => {
  it('shows the owner its action and receipts; another principal gets 404, an auditor reads it', async () => {
    const r = paymentRequest();
    const submitted = await submit(r, { prefer: 'wait=20' });
    const path = `/v1/actions/${r.idempotencyKey}`;
    const own = await call(path, { token: await stack.token('agent-42') });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ idempotencyKey: r.idempotencyKey, state: 'completed', decision: { outcome: 'PERMIT' } });
    expect(own.body.links.receipts).toHaveLength(2);
    expectProblem(await call(path, { token: await stack.token('agent-analyst') }), 404, 'NOT_FOUND');
    expect((await call(path, { token: await stack.token('auditor') })).status).toBe(200);

    const receiptId = submitted.body.decision.receipts.decision as string;
    const receipt = await call(`/v1/receipts/${receiptId}`, { token: await stack.token('agent-42') });
    expect(receipt.status).toBe(200);
    expect(receipt.body).toMatchObject({ receiptId, kind: 'decision', body: { outcome: 'PERMIT', idempotencyKey: r.idempotencyKey } });
    expect(digestJson(receipt.body.body)).toBe(receiptId);
    expectProblem(await call(`/v1/receipts/${receiptId}`, { token: await stack.token('agent-analyst') }), 404, 'NOT_FOUND');
  });

  it('answers 404 for an unknown key and 400 for a malformed key or receipt id', async () => {
    const token = await stack.token('agent-42');
    expectProblem(await call(`/v1/actions/${uniqueId('nobody')}`, { token }), 404, 'NOT_FOUND');
    expectProblem(await call('/v1/actions/-bad', { token }), 400, 'INVALID_REQUEST');
    expectProblem(await call('/v1/receipts/sha256:xyz', { token }), 400, 'INVALID_REQUEST');
  });

  it('does not show a workflow of another type squatting a key as an action', async () => {
    const key = uniqueId('squat');
    await stack.client.workflow.start('someOtherWorkflow', { workflowId: key, taskQueue: uniqueId('nowhere'), args: [], workflowExecutionTimeout: '10s' });
    expectProblem(await call(`/v1/actions/${key}`, { token: await stack.token('auditor') }), 404, 'NOT_FOUND');
  });
});

describe('the rest of the surface', () => {
  it('serves the public key set with the gateway key, without credentials', async () => {
    const answer = await call('/v1/keys');
    expect(answer.status).toBe(200);
    expect(answer.body.keys).toContainEqual(expect.objectContaining({ keyId: GATEWAY_KEY_ID, purpose: 'gateway' }));
  });

  it('serves its OpenAPI 3.1 document, health and readiness', async () => {
    const doc = await call('/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/actions', '/v1/actions/{key}', '/v1/receipts/{id}', '/v1/keys']));
    expect((await call('/healthz')).body).toEqual({ ok: true });
    const ready = await call('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ ready: true, checks: { temporal: { ok: true }, postgres: { ok: true } } });
  });

  it('answers 405 with Allow for a known path and 404 for an unknown one, as problems', async () => {
    const wrong = await call('/v1/actions', { method: 'GET', token: await stack.token('agent-42') });
    expectProblem(wrong, 405, 'METHOD_NOT_ALLOWED');
    expect(wrong.headers.get('allow')).toBe('POST');
    // A method no route has, without a body type (Fastify checks that before routing): still 405.
    const query = await call('/v1/keys', { method: 'QUERY' });
    expectProblem(query, 405, 'METHOD_NOT_ALLOWED');
    expect(query.headers.get('allow')).toBe('GET, HEAD');
    expectProblem(await call('/nothing-here'), 404, 'NOT_FOUND');
  });

  it('limits requests per principal (429 with Retry-After), without slowing other principals', async () => {
    const limited = await stack.another({ limits: { perPrincipalPerMinute: 3 } });
    const path = `/v1/actions/${uniqueId('none')}`;
    const agent = await stack.token('agent-42');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(path, { token: agent, base: limited.url })).status);
    expect(statuses).toEqual([404, 404, 404, 429]);
    const last = await call(path, { token: agent, base: limited.url });
    expectProblem(last, 429, 'RATE_LIMITED');
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call(path, { token: await stack.token('agent-analyst'), base: limited.url })).status).toBe(404);
  });

  it('stops at start, naming the field, on a bad configuration', async () => {
    const { resolveApiConfig } = await import('../../src/server/api-config.js');
    await expect(resolveApiConfig({ auth: {} }, '/tmp')).rejects.toThrow(/auth: configure at least one of jwt, apiKeys, clientCertificates/);
    await expect(resolveApiConfig({ auth: { apiKeys: [{ principal: 'a', sha256: 'nothex' }] } }, '/tmp')).rejects.toThrow(/auth.apiKeys.0.sha256: must be 64 lower-case hex digits/);
    await expect(resolveApiConfig({ auth: { apiKeys: [] }, gateway: { id: 'g', key: 'missing.json' } }, '/tmp')).rejects.toThrow(/configure at least one/);
    await expect(
      resolveApiConfig({ auth: { apiKeys: [{ principal: 'a', sha256: 'a'.repeat(64) }] }, gateway: { id: 'g', key: 'missing.json' } }, '/tmp'),
    ).rejects.toThrow(/gateway.key/);
  });
});

describe.runIf(await hasOpenssl())('client certificates (mTLS)', () => {
  it('authenticates the principal a client certificate names, and refuses a call without one', async () => {
    const dir = await tempDir('actiongate-api-tls-');
    const certs = await makeCertificates(dir);
    const server = await stack.another({
      auth: { clientCertificates: { ca: certs.caPath, principalFrom: 'san-uri' } },
      tls: { cert: certs.serverCertPath, key: certs.serverKeyPath },
    });
    const ca = await readFile(certs.caPath);
    const r = paymentRequest();
    const post = (cert?: { cert: Buffer; key: Buffer }) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = httpsRequest(
          `${server.url}/v1/actions`,
          { method: 'POST', ca, ...(cert ?? {}), headers: { 'content-type': 'application/json', 'idempotency-key': r.idempotencyKey } },
          (res) => {
            let text = '';
            res.on('data', (chunk) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(r));
      });
    const anonymous = await post();
    expect(anonymous.status).toBe(401);
    const stranger = await post({ cert: await readFile(certs.strangerCertPath), key: await readFile(certs.strangerKeyPath) });
    expect(stranger.status).toBe(401);
    expect(stranger.body.detail).toMatch(/not trusted/);
    const agent = await post({ cert: await readFile(certs.agentCertPath), key: await readFile(certs.agentKeyPath) });
    expect(agent.status, JSON.stringify(agent.body)).toBeLessThan(300);
    expect(agent.body.decision.outcome).toBe('PERMIT');
  });
});
