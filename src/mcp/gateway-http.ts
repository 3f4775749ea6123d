import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { McpGateway } from './mcp-gateway.js';

export interface McpHttpServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:7070/mcp. */
  readonly url: string;
  close(): Promise<void>;
}

/** The MCP endpoint's path. */
export const MCP_PATH = '/mcp';

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'];

/** Largest JSON-RPC message taken (a request is at most 64 KiB as canonical JSON). */
const MAX_BODY_BYTES = 1_048_576;

/**
 * Serves the gateway over Streamable HTTP at {@link MCP_PATH}, stateless: every POST gets its own
 * MCP server and transport (no sessions, so no standalone SSE stream: GET and DELETE are 405).
 *
 * It has no authentication of its own: whoever reaches it acts as the gateway's actor. So, on a
 * loopback host (the default), it refuses (403) a request whose `Host` is not that host and port
 * (DNS rebinding: a web page whose name resolves to 127.0.0.1), and on any host a request with an
 * `Origin` other than its own loopback origin (a browser page calling it).
 *
 * @example const http = await serveMcpHttp(gateway, { host: '127.0.0.1', port: 7070 }); // http.url
 */
export async function serveMcpHttp(gateway: McpGateway, options: { host: string; port: number; log?: (line: string) => void }): Promise<McpHttpServer> {
  const log = options.log ?? (() => undefined);
  let allowedHosts: Set<string> | undefined;
  let allowedOrigins = new Set<string>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== MCP_PATH) return reply(res, 404, 'Not found: the MCP endpoint is /mcp');
    if (allowedHosts && !allowedHosts.has((req.headers.host ?? '').toLowerCase())) return reply(res, 403, 'Forbidden: Host is not this server');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin.toLowerCase())) return reply(res, 403, 'Forbidden: Origin not allowed');
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return reply(res, 405, 'Method not allowed: this server is stateless (POST only)');
    }
    const server = gateway.createServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, maxRequestBodySize: MAX_BODY_BYTES });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };

  const http = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`mcp: ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) reply(res, 500, 'Internal error');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  if (LOOPBACK_HOSTS.includes(options.host)) {
    allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
    allowedOrigins = new Set([...allowedHosts].map((host) => `http://${host}`));
  }
  const shown = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shown}:${port}${MCP_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/** A JSON-RPC error answer (what MCP clients expect to parse), with the HTTP status. */
function reply(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}
