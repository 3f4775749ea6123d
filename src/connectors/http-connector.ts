import type { ConnectorHandler } from './connector.js';
import { ConnectorError } from './connector.js';
import type { resolveHeaders } from './connector-secrets.js';

export interface HttpConnectorOptions {
  url: string;
  /** Per attempt; the dispatch activity's retry policy bounds the whole. */
  timeoutMs?: number;
  /**
   * Extra request headers, with their values (secrets included, already resolved: see
   * {@link resolveHeaders}). They are kept inside the handler, never in its errors or results.
   * The connector's own headers (Content-Type, Idempotency-Key, X-ActionGate-*) always win.
   */
  headers?: Record<string, string>;
  /**
   * Secret values (without prefix) to keep out of error messages and details, should the external
   * system quote one back. Header values of 8 characters or more are kept out anyway.
   */
  secrets?: readonly string[];
  /** For tests and custom agents; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/**
 * What {@link httpConnector} returns for a 2xx answer. `body` is the parsed JSON, the text when
 * it is not JSON (or nests deeper than 64 levels), or null when empty or unreadable. A body over
 * {@link MAX_RESPONSE_BYTES} is not read to the end: the action still happened, so it is still a
 * success, with `body: null`, `bodyTruncated: true` and the limit it went over.
 */
export type HttpConnectorResult =
  | { httpStatus: number; body: unknown }
  | { httpStatus: number; body: null; bodyTruncated: true; bodyLimitBytes: number };

/** The most of a response body the connector reads; the rest is cancelled unread. */
export const MAX_RESPONSE_BYTES = 1_048_576;

/** An error answer's excerpt, in UTF-16 code units; its bytes are read with room to spare. */
export const ERROR_EXCERPT_CHARS = 500;
const ERROR_EXCERPT_BYTES = 4 * ERROR_EXCERPT_CHARS;

// The result is hashed by a recursive encoder: a body nested thousands deep would overflow its stack.
export const MAX_BODY_DEPTH = 64;

/**
 * POSTs the request's payload as JSON with an `Idempotency-Key` header, so the external system can
 * drop a repeat of the same action. 2xx is success; 5xx, 408, 429 and network faults are passing
 * (retried with backoff); any other 4xx is a permanent refusal. Redirects are never followed (the
 * payload goes to the configured URL or nowhere): any 3xx is a permanent refusal whose details
 * carry the status and the `Location` it pointed to. At most {@link MAX_RESPONSE_BYTES} of the
 * answer are read; see {@link HttpConnectorResult}.
 *
 * @example defineConnector('payments', httpConnector({ url: 'http://127.0.0.1:8787/payments' }))
 */
export function httpConnector(options: HttpConnectorOptions): ConnectorHandler {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const extraHeaders = checkedHeaders(options.headers ?? {});
  // Values that must never appear in an error message, should a fetch implementation quote one.
  const secrets = [...(options.secrets ?? []), ...Object.values(extraHeaders)]
    .filter((value) => value.length >= 8)
    .sort((a, b) => b.length - a.length);
  return async (ctx): Promise<HttpConnectorResult> => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout]);
    const headers = new Headers(extraHeaders);
    headers.set('content-type', 'application/json');
    headers.set('idempotency-key', ctx.idempotencyKey);
    headers.set('x-actiongate-request-hash', ctx.requestHash);
    headers.set('x-actiongate-surface', ctx.request.surface);
    headers.set('x-actiongate-action', ctx.request.action);
    let response: Response;
    try {
      response = await doFetch(options.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(ctx.request.payload ?? null),
        // Following one would re-POST the payload to wherever the answer points (307/308).
        redirect: 'manual',
        signal,
      });
    } catch (err) {
      const failure = describeFetchFailure(err, { timedOut: timeout.aborted && !ctx.signal.aborted, cancelled: ctx.signal.aborted, timeoutMs });
      throw new ConnectorError('CONNECTOR_UNAVAILABLE', redact(`POST ${options.url} ${failure.message}`, secrets), {
        url: options.url,
        ...failure.details,
      });
    }
    // A fetch that filters redirects (as browsers do) answers them with type opaqueredirect and status 0.
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      await response.body?.cancel().catch(() => undefined);
      throw new ConnectorError(
        'CONNECTOR_REJECTED',
        `POST ${options.url} answered HTTP ${response.status}, a redirect; redirects are not followed`,
        { url: options.url, httpStatus: response.status, location: redactOrNull(response.headers.get('location'), secrets) },
      );
    }
    if (response.ok) {
      const read = await readAtMost(response, MAX_RESPONSE_BYTES);
      if (read.truncated) {
        return { httpStatus: response.status, body: null, bodyTruncated: true, bodyLimitBytes: MAX_RESPONSE_BYTES };
      }
      return { httpStatus: response.status, body: parseBody(decode(read.bytes)) };
    }
    // Redacted before it is cut, so a secret the answer quotes cannot survive in part.
    const excerpt = codePointPrefix(redact(decode((await readAtMost(response, ERROR_EXCERPT_BYTES)).bytes), secrets), ERROR_EXCERPT_CHARS);
    const details = { url: options.url, httpStatus: response.status, body: excerpt };
    const passing = response.status >= 500 || response.status === 408 || response.status === 429;
    throw new ConnectorError(
      passing ? 'CONNECTOR_UNAVAILABLE' : 'CONNECTOR_REJECTED',
      `POST ${options.url} answered HTTP ${response.status}`,
      details,
    );
  };
}

/**
 * The headers as fetch will send them, checked once when the connector is made: a bad name or
 * value is an error naming the header, never quoting the value (fetch's own error would).
 */
export function checkedHeaders(headers: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
      throw new ConnectorError('CONNECTOR_SECRET_UNAVAILABLE', `header name ${JSON.stringify(name)} is not an RFC 7230 token`, { header: name });
    }
    if (!/^[\x20-\x7E\t]*$/.test(value)) {
      throw new ConnectorError('CONNECTOR_SECRET_UNAVAILABLE', `the value of header ${name} holds a line break, a control or a non-ASCII character`, { header: name });
    }
  }
  return { ...headers };
}

function redactOrNull(text: string | null, secrets: readonly string[]): string | null {
  return text === null ? null : redact(text, secrets);
}

/** `text` with every occurrence of a secret replaced by "[redacted]" (longest first). */
export function redact(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}

export interface FetchFailure {
  /** After "POST <url> ": what happened. */
  message: string;
  details: Record<string, unknown>;
}

/**
 * What a rejected fetch means, from undici's `fetch failed` TypeError and its cause (a system error
 * with code, address and port; an AggregateError of several when a name resolves to several
 * addresses; an undici error with its own code), or from the abort signals.
 */
export function describeFetchFailure(err: unknown, why: { timedOut: boolean; cancelled: boolean; timeoutMs: number }): FetchFailure {
  if (why.timedOut) {
    return { message: `timed out after ${why.timeoutMs} ms (timeoutMs)`, details: { cause: 'TIMEOUT', timeoutMs: why.timeoutMs } };
  }
  if (why.cancelled) return { message: 'was cancelled (the dispatch activity was cancelled)', details: { cause: 'CANCELLED' } };
  const error = err instanceof Error ? err : new Error(String(err));
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const root = cause ?? error;
  const system = systemError(root);
  if (system) {
    const where = system.address !== undefined ? ` ${system.address}${system.port !== undefined ? `:${system.port}` : ''}` : system.hostname !== undefined ? ` ${system.hostname}` : '';
    return {
      message: `failed: ${system.code}${where}${system.code.startsWith('UND_ERR') ? ` (${firstLine(root.message)})` : ''}`,
      details: { cause: system.code, ...pick(system, ['address', 'port', 'hostname', 'syscall']) },
    };
  }
  const message = cause ? `${firstLine(error.message)}: ${firstLine(cause.message)}` : firstLine(error.message);
  return { message: `failed: ${message}`, details: {} };
}

interface SystemErrorFields {
  code: string;
  address?: string;
  port?: number;
  hostname?: string;
  syscall?: string;
}

/** The code, address and port of a system or undici error; for an AggregateError, of its first member. */
function systemError(error: Error): SystemErrorFields | undefined {
  const fields = error as Error & Partial<SystemErrorFields> & { errors?: unknown[] };
  const first = Array.isArray(fields.errors) ? (fields.errors.find((e) => e instanceof Error) as (Error & Partial<SystemErrorFields>) | undefined) : undefined;
  const code = typeof fields.code === 'string' ? fields.code : typeof first?.code === 'string' ? first.code : undefined;
  if (code === undefined) return undefined;
  const source = fields.address === undefined && fields.hostname === undefined && first ? first : fields;
  return {
    code,
    ...(typeof source.address === 'string' ? { address: source.address } : {}),
    ...(typeof source.port === 'number' ? { port: source.port } : {}),
    ...(typeof source.hostname === 'string' ? { hostname: source.hostname } : {}),
    ...(typeof source.syscall === 'string' ? { syscall: source.syscall } : {}),
  };
}

function pick(fields: SystemErrorFields, keys: ReadonlyArray<keyof SystemErrorFields>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (fields[key] !== undefined) out[key] = fields[key];
  return out;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

/**
 * The first `limit` bytes of the body, and whether there was more (the rest is cancelled, not
 * read). A body that fails midway reads as empty, as it did with `response.text()`.
 */
async function readAtMost(response: Response, limit: number): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const reader = response.body?.getReader();
  if (!reader) return { bytes: new Uint8Array(0), truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes: concat(chunks, size), truncated: false };
      if (size + value.byteLength > limit) {
        chunks.push(value.subarray(0, limit - size));
        await reader.cancel().catch(() => undefined);
        return { bytes: concat(chunks, limit), truncated: true };
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    await reader.cancel().catch(() => undefined);
    return { bytes: new Uint8Array(0), truncated: false };
  } finally {
    reader.releaseLock();
  }
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** UTF-8 as `response.text()` decodes it: a bad or cut-off sequence becomes U+FFFD. */
function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** At most `limit` code units, without splitting a surrogate pair into an unpaired half. */
export function codePointPrefix(text: string, limit: number): string {
  const cut = text.slice(0, limit);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

function parseBody(text: string): unknown {
  if (text === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    return text;
  }
  return nestsWithin(parsed, MAX_BODY_DEPTH) ? parsed : text;
}

/** Whether `value` nests at most `limit` arrays/objects deep; iterative, so any depth is safe to ask. */
export function nestsWithin(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.depth + 1 > limit) return false;
    for (const child of Object.values(item.value)) stack.push({ value: child, depth: item.depth + 1 });
  }
  return true;
}
