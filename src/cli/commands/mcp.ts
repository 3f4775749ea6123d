import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ActionGateClient } from '../../client/actiongate-client.js';
import { ActionGateHttpClient } from '../../client/http-client.js';
import { ConnectorError } from '../../connectors/connector.js';
import { resolveHeaders, type ResolvedHeaders } from '../../connectors/connector-secrets.js';
import { KeyError } from '../../keys/key-error.js';
import { readPrivateKeyFile } from '../../keys/private-key-file.js';
import type { Signer } from '../../keys/signer.js';
import { parseGatewayConfig, type McpGatewayConfig } from '../../mcp/gateway-config.js';
import { McpGatewayError } from '../../mcp/gateway-error.js';
import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import type { ActionGateConfig } from '../config.js';
import { connectClient } from '../connect-lazy.js';
import { MCP_HELP } from '../help.js';
import { parseCommandArgs } from '../parse-command-args.js';

/**
 * `actiongate mcp --config FILE [--http PORT [--host HOST]]`: the MCP gateway, over stdio (until
 * standard input ends) or Streamable HTTP (until SIGINT or SIGTERM). Standard output is the MCP
 * channel in stdio mode: everything else goes to standard error.
 */
export async function mcpCommand(config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('mcp', args, {
    config: { type: 'string' },
    http: { type: 'string' },
    host: { type: 'string' },
    api: { type: 'string' },
  });
  if (values.help) {
    io.out(MCP_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new CliError('USAGE', `mcp takes no arguments (got ${JSON.stringify(positionals[0])}); the configuration is --config FILE`);
  if (values.config === undefined) throw new CliError('USAGE', 'mcp: --config FILE is required; run actiongate mcp --help');
  if (values.host !== undefined && values.http === undefined) throw new CliError('USAGE', 'mcp: --host is for --http PORT');
  const port = values.http === undefined ? undefined : parsePort(values.http);
  const api = values.api === undefined ? undefined : parseApiUrl(values.api);
  if (api && !config.apiToken) throw new CliError('USAGE', 'mcp: --api needs ACTIONGATE_API_TOKEN (a bearer JWT or API key of the actor)');

  const file = resolve(values.config);
  const gatewayConfig = await readGatewayConfig(file);
  const signer = await readActorKey(resolve(dirname(file), gatewayConfig.key), file);
  const upstreamHeaders = resolveUpstreamHeaders(gatewayConfig);

  // Loaded now, not before: --help and usage errors load neither the SDK nor Temporal. With --api
  // the gateway holds no Temporal credentials at all: it submits through the HTTP API.
  const [{ McpGateway }, temporal] = await Promise.all([import('../../mcp/mcp-gateway.js'), api ? undefined : connectClient(config)]);
  const via = api ? `the HTTP API at ${api.origin}` : `task queue ${config.taskQueue}`;
  try {
    const submitter = api
      ? new ActionGateHttpClient({ baseUrl: api, token: config.apiToken as string })
      : new ActionGateClient({ client: (temporal as NonNullable<typeof temporal>).client, taskQueue: config.taskQueue });
    const gateway = new McpGateway({ config: gatewayConfig, signer, submitter, upstreamHeaders, log: io.log });
    const tools = [...gateway.tools.keys()].join(', ');
    if (port === undefined) {
      const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
      const server = gateway.createServer();
      const stopped = untilStopped(['stdin']);
      await server.connect(new StdioServerTransport());
      io.log(`mcp: serving ${tools} over stdio as ${gatewayConfig.actor.id} (through ${via})`);
      await stopped;
      await gateway.drain();
      await server.close();
    } else {
      const { serveMcpHttp } = await import('../../mcp/gateway-http.js');
      const host = values.host ?? '127.0.0.1';
      const stopped = untilStopped([]);
      const http = await serveMcpHttp(gateway, { host, port, log: io.log }).catch((err: NodeJS.ErrnoException) => {
        throw new CliError('FAILED', `mcp: cannot listen on ${host}:${port} (${err.code ?? err.message})`);
      });
      io.log(`mcp: serving ${tools} at ${http.url} (Streamable HTTP) as ${gatewayConfig.actor.id} (through ${via})`);
      if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
        io.log(`mcp: WARNING: ${host} is not a loopback address and the gateway has no authentication: whoever reaches it acts as ${gatewayConfig.actor.id}`);
      }
      await stopped;
      await http.close();
      await gateway.drain();
    }
    return 0;
  } finally {
    await temporal?.connection.close();
  }
}

function parseApiUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError('USAGE', `mcp: --api takes the HTTP API's URL (http(s)://host:port), not ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError('USAGE', `mcp: --api must be an http(s) URL, not ${url.protocol}`);
  if (url.username || url.password) throw new CliError('USAGE', 'mcp: --api must not carry credentials: give ACTIONGATE_API_TOKEN');
  return url;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new CliError('USAGE', `mcp: --http takes a port number (0 to 65535; 0 picks a free one), not ${JSON.stringify(text)}`);
  return port;
}

async function readGatewayConfig(file: string): Promise<McpGatewayConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError('INVALID_INPUT', `--config: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    return parseGatewayConfig(text, file);
  } catch (err) {
    if (err instanceof McpGatewayError) throw new CliError('INVALID_INPUT', err.message, err.details);
    throw err;
  }
}

async function readActorKey(path: string, file: string): Promise<Signer> {
  try {
    return await readPrivateKeyFile(path);
  } catch (err) {
    if (err instanceof KeyError) throw new CliError('INVALID_INPUT', `${file}: key: ${err.message}`);
    throw err;
  }
}

/** Each upstream's headers, secrets read now: a missing one stops the gateway at start, naming it. */
function resolveUpstreamHeaders(config: McpGatewayConfig): Record<string, ResolvedHeaders> {
  const out: Record<string, ResolvedHeaders> = {};
  for (const upstream of config.upstreams) {
    try {
      out[upstream.name] = resolveHeaders(upstream.surface, upstream.headers, {}, `upstream ${upstream.name}`);
    } catch (err) {
      if (err instanceof ConnectorError) throw new CliError('CONFIG', `${err.code}: ${err.message}`);
      throw err;
    }
  }
  return out;
}

/** Resolves on SIGINT or SIGTERM, or (with 'stdin') when standard input ends: the MCP client went away. */
function untilStopped(sources: Array<'stdin'>): Promise<void> {
  return new Promise((resolveStopped) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveStopped();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (sources.includes('stdin')) {
      process.stdin.once('end', stop);
      process.stdin.once('close', stop);
    }
  });
}
