// ActionGateHttpClient against a real `actiongate serve` stack (Fastify, Temporal, Postgres, Cedar,
// a worker dispatching to a recording fake): the same answers and errors as the Temporal client.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientError } from '../../src/client/client-error.js';
import { ActionGateHttpClient } from '../../src/client/http-client.js';
import { demoSigner } from '../../src/demo/demo-keys.js';
import { RequestError } from '../../src/request/request-error.js';
import { startApiStack, TEST_API_KEYS, type ApiStack } from '../support/api-server.js';
import { paymentRequest, uniqueId } from '../support/harness.js';

let stack: ApiStack;
let agentToken: string;
/** Every request the clients of this file sent, by method and path. */
const sent: string[] = [];
const countingFetch: typeof fetch = (input, init) => {
  sent.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
  return fetch(input, init);
};

beforeAll(async () => {
  stack = await startApiStack();
  agentToken = await stack.token('agent-42');
});

afterAll(async () => {
  await stack?.stop();
});

function clientOf(token: string, options: Partial<ConstructorParameters<typeof ActionGateHttpClient>[0]> = {}): ActionGateHttpClient {
  return new ActionGateHttpClient({ baseUrl: stack.url, token, fetch: countingFetch, poll: { initialMs: 50, maxMs: 500 }, ...options });
}

/** What a call throws (the test fails when it does not). */
async function thrown(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('it should have thrown'),
    (error: unknown) => error,
  );
}

describe('when the policies permit the action', () => {
  it('answers the decision, then the result; the external system is called once', async () => {
    const request = paymentRequest();
    const { decision, result } = await clientOf(agentToken).submit(request);
    expect(decision).toMatchObject({ idempotencyKey: request.idempotencyKey, outcome: 'PERMIT', reasons: ['payments.permit-agent-transfer'], fromReceipts: false });
    expect(decision.receipts.decision).toMatch(/^sha256:[0-9a-f]{64}$/);
    const final = await result();
    expect(final.dispatch.status).toBe('succeeded');
    expect(final.dispatch.result).toEqual({ httpStatus: 200, body: { accepted: true, n: 1 } });
    expect(final.receipts.outcome).toMatch(/^sha256:/);
    expect(stack.fake.callsFor(request.idempotencyKey)).toHaveLength(1);
  });

  it('with wait, the result comes with the POST: result() sends nothing more', async () => {
    const request = paymentRequest();
    const gate = clientOf(agentToken);
    const before = sent.length;
    const { result } = await gate.submit(request, { wait: 10 });
    expect((await result()).dispatch.status).toBe('succeeded');
    expect(sent.slice(before)).toEqual(['POST /v1/actions']);
  });

  it("signs with the agent's own key when given one (ActionGate-Signature)", async () => {
    const request = paymentRequest();
    const result = await clientOf(agentToken, { signer: demoSigner('agent-42') }).execute(request);
    expect(result).toMatchObject({ outcome: 'PERMIT', dispatch: { status: 'succeeded' } });
    const { rows } = await stack.pool.query<{ body: { actor: { keyId: string; attestedBy?: string } } }>(
      "SELECT body FROM receipts WHERE idempotency_key = $1 AND kind = 'decision'",
      [request.idempotencyKey],
    );
    expect(rows[0]?.body.actor.keyId).toBe(demoSigner('agent-42').keyId);
  });

  it('authenticates with an API key too', async () => {
    const request = {
      idempotencyKey: uniqueId('export'),
      actor: { id: 'agent-analyst', type: 'agent' },
      surface: 'data-exports',
      action: 'export',
      target: { type: 'dataset', id: 'sales.weekly' },
      context: { classification: 'internal', destination: 'internal' },
      payload: { dataset: 'sales.weekly', to: 'warehouse-share' },
    };
    const gate = new ActionGateHttpClient({ baseUrl: stack.url, apiKey: TEST_API_KEYS['agent-analyst'] });
    const result = await gate.execute(request);
    expect(result).toMatchObject({ outcome: 'PERMIT', reasons: ['data-exports.permit-export'], dispatch: { status: 'succeeded' } });
  });

  it('reads the action and its receipts back', async () => {
    const request = paymentRequest();
    const gate = clientOf(agentToken);
    const final = await gate.execute(request);
    const status = await gate.status(request.idempotencyKey);
    expect(status).toMatchObject({ idempotencyKey: request.idempotencyKey, state: 'completed', result: { receipts: final.receipts } });
    expect(status?.receipts.map((r) => r.kind)).toEqual(['decision', 'outcome']);
    const receipt = await gate.receipt(final.receipts.outcome as string);
    expect(receipt).toMatchObject({ receiptId: final.receipts.outcome, kind: 'outcome' });
    expect(receipt?.body).toMatchObject({ kind: 'outcome', idempotencyKey: request.idempotencyKey });
    expect(await gate.status(uniqueId('never'))).toBeUndefined();
    expect(await gate.receipt(`sha256:${'0'.repeat(64)}`)).toBeUndefined();
    // Another principal's action reads as missing.
    expect(await clientOf(await stack.token('agent-support')).status(request.idempotencyKey)).toBeUndefined();
  });
});

describe('when the policies refuse the action', () => {
  it('answers DENY with the policy and its receipt; nothing is dispatched', async () => {
    const request = paymentRequest({ context: { amount: 500_000, currency: 'EUR' }, payload: { amount: 500_000, currency: 'EUR', to: 'acct-7' } });
    const { decision, result } = await clientOf(agentToken).submit(request);
    expect(decision).toMatchObject({ outcome: 'DENY', reasons: ['payments.forbid-agent-over-limit'] });
    expect(decision.receipts.decision).toMatch(/^sha256:/);
    const final = await result();
    expect(final.dispatch.status).toBe('skipped');
    expect(stack.fake.callsFor(request.idempotencyKey)).toHaveLength(0);
  });
});

describe('when the same request is submitted again', () => {
  it('gets the first decision, and the external system is called once', async () => {
    const request = paymentRequest();
    const gate = clientOf(agentToken);
    const first = await gate.execute(request);
    const again = await gate.submit(request);
    expect(again.decision.outcome).toBe('PERMIT');
    expect(again.decision.receipts.decision).toBe(first.receipts.decision);
    expect((await again.result()).receipts).toEqual(first.receipts);
    expect(stack.fake.callsFor(request.idempotencyKey)).toHaveLength(1);
  });

  it('with another request under the same key: IDEMPOTENCY_CONFLICT, nothing dispatched for it', async () => {
    const request = paymentRequest();
    const gate = clientOf(agentToken);
    await gate.execute(request);
    const error = await thrown(gate.submit({ ...request, context: { amount: 13_000, currency: 'EUR' }, payload: { amount: 13_000, currency: 'EUR', to: 'acct-7' } }));
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('IDEMPOTENCY_CONFLICT');
    expect(stack.fake.callsFor(request.idempotencyKey)).toHaveLength(1);
  });
});

describe('when the input is bad', () => {
  it('throws RequestError naming every bad field, and sends nothing', async () => {
    const before = sent.length;
    const error = await thrown(clientOf(agentToken).submit({ ...paymentRequest(), idempotencyKey: '', surface: 42 }));
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).issues.map((i) => i.path).sort()).toEqual(['idempotencyKey', 'surface']);
    expect(sent.length).toBe(before);
  });

  it("the server's 400 becomes a RequestError with the server's fields", async () => {
    const error = await thrown(clientOf(agentToken).submit(paymentRequest(), { signature: { keyId: 'ed25519:nope', sig: 'x' } }));
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).issues.map((i) => i.path)).toEqual(['header ActionGate-Signature']);
  });
});

describe('when the caller is not who it must be', () => {
  it('a token that does not verify: UNAUTHENTICATED, nothing started', async () => {
    const request = paymentRequest();
    const error = await thrown(clientOf(`${agentToken.slice(0, -4)}AAAA`).submit(request));
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', details: { status: 401, code: 'UNAUTHENTICATED' } });
    expect(await clientOf(agentToken).status(request.idempotencyKey)).toBeUndefined();
  });

  it('no credentials at all: UNAUTHENTICATED', async () => {
    const error = await thrown(new ActionGateHttpClient({ baseUrl: stack.url }).status('anything'));
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it("a request for another actor: FORBIDDEN (ACTOR_MISMATCH), nothing started", async () => {
    const request = paymentRequest({ actor: { id: 'agent-ap-clerk', type: 'agent' } });
    const error = await thrown(clientOf(agentToken).submit(request));
    expect(error).toMatchObject({ code: 'FORBIDDEN', details: { status: 403, code: 'ACTOR_MISMATCH' } });
    expect(stack.fake.callsFor(request.idempotencyKey)).toHaveLength(0);
  });
});

describe('when the server limits, fails or redirects', () => {
  it('429: RATE_LIMITED with the seconds to wait', async () => {
    const limited = await stack.another({ limits: { perPrincipalPerMinute: 1 } });
    const gate = new ActionGateHttpClient({ baseUrl: limited.url, token: await stack.token('agent-sre') });
    await gate.status(uniqueId('one'));
    const error = await thrown(gate.status(uniqueId('two')));
    expect(error).toMatchObject({ code: 'RATE_LIMITED', details: { status: 429 } });
    expect((error as ClientError).details?.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('no server: UNAVAILABLE, saying a retry with the same key is safe', async () => {
    const closed = await listen((_req, res) => res.end());
    const url = closed.url;
    await new Promise((resolve) => closed.server.close(resolve));
    const error = await thrown(new ActionGateHttpClient({ baseUrl: url, token: agentToken }).submit(paymentRequest({ idempotencyKey: 'retry-me' })));
    expect(error).toMatchObject({ code: 'UNAVAILABLE' });
    expect((error as Error).message).toMatch(/same key retry-me is safe/);
  });

  it('a 5xx answer: UNAVAILABLE', async () => {
    const broken = await listen((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
    });
    const error = await thrown(new ActionGateHttpClient({ baseUrl: broken.url, token: agentToken }).submit(paymentRequest()));
    expect(error).toMatchObject({ code: 'UNAVAILABLE', details: { status: 502 } });
    broken.server.close();
  });

  it('a redirect is not followed: the credentials never reach the other host', async () => {
    const elsewhere: string[] = [];
    const other = await listen((req, res) => {
      elsewhere.push(String(req.headers.authorization));
      res.end('{}');
    });
    const redirecting = await listen((_req, res) => {
      res.writeHead(307, { location: `${other.url}/v1/actions` }).end();
    });
    const error = await thrown(new ActionGateHttpClient({ baseUrl: redirecting.url, token: agentToken }).submit(paymentRequest()));
    expect(error).toMatchObject({ code: 'HTTP_ERROR', details: { status: 307 } });
    expect(elsewhere).toEqual([]);
    redirecting.server.close();
    other.server.close();
  });
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
