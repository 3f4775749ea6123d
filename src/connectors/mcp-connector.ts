import type { ConnectorHandler } from './connector.js';
import { ConnectorError } from './connector.js';
import { ERROR_EXCERPT_CHARS, MAX_BODY_DEPTH, MAX_RESPONSE_BYTES, checkedHeaders, codePointPrefix, nestsWithin, redact } from './http-connector.js';
import { openUpstream, type UpstreamConnection } from './mcp-upstream.js';

export interface McpConnectorOptions {
  /** The upstream's Streamable HTTP endpoint (stdio servers are not supported: a worker spawns no processes). */
  url: string;
  /** Per attempt, for the whole session (initialize and tools/call); the dispatch activity's retry policy bounds the whole. */
  timeoutMs?: number;
  /** Extra request headers with their values (secrets resolved: see `resolveHeaders`); kept out of errors and results. */
  headers?: Record<string, string>;
  /** Secret values (without prefix) to keep out of error messages and details. */
  secrets?: readonly string[];
  /** Action name to upstream tool name; an action not listed calls the tool of its own name. */
  tools?: Readonly<Record<string, string>>;
  /** For tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** The `_meta` keys a tools/call carries, so the upstream can drop a repeat of the same action. */
export const MCP_META = {
  idempotencyKey: 'actiongate/idempotencyKey',
  attempt: 'actiongate/attempt',
} as const;

/**
 * What {@link mcpConnector} returns when the tool succeeded: the upstream's `content` and
 * `structuredContent`, as JSON. When they nest deeper than {@link MAX_BODY_DEPTH} levels they are
 * not kept (the result is hashed by a recursive encoder): `content` is empty and `answerOmitted`
 * says why. The tool still ran, so it is still a success.
 */
export type McpConnectorResult =
  | { content: unknown[]; structuredContent?: Record<string, unknown>; isError: false }
  | { content: []; isError: false; answerOmitted: string };

/**
 * Carries out a permitted action as one MCP `tools/call` on an upstream server, with the SDK's
 * client over Streamable HTTP: a session per attempt (initialize, call, close), arguments = the
 * request's payload (a JSON object), and `_meta` with the idempotency key and the attempt number
 * ({@link MCP_META}), so that an upstream that honours them performs the action once, however often it is
 * delivered (delivery is at least once, as for the HTTP connector).
 *
 * - A result with `isError: true` is a permanent refusal (`CONNECTOR_REJECTED`) whose message quotes
 *   the tool's text (redacted, at most 500 characters); so is an unknown tool or any request the server
 *   refuses (a JSON-RPC error), an answer that is not MCP, any HTTP 4xx, and any 3xx: redirects are
 *   never followed.
 * - Network faults, HTTP 5xx, 408 and 429, a closed connection, the server's internal error and
 *   the timeout pass (`CONNECTOR_UNAVAILABLE`): the dispatch is retried under the same key.
 * - At most {@link MAX_RESPONSE_BYTES} of an HTTP answer are read; a larger one is refused
 *   (`CONNECTOR_REJECTED`, details `cause: "ANSWER_TOO_LARGE"`): the tool was called, and whether it
 *   succeeded cannot be told, so it is not called again; reconcile with the upstream by key.
 *
 * @example defineConnector('payments', mcpConnector({ url: 'http://127.0.0.1:9000/mcp', tools: { transfer: 'transfer_funds' } }))
 */
export function mcpConnector(options: McpConnectorOptions): ConnectorHandler {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const headers = checkedHeaders(options.headers ?? {});
  const secrets = [...(options.secrets ?? []), ...Object.values(headers)].filter((value) => value.length >= 8).sort((a, b) => b.length - a.length);
  return async (ctx): Promise<McpConnectorResult> => {
    const tool = options.tools?.[ctx.request.action] ?? ctx.request.action;
    const args = ctx.request.payload;
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      throw new ConnectorError('CONNECTOR_REJECTED', `the payload of ${ctx.idempotencyKey} is not a JSON object; it is the arguments of MCP tool ${tool}`, {
        url: options.url,
        tool,
      });
    }
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
    let upstream: UpstreamConnection | undefined;
    let phase: 'initialize' | 'tools/call' = 'initialize';
    try {
      upstream = await openUpstream({ url: options.url, headers, secrets, timeoutMs, signal, clientName: 'actiongate-worker', ...(options.fetch ? { fetch: options.fetch } : {}) });
      await upstream.connect();
      phase = 'tools/call';
      const result = await upstream.client.callTool(
        { name: tool, arguments: args, _meta: { [MCP_META.idempotencyKey]: ctx.idempotencyKey, [MCP_META.attempt]: ctx.attempt } },
        undefined,
        upstream.requestOptions,
      );
      return answerOf(result, { url: options.url, tool, secrets });
    } catch (err) {
      throw upstream ? upstream.failure(err, phase) : err;
    } finally {
      await upstream?.close();
    }
  };
}

/** The tool's answer as JSON, or its error as a refusal. */
function answerOf(result: Record<string, unknown>, where: { url: string; tool: string; secrets: readonly string[] }): McpConnectorResult {
  if (result.isError === true) {
    const text = textOf(result.content);
    const quoted = codePointPrefix(redact(text, where.secrets), ERROR_EXCERPT_CHARS);
    throw new ConnectorError('CONNECTOR_REJECTED', `MCP ${where.url} tool ${where.tool} answered with an error: ${quoted}`, {
      url: where.url,
      tool: where.tool,
      isError: true,
      text: quoted,
    });
  }
  // Plain JSON (no undefined, no class instances) is what the dispatch activity hashes and stores.
  const answer = JSON.parse(
    JSON.stringify({ content: Array.isArray(result.content) ? result.content : [], ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}) }),
  ) as { content: unknown[]; structuredContent?: Record<string, unknown> };
  if (!nestsWithin(answer, MAX_BODY_DEPTH)) {
    return { content: [], isError: false, answerOmitted: `the tool's answer nests deeper than ${MAX_BODY_DEPTH} levels and was not kept` };
  }
  return { ...answer, isError: false };
}

/** The text blocks of a tool result, one per line; what a model would read of an error. */
function textOf(content: unknown): string {
  const texts = (Array.isArray(content) ? content : [])
    .filter((block): block is { type: 'text'; text: string } => typeof block === 'object' && block !== null && block.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text);
  return texts.length > 0 ? texts.join('\n') : '(no text)';
}
