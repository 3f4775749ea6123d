import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError, type DispatchContext } from '../../src/connectors/connector.js';
import { MAX_RESPONSE_BYTES, httpConnector } from '../../src/connectors/http-connector.js';
import { parseActionRequest, unstorableText } from '../../src/request/action-request.js';
import { requestHash } from '../../src/request/request-hash.js';
import { VALID_TRANSFER } from '../fixtures/requests.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';

const REQUEST = parseActionRequest({ ...VALID_TRANSFER, payload: { to: 'acct-9', amount: 120 } });

function dispatchContext(): DispatchContext {
  return {
    idempotencyKey: REQUEST.idempotencyKey,
    requestHash: requestHash(REQUEST),
    request: REQUEST,
    attempt: 1,
    signal: new AbortController().signal,
  };
}

interface TestServer {
  url: string;
  /** How many requests reached it. */
  readonly hits: number;
  close(): Promise<void>;
}

/** A throw-away HTTP server on 127.0.0.1 that answers each request with `answer`. */
async function startServer(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/action`,
    get hits() {
      return hits;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes `total` bytes (or forever, with Infinity) in 64 KiB chunks, stopping when the client goes. */
function streamBytes(res: ServerResponse, total: number): void {
  const chunk = Buffer.alloc(65_536, 0x78);
  let sent = 0;
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  const pump = (): void => {
    while (!closed && sent < total) {
      const piece = total - sent < chunk.length ? chunk.subarray(0, total - sent) : chunk;
      sent += piece.length;
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!closed) res.end();
  };
  pump();
}

async function connectorFailure(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

describe('httpConnector', () => {
  let elsewhere: FakeExternalSystem;
  const servers: TestServer[] = [];

  async function serve(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
    const server = await startServer(answer);
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    elsewhere = await startFakeExternalSystem();
  });

  beforeEach(() => {
    elsewhere.calls.length = 0;
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await elsewhere.close();
  });

  describe('when the external system answers 200 with JSON', () => {
    it('returns the status and the parsed body, having sent the payload with its idempotency key', async () => {
      const handler = httpConnector({ url: elsewhere.url('/payments') });
      await expect(handler(dispatchContext())).resolves.toEqual({ httpStatus: 200, body: { accepted: true, n: 1 } });
      expect(elsewhere.calls).toEqual([
        {
          path: '/payments',
          idempotencyKey: REQUEST.idempotencyKey,
          requestHash: requestHash(REQUEST),
          body: { to: 'acct-9', amount: 120 },
          headers: expect.objectContaining({ 'content-type': 'application/json', 'idempotency-key': REQUEST.idempotencyKey }),
        },
      ]);
    });
  });

  describe('when the external system answers 2xx with a body that is not plain JSON', () => {
    it('returns text as text', async () => {
      const server = await serve((_req, res) => res.writeHead(201).end('queued'));
      await expect(httpConnector({ url: server.url })(dispatchContext())).resolves.toEqual({ httpStatus: 201, body: 'queued' });
    });

    it('returns an empty body as null', async () => {
      const server = await serve((_req, res) => res.writeHead(204).end());
      await expect(httpConnector({ url: server.url })(dispatchContext())).resolves.toEqual({ httpStatus: 204, body: null });
    });

    it('returns JSON nested thousands deep as its text, so hashing it cannot overflow the stack', async () => {
      const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
      const server = await serve((_req, res) => res.writeHead(200).end(deep));
      await expect(httpConnector({ url: server.url })(dispatchContext())).resolves.toEqual({ httpStatus: 200, body: deep });
    });
  });

  describe.each([301, 302, 303, 307, 308])('when the external system answers %i, a redirect', (status) => {
    it('is CONNECTOR_REJECTED with the status and Location, and nothing is sent where it points', async () => {
      const location = elsewhere.url('/stolen');
      const redirector = await serve((_req, res) => res.writeHead(status, { location }).end('moved'));
      const error = await connectorFailure(httpConnector({ url: redirector.url })(dispatchContext()));
      expect(error.code).toBe('CONNECTOR_REJECTED');
      expect(error.retryable).toBe(false);
      expect(error.details).toMatchObject({ url: redirector.url, httpStatus: status, location });
      expect(redirector.hits).toBe(1);
      expect(elsewhere.calls).toEqual([]);
    });
  });

  describe('when a fetch filters the redirect into an opaque one', () => {
    it('is CONNECTOR_REJECTED too', async () => {
      const opaque = { type: 'opaqueredirect', status: 0, ok: false, headers: new Headers(), body: null } as unknown as Response;
      const handler = httpConnector({ url: 'http://127.0.0.1:9/action', fetch: async () => opaque });
      const error = await connectorFailure(handler(dispatchContext()));
      expect(error.code).toBe('CONNECTOR_REJECTED');
      expect(error.details).toMatchObject({ httpStatus: 0, location: null });
    });
  });

  describe(`when a 2xx body is larger than ${MAX_RESPONSE_BYTES} bytes`, () => {
    it('stops reading and reports success with the body left out (5 MiB sent)', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(5 * 1_048_576) });
        streamBytes(res, 5 * 1_048_576);
      });
      await expect(httpConnector({ url: server.url })(dispatchContext())).resolves.toEqual({
        httpStatus: 200,
        body: null,
        bodyTruncated: true,
        bodyLimitBytes: MAX_RESPONSE_BYTES,
      });
    });

    it('returns even when the body never ends', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        streamBytes(res, Number.POSITIVE_INFINITY);
      });
      const result = await httpConnector({ url: server.url, timeoutMs: 30_000 })(dispatchContext());
      expect(result).toMatchObject({ httpStatus: 200, bodyTruncated: true });
    });

    it(`reads a body of exactly ${MAX_RESPONSE_BYTES} bytes whole`, async () => {
      const text = `"${'x'.repeat(MAX_RESPONSE_BYTES - 2)}"`;
      const server = await serve((_req, res) => res.writeHead(200).end(text));
      const result = (await httpConnector({ url: server.url })(dispatchContext())) as { body: unknown };
      expect(result).not.toHaveProperty('bodyTruncated');
      expect(result.body).toBe(JSON.parse(text));
    });
  });

  describe('when the external system answers 500', () => {
    it('is CONNECTOR_UNAVAILABLE (retried), with a 500-character excerpt of a large body', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(500);
        streamBytes(res, 5 * 1_048_576);
      });
      const error = await connectorFailure(httpConnector({ url: server.url })(dispatchContext()));
      expect(error.code).toBe('CONNECTOR_UNAVAILABLE');
      expect(error.retryable).toBe(true);
      expect(error.details).toMatchObject({ httpStatus: 500, body: 'x'.repeat(500) });
    });
  });

  describe('when the external system answers 400', () => {
    it('is CONNECTOR_REJECTED (not retried), with the body in details', async () => {
      const server = await serve((_req, res) => res.writeHead(400).end('{"error":"bad account"}'));
      const error = await connectorFailure(httpConnector({ url: server.url })(dispatchContext()));
      expect(error.code).toBe('CONNECTOR_REJECTED');
      expect(error.retryable).toBe(false);
      expect(error.details).toMatchObject({ httpStatus: 400, body: '{"error":"bad account"}' });
    });

    it('cuts the excerpt between surrogate pairs, never inside one', async () => {
      const server = await serve((_req, res) => res.writeHead(422).end(`a${'\u{1F600}'.repeat(400)}`));
      const error = await connectorFailure(httpConnector({ url: server.url })(dispatchContext()));
      const excerpt = error.details?.['body'] as string;
      expect(excerpt).toHaveLength(499);
      expect(unstorableText(excerpt)).toBeUndefined();
    });
  });

  describe('when nothing listens at the URL', () => {
    it('is CONNECTOR_UNAVAILABLE', async () => {
      const server = await startServer((_req, res) => res.end());
      const url = server.url;
      await server.close();
      const error = await connectorFailure(httpConnector({ url })(dispatchContext()));
      expect(error.code).toBe('CONNECTOR_UNAVAILABLE');
      const port = Number(new URL(url).port);
      expect(error.message).toBe(`POST ${url} failed: ECONNREFUSED 127.0.0.1:${port}`);
      expect(error.details).toMatchObject({ url, cause: 'ECONNREFUSED', address: '127.0.0.1', port });
    });
  });

  describe('when the host name does not resolve', () => {
    it('is CONNECTOR_UNAVAILABLE naming ENOTFOUND and the host', async () => {
      const url = 'http://actiongate-no-such-host.invalid/action';
      const error = await connectorFailure(httpConnector({ url })(dispatchContext()));
      expect(error.code).toBe('CONNECTOR_UNAVAILABLE');
      expect(error.message).toMatch(/^POST http:\/\/actiongate-no-such-host\.invalid\/action failed: (ENOTFOUND|EAI_AGAIN) actiongate-no-such-host\.invalid$/);
    });
  });

  describe('when the external system does not answer within timeoutMs', () => {
    it('is CONNECTOR_UNAVAILABLE (retried) saying it timed out, with the timeout', async () => {
      const server = await serve((_req, res) => setTimeout(() => res.writeHead(200).end(), 2_000));
      const error = await connectorFailure(httpConnector({ url: server.url, timeoutMs: 150 })(dispatchContext()));
      expect(error.code).toBe('CONNECTOR_UNAVAILABLE');
      expect(error.retryable).toBe(true);
      expect(error.message).toBe(`POST ${server.url} timed out after 150 ms (timeoutMs)`);
      expect(error.details).toMatchObject({ cause: 'TIMEOUT', timeoutMs: 150 });
    });
  });

  describe('when the dispatch is cancelled', () => {
    it('is CONNECTOR_UNAVAILABLE saying so', async () => {
      const server = await serve((_req, res) => setTimeout(() => res.writeHead(200).end(), 2_000));
      const controller = new AbortController();
      const pending = httpConnector({ url: server.url })({ ...dispatchContext(), signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      const error = await connectorFailure(pending);
      expect(error.message).toBe(`POST ${server.url} was cancelled (the dispatch activity was cancelled)`);
    });
  });

  describe('when the connection is dropped before an answer', () => {
    it('is CONNECTOR_UNAVAILABLE with what undici said, not just "fetch failed"', async () => {
      const server = await serve((req) => req.socket.destroy());
      const error = await connectorFailure(httpConnector({ url: server.url })(dispatchContext()));
      expect(error.code).toBe('CONNECTOR_UNAVAILABLE');
      expect(error.message).toMatch(new RegExp(`^POST ${server.url.replaceAll('.', '\\.')} failed: (UND_ERR_SOCKET|ECONNRESET)`));
      expect(error.message).not.toMatch(/failed: fetch failed$/);
    });
  });

  describe('with extra headers', () => {
    it('sends them, and its own headers win over a configured one of the same name', async () => {
      const handler = httpConnector({
        url: elsewhere.url('/payments'),
        headers: { Authorization: 'Bearer canary-123', 'X-Tenant': 'acme', 'idempotency-key': 'forged' },
      });
      await handler(dispatchContext());
      expect(elsewhere.calls[0]?.headers).toMatchObject({ authorization: 'Bearer canary-123', 'x-tenant': 'acme', 'idempotency-key': REQUEST.idempotencyKey });
    });

    it('refuses a value fetch could not send when it is made, naming the header and not quoting the value', () => {
      const made = () => httpConnector({ url: elsewhere.url('/payments'), headers: { Authorization: 'Bearer canary-123\nX: y' } });
      expect(made).toThrow(ConnectorError);
      expect(made).toThrow(/header Authorization/);
      expect(made).not.toThrow(/canary-123/);
    });

    it('never quotes a header value in a failure message', async () => {
      const handler = httpConnector({
        url: 'http://127.0.0.1:9/action',
        headers: { Authorization: 'Bearer canary-456' },
        secrets: ['canary-456'],
        fetch: async (_url, init) => {
          throw new TypeError(`bad header ${new Headers(init?.headers).get('authorization')}`);
        },
      });
      const error = await connectorFailure(handler(dispatchContext()));
      expect(error.message).toBe('POST http://127.0.0.1:9/action failed: bad header [redacted]');
      expect(JSON.stringify(error.details)).not.toContain('canary-456');
    });

    it('keeps a secret the external system quotes back out of the error excerpt', async () => {
      const server = await serve((req, res) => res.writeHead(401).end(`invalid token ${String(req.headers.authorization).slice(7)}`));
      const handler = httpConnector({ url: server.url, headers: { Authorization: 'Bearer canary-789-long' }, secrets: ['canary-789-long'] });
      const error = await connectorFailure(handler(dispatchContext()));
      expect(error.code).toBe('CONNECTOR_REJECTED');
      expect(error.details).toMatchObject({ httpStatus: 401, body: 'invalid token [redacted]' });
    });
  });
});
