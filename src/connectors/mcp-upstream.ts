import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ConnectorError, type ConnectorErrorCode } from './connector.js';
import { ERROR_EXCERPT_CHARS, MAX_RESPONSE_BYTES, codePointPrefix, describeFetchFailure, redact } from './http-connector.js';

/** What the connection is opened for, in messages: the MCP request that failed. */
export type UpstreamPhase = 'initialize' | 'tools/list' | 'tools/call';

export interface UpstreamOptions {
  /** A Streamable HTTP MCP endpoint. */
  url: string;
  /** Sent with every request, already resolved (secrets included); kept out of errors. */
  headers?: Record<string, string>;
  /** Secret values to keep out of error messages and details (header values of 8 characters or more are kept out anyway). */
  secrets?: readonly string[];
  /** Bounds each request, and the whole connection through {@link signal}. */
  timeoutMs: number;
  /** Ends every request of the connection (the dispatch activity's cancellation, a deadline). */
  signal: AbortSignal;
  /** The most bytes of one HTTP answer read; default {@link MAX_RESPONSE_BYTES}. */
  maxResponseBytes?: number;
  /** `clientInfo.name` sent in `initialize`. */
  clientName: string;
  /** For tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** An MCP client session with one upstream server, through a fetch that never follows a redirect. */
export interface UpstreamConnection {
  readonly client: Client;
  /** Options for every request of this session: its signal and timeout. */
  readonly requestOptions: RequestOptions;
  /** Opens the session (`initialize`). */
  connect(): Promise<void>;
  /**
   * What a failure of this session means, as a ConnectorError: a refusal of the guarded fetch (a
   * redirect, an answer over the limit) first, whatever the SDK made of it; then the SDK's errors.
   */
  failure(err: unknown, phase: UpstreamPhase): ConnectorError;
  /** Ends the session (DELETE when the server gave one) and the transport; never throws. */
  close(): Promise<void>;
}

// Informational (MCP clientInfo.version), not the package's version.
const CLIENT_VERSION = '1.0.0';

/**
 * A session with an upstream MCP server over Streamable HTTP, made with the official SDK. The SDK is
 * imported here, on first use, so workers without MCP connectors and the CLI's other commands
 * never load it. Every HTTP request goes through a fetch that:
 * - asks for `redirect: 'manual'` and refuses any 3xx (`CONNECTOR_REJECTED`): the SDK would follow
 *   a same-origin redirect by itself, and the arguments must reach the configured URL or nowhere;
 * - reads at most `maxResponseBytes` of an answer (`CONNECTOR_REJECTED` past it);
 * - adds the configured headers and the connection's signal.
 *
 * @example
 * const upstream = await openUpstream({ url, timeoutMs: 10_000, signal, clientName: 'actiongate-worker' });
 * try { await upstream.connect(); await upstream.client.listTools(undefined, upstream.requestOptions); }
 * finally { await upstream.close(); }
 */
export async function openUpstream(options: UpstreamOptions): Promise<UpstreamConnection> {
  const [{ Client: McpClient }, { StreamableHTTPClientTransport, StreamableHTTPError }, { McpError, ErrorCode }] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]);
  const headers = options.headers ?? {};
  const secrets = [...(options.secrets ?? []), ...Object.values(headers)].filter((value) => value.length >= 8).sort((a, b) => b.length - a.length);
  const limit = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  // A refusal stops the session at once: the SDK reports some failures only to onerror (an SSE
  // stream that breaks), and the request would otherwise wait for its timeout.
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  let refusal: ConnectorError | undefined;
  const refuse = (error: ConnectorError): ConnectorError => {
    refusal ??= error;
    stop.abort(error);
    return error;
  };
  const baseFetch = options.fetch ?? fetch;
  const guardedFetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const method = init?.method ?? 'GET';
    const requestHeaders = new Headers(init?.headers);
    for (const [name, value] of Object.entries(headers)) requestHeaders.set(name, value);
    const response = await baseFetch(url, {
      ...init,
      headers: requestHeaders,
      redirect: 'manual',
      signal: init?.signal ? AbortSignal.any([signal, init.signal]) : signal,
    });
    // A fetch that filters redirects (as browsers do) answers them with type opaqueredirect and status 0.
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      await response.body?.cancel().catch(() => undefined);
      const location = response.headers.get('location');
      throw refuse(
        new ConnectorError('CONNECTOR_REJECTED', `${method} ${options.url} answered HTTP ${response.status}, a redirect; redirects are not followed`, {
          url: options.url,
          httpStatus: response.status,
          location: location === null ? null : redact(location, secrets),
        }),
      );
    }
    return limitBody(response, limit, () =>
      refuse(
        new ConnectorError(
          'CONNECTOR_REJECTED',
          `${method} ${options.url}: the answer is larger than ${limit} bytes and was not read to the end`,
          { url: options.url, cause: 'ANSWER_TOO_LARGE', limitBytes: limit },
        ),
      ),
    );
  };
  const transport = new StreamableHTTPClientTransport(new URL(options.url), {
    fetch: guardedFetch,
    // A broken stream is a failure of this one request: no reconnection behind the caller's back.
    reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1_000, maxReconnectionDelay: 1_000, reconnectionDelayGrowFactor: 1 },
  });
  const client = new McpClient({ name: options.clientName, version: CLIENT_VERSION });
  // The SDK's own request timeout only backs up the signal, so a timeout is reported as one (TIMEOUT).
  const requestOptions: RequestOptions = { signal, timeout: options.timeoutMs + 1_000 };

  const failure = (err: unknown, phase: UpstreamPhase): ConnectorError => {
    if (refusal) return refusal;
    if (err instanceof ConnectorError) return err;
    const where = `MCP ${options.url} ${phase}`;
    const fail = (code: ConnectorErrorCode, what: string, details: Record<string, unknown> = {}) =>
      new ConnectorError(code, redact(`${where} ${what}`, secrets), { url: options.url, phase, ...details });
    if (options.signal.aborted) {
      const reason: unknown = options.signal.reason;
      const timedOut = reason instanceof DOMException && reason.name === 'TimeoutError';
      return timedOut
        ? fail('CONNECTOR_UNAVAILABLE', `timed out after ${options.timeoutMs} ms (timeoutMs)`, { cause: 'TIMEOUT', timeoutMs: options.timeoutMs })
        : fail('CONNECTOR_UNAVAILABLE', 'was cancelled', { cause: 'CANCELLED' });
    }
    if (err instanceof StreamableHTTPError) {
      const status = err.code ?? -1;
      const text = excerpt(err.message.replace(/^Streamable HTTP error: /, ''), secrets);
      if (status < 100) return fail('CONNECTOR_REJECTED', `answered something that is not MCP: ${text}`);
      // As for the HTTP connector: server faults, timeouts and throttling pass; any other status is a refusal.
      const passing = status >= 500 || status === 408 || status === 429;
      return fail(passing ? 'CONNECTOR_UNAVAILABLE' : 'CONNECTOR_REJECTED', `answered HTTP ${status}`, { httpStatus: status, body: text });
    }
    if (err instanceof McpError) {
      // Closed connections, timeouts and the server's internal errors pass; a request it refuses does not.
      const passing = err.code === ErrorCode.ConnectionClosed || err.code === ErrorCode.RequestTimeout || err.code === ErrorCode.InternalError;
      return fail(passing ? 'CONNECTOR_UNAVAILABLE' : 'CONNECTOR_REJECTED', `failed: ${excerpt(err.message, secrets)}`, { mcpErrorCode: err.code });
    }
    if (err instanceof TypeError && /fetch failed/i.test(err.message)) {
      const described = describeFetchFailure(err, { timedOut: false, cancelled: false, timeoutMs: options.timeoutMs });
      return fail('CONNECTOR_UNAVAILABLE', described.message, described.details);
    }
    // Anything else (an answer that is not an MCP result, an SDK fault) is not retried: the tool may
    // have run, and a retry would call it again.
    const message = err instanceof Error ? err.message : String(err);
    return fail('CONNECTOR_REJECTED', `failed: ${excerpt(message, secrets)}`);
  };

  return {
    client,
    requestOptions,
    async connect() {
      await client.connect(transport, requestOptions);
    },
    failure,
    async close() {
      // Best effort: the session's answer is what counts, not how it ended.
      if (!signal.aborted) await transport.terminateSession().catch(() => undefined);
      await client.close().catch(() => undefined);
    },
  };
}

/** `text` redacted, then cut to at most {@link ERROR_EXCERPT_CHARS} code units (so no part of a secret survives). */
function excerpt(text: string, secrets: readonly string[]): string {
  return codePointPrefix(redact(text, secrets), ERROR_EXCERPT_CHARS);
}

/** `response` with a body that errors once more than `limit` bytes have come (and calls `exceeded`). */
function limitBody(response: Response, limit: number, exceeded: () => Error): Response {
  if (!response.body) return response;
  let size = 0;
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > limit) {
          controller.error(exceeded());
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
