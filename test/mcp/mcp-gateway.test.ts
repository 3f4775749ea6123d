// The MCP gateway end to end: the official SDK's MCP client, the gateway, the real worker (whose
// payments and customer-messages connectors are the fixture MCP server, surfaces.json kind "mcp"),
// a real Temporal server and Postgres, and a real upstream MCP server that records every call.
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Client, Connection } from '@temporalio/client';
import { writeFile } from 'node:fs/promises';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionGateClient } from '../../src/client/actiongate-client.js';
import { connectorsFromRegistry } from '../../src/connectors/connectors-from-registry.js';
import { demoPrivateKeyFile, demoSigner } from '../../src/demo/demo-keys.js';
import { writePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { parseGatewayConfig, type McpGatewayConfig } from '../../src/mcp/gateway-config.js';
import { serveMcpHttp, type McpHttpServer } from '../../src/mcp/gateway-http.js';
import { McpGateway } from '../../src/mcp/mcp-gateway.js';
import { derivedIdempotencyKey } from '../../src/mcp/tool-request.js';
import { loadStaticPolicySource } from '../../src/policy/policy-source.js';
import { startMcpUpstream, transferText, type McpUpstreamFixture } from '../fixtures/mcp-upstream.js';
import { connectTemporal, openPool, policiesVariant, startTestWorker, testEnv, uniqueId, type RunningWorker } from '../support/harness.js';
import { REPO_ROOT } from '../support/paths.js';
import { tempDir } from '../support/temp-dir.js';
import { runCli } from '../support/run-cli.js';
import { resolveApiConfig } from '../../src/server/api-config.js';
import { hashApiKey } from '../../src/server/authenticate.js';
import { createApiServer } from '../../src/server/http-api.js';

let upstream: McpUpstreamFixture;
let pool: pg.Pool;
let worker: RunningWorker;
let temporal: { client: Client; connection: Connection };
let taskQueue: string;
let configFile: string;
let gatewayConfig: McpGatewayConfig;
let gateway: McpGateway;
let mcp: McpClient;

/** Each run's calls differ (a unique account), so keys derived from them are new in this database. */
const RUN = uniqueId('run');

function gatewayConfigJson(keyFile: string) {
  return {
    actor: { id: 'agent-42', type: 'agent' },
    key: keyFile,
    upstreams: [
      {
        name: 'ledger',
        url: upstream.url(),
        surface: 'payments',
        tools: {
          transfer_funds: {
            action: 'transfer',
            target: { type: 'account', id: '/to' },
            context: { amount: '/amount', currency: '/currency' },
            idempotencyKey: '/reference',
          },
        },
      },
      {
        name: 'notify',
        url: upstream.url(),
        surface: 'customer-messages',
        tools: {
          fail_always: { action: 'send', target: { type: 'segment', id: '/segment' }, context: { channel: '/channel', recipient_count: '/recipients' } },
        },
      },
    ],
  };
}

beforeAll(async () => {
  upstream = await startMcpUpstream();
  pool = openPool();
  const policiesDir = await policiesVariant({
    editRegistry: (r) => {
      r.surfaces['payments']!['connector'] = { kind: 'mcp', url: upstream.url(), timeoutMs: 5_000, tools: { transfer: 'transfer_funds' } };
      r.surfaces['customer-messages']!['connector'] = { kind: 'mcp', url: upstream.url(), timeoutMs: 5_000, tools: { send: 'fail_always' } };
    },
  });
  const { source, set, error } = await loadStaticPolicySource(policiesDir);
  expect(error).toBeUndefined();
  taskQueue = uniqueId('mcp-gateway');
  worker = await startTestWorker({ taskQueue, policies: source, connectors: connectorsFromRegistry(set!.registry), pool });
  temporal = await connectTemporal();

  const dir = await tempDir('actiongate-mcp-');
  await writePrivateKeyFile(join(dir, 'agent-42.key.json'), demoPrivateKeyFile('agent-42'));
  configFile = join(dir, 'mcp-gateway.json');
  // The key is named relative to the configuration file, as a user would write it.
  await writeFile(configFile, JSON.stringify(gatewayConfigJson('agent-42.key.json'), null, 2));
  gatewayConfig = parseGatewayConfig(JSON.stringify(gatewayConfigJson(join(dir, 'agent-42.key.json'))), configFile);
  gateway = new McpGateway({
    config: gatewayConfig,
    signer: demoSigner('agent-42'),
    submitter: new ActionGateClient({ client: temporal.client, taskQueue }),
  });
  mcp = await connectInMemory(gateway);
}, 120_000);

afterAll(async () => {
  await mcp?.close();
  await worker?.stop();
  await temporal?.connection.close();
  await pool?.end();
  await upstream?.close();
});

async function connectInMemory(g: McpGateway): Promise<McpClient> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await g.createServer().connect(serverSide);
  const client = new McpClient({ name: 'test-agent', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

async function call(client: McpClient, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function textOf(result: CallToolResult): string {
  return result.content.map((block) => (block.type === 'text' ? block.text : '')).join('\n');
}

async function receiptsOf(key: string): Promise<Array<{ kind: string; outcome: string; receipt_id: string }>> {
  const { rows } = await pool.query('SELECT kind, outcome, receipt_id FROM receipts WHERE idempotency_key = $1 ORDER BY seq', [key]);
  return rows;
}

const transfer = (amount: number, extra: Record<string, unknown> = {}) => ({ amount, currency: 'EUR', to: `acct-${RUN}`, ...extra });
const keyOf = (args: Record<string, unknown>) => derivedIdempotencyKey('payments', 'transfer', 'agent-42', args);

describe('when the MCP client lists the tools', () => {
  it('offers the configured tools with their upstream input schemas, and nothing else', async () => {
    const { tools } = await mcp.listTools();
    expect(tools.map((t) => t.name)).toEqual(['transfer_funds', 'fail_always']);
    const transferTool = tools[0];
    expect(transferTool?.inputSchema).toMatchObject({ type: 'object', properties: { amount: { type: 'integer' }, currency: { type: 'string' }, to: { type: 'string' } } });
    expect(transferTool?.description).toMatch(/^Moves money from the company account/);
    expect(transferTool?.description).toMatch(/Governed by ActionGate \(payments\.transfer\)/);
    // A refusal's structuredContent would not match the upstream's output schema.
    expect(transferTool?.outputSchema).toBeUndefined();
  });
});

describe('when the policies permit the call', () => {
  it('forwards it upstream once and returns the upstream tool\'s own answer', async () => {
    const args = transfer(12_000);
    const key = keyOf(args);
    const result = await call(mcp, 'transfer_funds', args);
    expect(result.isError).toBeFalsy();
    const calls = upstream.callsFor(key);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.arguments).toEqual(args);
    expect(calls[0]?.meta).toEqual({ 'actiongate/idempotencyKey': key, 'actiongate/attempt': 1 });
    const transferId = `tr-${upstream.calls.indexOf(calls[0]!) + 1}`;
    expect(result.content).toEqual([{ type: 'text', text: transferText(args, transferId) }]);
    expect(result.structuredContent).toEqual({ transferId, ...args });
    const rows = await receiptsOf(key);
    expect(rows.map((r) => [r.kind, r.outcome])).toEqual([
      ['decision', 'PERMIT'],
      ['outcome', 'succeeded'],
    ]);
    expect(result._meta?.['actiongate/action']).toEqual({ idempotencyKey: key, receipts: { decision: rows[0]?.receipt_id, outcome: rows[1]?.receipt_id } });
  });

  it('answers a repeated call with the first answer, without a second upstream call', async () => {
    const args = transfer(13_000);
    const first = await call(mcp, 'transfer_funds', args);
    const again = await call(mcp, 'transfer_funds', { ...args });
    expect(again).toEqual(first);
    expect(upstream.callsFor(keyOf(args))).toHaveLength(1);
    expect(await receiptsOf(keyOf(args))).toHaveLength(2);
  });

  it('uses the key the caller supplies in the mapped argument', async () => {
    const reference = uniqueId('inv');
    const result = await call(mcp, 'transfer_funds', transfer(14_000, { reference }));
    expect(result.isError).toBeFalsy();
    expect(upstream.callsFor(reference)).toHaveLength(1);
    expect((await receiptsOf(reference)).map((r) => r.outcome)).toEqual(['PERMIT', 'succeeded']);
  });
});

describe('when the policies refuse the call', () => {
  it('answers DENY as a tool error with the reasons, receipt id and key, and the upstream sees nothing', async () => {
    const args = transfer(60_000);
    const key = keyOf(args);
    const callsBefore = upstream.calls.length;
    const result = await call(mcp, 'transfer_funds', args);
    expect(result.isError).toBe(true);
    const [decisionRow] = await receiptsOf(key);
    expect(decisionRow).toMatchObject({ kind: 'decision', outcome: 'DENY' });
    const text = textOf(result);
    expect(text).toContain('ActionGate refused this action: DENY. Nothing was sent to the tool.');
    expect(text).toContain('Reasons: payments.forbid-agent-over-limit');
    expect(text).toContain(`Decision receipt: ${decisionRow?.receipt_id}`);
    expect(text).toContain(`Idempotency key: ${key}`);
    expect(result.structuredContent).toEqual({
      outcome: 'DENY',
      reasons: ['payments.forbid-agent-over-limit'],
      detail: null,
      idempotencyKey: key,
      receipts: { decision: decisionRow?.receipt_id, outcome: null },
    });
    expect(upstream.calls.length).toBe(callsBefore);
    expect(upstream.callsFor(key)).toHaveLength(0);
  });
});

describe('when the upstream tool fails', () => {
  it('answers a tool error with the connector\'s code and the tool\'s message; the receipts say PERMIT, then failed', async () => {
    const segment = `segment-${RUN}`;
    const args = { segment, channel: 'email', recipients: 5, note: 'try later' };
    const key = derivedIdempotencyKey('customer-messages', 'send', 'agent-42', args);
    const result = await call(mcp, 'fail_always', args);
    expect(result.isError).toBe(true);
    const rows = await receiptsOf(key);
    expect(rows.map((r) => [r.kind, r.outcome])).toEqual([
      ['decision', 'PERMIT'],
      ['outcome', 'failed'],
    ]);
    const text = textOf(result);
    expect(text).toMatch(/^ActionGate permitted this action \(PERMIT\), but the tool failed: CONNECTOR_REJECTED: MCP .* tool fail_always answered with an error: the ledger refused: account acct-7 is frozen \(try later\)\./);
    expect(text).toContain(`Decision receipt: ${rows[0]?.receipt_id}`);
    expect(text).toContain(`Outcome receipt: ${rows[1]?.receipt_id}`);
    expect(result.structuredContent).toMatchObject({ outcome: 'PERMIT', dispatch: { status: 'failed', error: { code: 'CONNECTOR_REJECTED' } } });
    // Refused for good: called once, not retried.
    expect(upstream.callsFor(key)).toHaveLength(1);
  });
});

describe('when the call does not fit the configuration', () => {
  it('a tool the configuration does not offer is an MCP error, and nothing reaches the upstream', async () => {
    const before = upstream.calls.length;
    const error = await mcp.callTool({ name: 'delete_everything', arguments: {} }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(ErrorCode.InvalidParams);
    expect((error as McpError).message).toMatch(/tool delete_everything is not offered by this gateway/);
    expect(upstream.calls.length).toBe(before);
  });

  it.each([
    [{ amount: 12_000, currency: 'EUR' }, /argument "to" is missing \(it is the account the action is done to\)/],
    [{ amount: 12_000, currency: 'EUR', to: 42 }, /argument "to" must be a non-empty string \(it is the account the action is done to\), not a number/],
    [{ currency: 'EUR', to: 'acct-7' }, /argument "amount" is missing \(it is the context amount of the policies\)/],
    [{ amount: 12_000, currency: 'EUR', to: 'acct-7', reference: 'has spaces' }, /argument "reference" may hold only the characters/],
  ])('a bad argument is a tool error naming it, and nothing is submitted (%j)', async (args, message) => {
    const before = upstream.calls.length;
    const result = await call(mcp, 'transfer_funds', args);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(message);
    expect(result.structuredContent).toMatchObject({ code: 'BAD_ARGUMENTS' });
    expect(upstream.calls.length).toBe(before);
    expect(await receiptsOf(keyOf(args))).toEqual([]);
  });
});

describe('when the gateway is served over Streamable HTTP', () => {
  let http: McpHttpServer;

  beforeAll(async () => {
    http = await serveMcpHttp(gateway, { host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await http?.close();
  });

  it('an MCP client lists and calls the tools through it', async () => {
    const client = new McpClient({ name: 'test-agent-http', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['transfer_funds', 'fail_always']);
      const args = transfer(15_000);
      const result = await call(client, 'transfer_funds', args);
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject(args);
      expect(upstream.callsFor(keyOf(args))).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it.each([
    ['a Host that is not the server (DNS rebinding)', { host: 'evil.example' }],
    ['a browser page of another origin', { origin: 'http://evil.example' }],
  ])('refuses %s with 403, before any MCP', async (_what, headers) => {
    const before = upstream.requests.length;
    const status = await postStatus(http.url, headers);
    expect(status).toBe(403);
    expect(upstream.requests.length).toBe(before);
  });
});

describe('when `actiongate mcp` runs over stdio', () => {
  it('an MCP client that spawns it lists the tools and gets a permitted call carried out', async () => {
    const env = testEnv();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(REPO_ROOT, 'bin', 'actiongate.js'), 'mcp', '--config', configFile],
      env: {
        PATH: process.env.PATH ?? '',
        TEMPORAL_ADDRESS: env.temporalAddress,
        TEMPORAL_NAMESPACE: env.namespace,
        ACTIONGATE_TASK_QUEUE: taskQueue,
      },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk) => (stderr += String(chunk)));
    const client = new McpClient({ name: 'test-agent-stdio', version: '1.0.0' });
    try {
      await client.connect(transport);
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['transfer_funds', 'fail_always']);
      const args = transfer(16_000);
      const result = await call(client, 'transfer_funds', args);
      expect(result.isError, stderr).toBeFalsy();
      expect(result.content).toEqual([{ type: 'text', text: expect.stringMatching(/^Transferred 160\.00 EUR to acct-/) }]);
      expect(upstream.callsFor(keyOf(args))).toHaveLength(1);
      expect(stderr).toContain('mcp: serving transfer_funds, fail_always over stdio as agent-42');
      // It ends when the client closes its standard input: the SDK sends SIGTERM only after 2 s.
      const closing = Date.now();
      await client.close();
      expect(Date.now() - closing).toBeLessThan(2_000);
    } finally {
      await client.close();
    }
  });
});

describe('when `actiongate mcp --api URL` submits through the HTTP API', () => {
  it('carries out a permitted call with no Temporal credentials: MCP client → gateway → HTTP API → gate → upstream, once', async () => {
    const apiKey = 'agk_mcp_gateway_test_agent42_0123456789';
    const loaded = await resolveApiConfig({ auth: { apiKeys: [{ principal: 'agent-42', sha256: hashApiKey(apiKey) }] } }, REPO_ROOT, 'test API configuration');
    const api = await createApiServer({ loaded, client: temporal.client, taskQueue, pool, log: () => {} });
    await api.listen({ port: 0, host: '127.0.0.1' });
    const address = api.server.address();
    const apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    // No TEMPORAL_* and no task queue: the gateway reaches the gate only through the API.
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(REPO_ROOT, 'bin', 'actiongate.js'), 'mcp', '--config', configFile, '--api', apiUrl],
      env: { PATH: process.env.PATH ?? '', TEMPORAL_ADDRESS: '127.0.0.1:1', ACTIONGATE_API_TOKEN: apiKey },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk) => (stderr += String(chunk)));
    const client = new McpClient({ name: 'test-agent-api', version: '1.0.0' });
    try {
      await client.connect(transport);
      const args = transfer(17_000);
      const result = await call(client, 'transfer_funds', args);
      expect(result.isError, `${stderr}\n${textOf(result)}`).toBeFalsy();
      expect(result.content).toEqual([{ type: 'text', text: expect.stringMatching(/^Transferred 170\.00 EUR to acct-/) }]);
      expect(upstream.callsFor(keyOf(args))).toHaveLength(1);
      expect(stderr).toContain(`as agent-42 (through the HTTP API at ${apiUrl})`);
      // The gateway signed as the agent: the receipt names the agent's own key, not a gateway's.
      const { rows } = await pool.query("SELECT body FROM receipts WHERE idempotency_key = $1 AND kind = 'decision'", [keyOf(args)]);
      expect(rows[0]?.body.actor).toEqual({ id: 'agent-42', type: 'agent', keyId: demoSigner('agent-42').keyId });
    } finally {
      await client.close();
      await api.close();
    }
  });

  it('refuses to start without ACTIONGATE_API_TOKEN (exit 2)', async () => {
    const { code, stderr } = await runCli(['mcp', '--config', configFile, '--api', 'http://127.0.0.1:9']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--api needs ACTIONGATE_API_TOKEN/);
  });
});

/** The status of a bare POST to `url` with these headers (node:http, which lets a test set Host). */
function postStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }));
  });
}
