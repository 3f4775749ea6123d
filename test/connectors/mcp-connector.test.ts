// The MCP connector against a real MCP server (test/fixtures/mcp-upstream.ts), and its entry in
// surfaces.json. What it returns, what it refuses for good, what it lets the dispatch retry.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError, type DispatchContext } from '../../src/connectors/connector.js';
import { connectorsFromRegistry } from '../../src/connectors/connectors-from-registry.js';
import { MAX_RESPONSE_BYTES } from '../../src/connectors/http-connector.js';
import { mcpConnector, type McpConnectorOptions } from '../../src/connectors/mcp-connector.js';
import { PolicyError } from '../../src/policy/policy-error.js';
import { parseSurfaceRegistry, type RegistryIssue } from '../../src/policy/surface-registry.js';
import type { ActionRequest } from '../../src/request/action-request.js';
import { requestHash } from '../../src/request/request-hash.js';
import { startMcpUpstream, transferText, type McpUpstreamFixture, type UpstreamCall } from '../fixtures/mcp-upstream.js';

let upstream: McpUpstreamFixture;

beforeAll(async () => {
  upstream = await startMcpUpstream();
});

afterAll(async () => {
  await upstream?.close();
});

let keys = 0;

function context(action: string, payload: unknown, attempt = 1): DispatchContext {
  const request: ActionRequest = {
    idempotencyKey: `mcp-connector-test-${++keys}-${Date.now()}`,
    actor: { id: 'agent-42', type: 'agent' },
    surface: 'payments',
    action,
    target: { type: 'account', id: 'acct-7' },
    context: {},
    ...(payload === undefined ? {} : { payload: payload as ActionRequest['payload'] }),
  };
  return { idempotencyKey: request.idempotencyKey, requestHash: requestHash(request), request, attempt, signal: new AbortController().signal };
}

async function failureOf(promise: Promise<unknown>): Promise<ConnectorError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectorError);
    return err as ConnectorError;
  }
  throw new Error('the connector succeeded, but should have failed');
}

const TRANSFER = { amount: 12_000, currency: 'EUR', to: 'acct-7' };
const connector = (options: Partial<McpConnectorOptions> = {}) =>
  mcpConnector({ url: upstream.url(), timeoutMs: 5_000, tools: { transfer: 'transfer_funds' }, ...options });

describe('when the upstream tool succeeds', () => {
  it.each(['/mcp', '/mcp-json'] as const)('calls it once with the payload as arguments and the key in _meta, and returns its content (%s)', async (path) => {
    const ctx = context('transfer', TRANSFER, 3);
    const result = await connector({ url: upstream.url(path) })(ctx);
    const calls = upstream.callsFor(ctx.idempotencyKey);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.tool).toBe('transfer_funds');
    expect(calls[0]?.arguments).toEqual(TRANSFER);
    expect(calls[0]?.meta).toEqual({ 'actiongate/idempotencyKey': ctx.idempotencyKey, 'actiongate/attempt': 3 });
    const transferId = `tr-${upstream.calls.indexOf(calls[0] as UpstreamCall) + 1}`;
    expect(result).toEqual({
      content: [{ type: 'text', text: transferText(TRANSFER, transferId) }],
      structuredContent: { transferId, ...TRANSFER },
      isError: false,
    });
  });

  it('calls the tool named like the action when `tools` does not rename it', async () => {
    const ctx = context('transfer_funds', TRANSFER);
    await connector({ tools: {} })(ctx);
    expect(upstream.callsFor(ctx.idempotencyKey).map((c) => c.tool)).toEqual(['transfer_funds']);
  });

  it('sends the configured headers with every request', async () => {
    const ctx = context('transfer', TRANSFER);
    await connector({ headers: { Authorization: 'Bearer upstream-token-123', 'X-Tenant': 'acme' } })(ctx);
    expect(upstream.callsFor(ctx.idempotencyKey)[0]?.headers).toMatchObject({ authorization: 'Bearer upstream-token-123', 'x-tenant': 'acme' });
  });

  it('keeps no answer that nests deeper than 64 levels, and still succeeds (the tool ran)', async () => {
    const ctx = context('deep_answer', { depth: 100 });
    expect(await connector()(ctx)).toEqual({ content: [], isError: false, answerOmitted: expect.stringMatching(/deeper than 64 levels/) });
  });
});

describe('when the upstream refuses for good (CONNECTOR_REJECTED, not retried)', () => {
  it('a tool result with isError: the message quotes the tool, secrets redacted', async () => {
    const secret = 'upstream-secret-value-42';
    const ctx = context('fail_always', { note: `token ${secret}` });
    // As the worker makes it: the header's value with its prefix, the secret alone (resolveHeaders).
    const err = await failureOf(connector({ headers: { Authorization: `Bearer ${secret}` }, secrets: [secret] })(ctx));
    expect(err.code).toBe('CONNECTOR_REJECTED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('tool fail_always answered with an error: the ledger refused: account acct-7 is frozen (token [redacted])');
    expect(JSON.stringify(err.details)).not.toContain(secret);
    expect(upstream.callsFor(ctx.idempotencyKey)).toHaveLength(1);
  });

  it('an unknown tool', async () => {
    const err = await failureOf(connector()(context('no_such_tool', {})));
    expect(err.code).toBe('CONNECTOR_REJECTED');
    expect(err.message).toMatch(/no_such_tool/);
  });

  it('a payload that is not an object, without calling anything', async () => {
    const before = upstream.requests.length;
    const err = await failureOf(connector()(context('transfer', [1, 2])));
    expect(err.code).toBe('CONNECTOR_REJECTED');
    expect(err.message).toMatch(/not a JSON object/);
    expect(upstream.requests.length).toBe(before);
  });

  it('a redirect, which is never followed (not even to the same origin)', async () => {
    const ctx = context('transfer', TRANSFER);
    const before = upstream.requests.filter((r) => r.path === '/mcp').length;
    const err = await failureOf(connector({ url: upstream.url('/redirect') })(ctx));
    expect(err.code).toBe('CONNECTOR_REJECTED');
    expect(err.message).toMatch(/answered HTTP 307, a redirect; redirects are not followed/);
    expect(err.details).toMatchObject({ httpStatus: 307, location: '/mcp' });
    expect(upstream.requests.filter((r) => r.path === '/mcp').length).toBe(before);
    expect(upstream.callsFor(ctx.idempotencyKey)).toHaveLength(0);
  });

  it.each(['/mcp', '/mcp-json'] as const)('an answer over the size limit (%s): the tool ran, so it is not called again', async (path) => {
    const ctx = context('big_answer', { bytes: MAX_RESPONSE_BYTES + 10 });
    const err = await failureOf(connector({ url: upstream.url(path) })(ctx));
    expect(err.code).toBe('CONNECTOR_REJECTED');
    expect(err.details).toMatchObject({ cause: 'ANSWER_TOO_LARGE', limitBytes: MAX_RESPONSE_BYTES });
  });
});

describe('when the upstream fails in passing (CONNECTOR_UNAVAILABLE, retried)', () => {
  it('HTTP 503', async () => {
    const err = await failureOf(connector({ url: upstream.url('/unavailable') })(context('transfer', TRANSFER)));
    expect(err.code).toBe('CONNECTOR_UNAVAILABLE');
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/initialize answered HTTP 503/);
    expect(err.details).toMatchObject({ httpStatus: 503, phase: 'initialize' });
  });

  it('nothing listening: the error names the address', async () => {
    const port = await closedPort();
    const err = await failureOf(connector({ url: `http://127.0.0.1:${port}/mcp` })(context('transfer', TRANSFER)));
    expect(err.code).toBe('CONNECTOR_UNAVAILABLE');
    expect(err.message).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('a tool that answers later than timeoutMs', async () => {
    const started = Date.now();
    const err = await failureOf(connector({ timeoutMs: 500 })(context('slow', { ms: 3_000 })));
    expect(err.code).toBe('CONNECTOR_UNAVAILABLE');
    expect(err.details).toMatchObject({ cause: 'TIMEOUT', timeoutMs: 500, phase: 'tools/call' });
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});

describe('surfaces.json: an mcp connector', () => {
  const registry = (connector: unknown) => JSON.stringify({ version: 1, surfaces: { payments: { connector } } });
  const issuesOf = (text: string): RegistryIssue[] => {
    try {
      parseSurfaceRegistry(text);
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyError);
      return (err as PolicyError).details?.['issues'] as RegistryIssue[];
    }
    throw new Error('parsed, but should not have');
  };

  it('is read with its defaults, and the worker builds its connector', () => {
    const parsed = parseSurfaceRegistry(registry({ kind: 'mcp', url: 'http://127.0.0.1:9000/mcp', tools: { transfer: 'transfer_funds' } }));
    expect(parsed.surfaces['payments']?.connector).toEqual({ kind: 'mcp', url: 'http://127.0.0.1:9000/mcp', timeoutMs: 10_000, tools: { transfer: 'transfer_funds' } });
    expect(connectorsFromRegistry(parsed).surfaces()).toEqual(['payments']);
  });

  it('refuses a stdio upstream (a command), saying the worker supports Streamable HTTP only', () => {
    const issues = issuesOf(registry({ kind: 'mcp', url: 'stdio:./server.js', command: 'node' }));
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'surfaces.payments.connector.url', message: expect.stringMatching(/Streamable HTTP MCP endpoint \(stdio upstreams are not supported by the worker\)/) },
        { path: 'surfaces.payments.connector.command', message: 'unknown field' },
      ]),
    );
  });

  it('refuses headers the MCP transport sets, inline credentials, bad tool names and bad action names, each by path', () => {
    const issues = issuesOf(
      registry({
        kind: 'mcp',
        url: 'https://user:pw@mcp.example/mcp',
        headers: { 'Mcp-Session-Id': 'x', Authorization: 'Bearer inline', Accept: 'text/plain' },
        tools: { transfer: 'transfer funds', 'Bad Action': 'ok' },
      }),
    );
    expect(issues.map((issue) => issue.path).sort()).toEqual([
      'surfaces.payments.connector.headers.Accept',
      'surfaces.payments.connector.headers.Authorization',
      'surfaces.payments.connector.headers.Mcp-Session-Id',
      'surfaces.payments.connector.tools.Bad Action',
      'surfaces.payments.connector.tools.transfer',
      'surfaces.payments.connector.url',
    ]);
  });

  it('resolves header secrets like the http connector, naming the surface and variable when one is missing', () => {
    const parsed = parseSurfaceRegistry(registry({ kind: 'mcp', url: 'http://127.0.0.1:9000/mcp', headers: { Authorization: { env: 'LEDGER_MCP_TOKEN', prefix: 'Bearer ' } } }));
    let error: unknown;
    try {
      connectorsFromRegistry(parsed, { env: {} });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).code).toBe('CONNECTOR_SECRET_UNAVAILABLE');
    expect((error as ConnectorError).message).toBe('surface payments: header Authorization: environment variable LEDGER_MCP_TOKEN is not set');
  });
});

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
