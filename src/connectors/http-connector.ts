import type { ConnectorHandler } from './connector.js';
import { ConnectorError } from './connector.js';

export interface HttpConnectorOptions {
  url: string;
  /** Per attempt; the dispatch activity's retry policy bounds the whole. */
  timeoutMs?: number;
  headers?: Record<string, string>;
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
const ERROR_EXCERPT_CHARS = 500;
const ERROR_EXCERPT_BYTES = 4 * ERROR_EXCERPT_CHARS;

// The result is hashed by a recursive encoder: a body nested thousands deep would overflow its stack.
const MAX_BODY_DEPTH = 64;

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
  return async (ctx): Promise<HttpConnectorResult> => {
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
    let response: Response;
    try {
      response = await doFetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': ctx.idempotencyKey,
          'x-actiongate-request-hash': ctx.requestHash,
          'x-actiongate-surface': ctx.request.surface,
          'x-actiongate-action': ctx.request.action,
          ...options.headers,
        },
        body: JSON.stringify(ctx.request.payload ?? null),
        // Following one would re-POST the payload to wherever the answer points (307/308).
        redirect: 'manual',
        signal,
      });
    } catch (err) {
      throw new ConnectorError('CONNECTOR_UNAVAILABLE', `POST ${options.url} failed: ${(err as Error).message}`, {
        url: options.url,
      });
    }
    // A fetch that filters redirects (as browsers do) answers them with type opaqueredirect and status 0.
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      await response.body?.cancel().catch(() => undefined);
      throw new ConnectorError(
        'CONNECTOR_REJECTED',
        `POST ${options.url} answered HTTP ${response.status}, a redirect; redirects are not followed`,
        { url: options.url, httpStatus: response.status, location: response.headers.get('location') },
      );
    }
    if (response.ok) {
      const read = await readAtMost(response, MAX_RESPONSE_BYTES);
      if (read.truncated) {
        return { httpStatus: response.status, body: null, bodyTruncated: true, bodyLimitBytes: MAX_RESPONSE_BYTES };
      }
      return { httpStatus: response.status, body: parseBody(decode(read.bytes)) };
    }
    const excerpt = codePointPrefix(decode((await readAtMost(response, ERROR_EXCERPT_BYTES)).bytes), ERROR_EXCERPT_CHARS);
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
function codePointPrefix(text: string, limit: number): string {
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
function nestsWithin(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.depth + 1 > limit) return false;
    for (const child of Object.values(item.value)) stack.push({ value: child, depth: item.depth + 1 });
  }
  return true;
}
