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

const MAX_RESPONSE_CHARS = 16_384;

/**
 * POSTs the request's payload as JSON with an `Idempotency-Key` header, so the external system can
 * drop a repeat of the same action. 2xx is success; 5xx, 408, 429 and network faults are passing
 * (retried with backoff); any other 4xx is a permanent refusal.
 *
 * @example defineConnector('payments', httpConnector({ url: 'http://127.0.0.1:8787/payments' }))
 */
export function httpConnector(options: HttpConnectorOptions): ConnectorHandler {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (ctx) => {
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
        signal,
      });
    } catch (err) {
      throw new ConnectorError('CONNECTOR_UNAVAILABLE', `POST ${options.url} failed: ${(err as Error).message}`, {
        url: options.url,
      });
    }
    const text = (await response.text().catch(() => '')).slice(0, MAX_RESPONSE_CHARS);
    if (response.ok) return { httpStatus: response.status, body: parseBody(text) };
    const details = { url: options.url, httpStatus: response.status, body: text.slice(0, 500) };
    const passing = response.status >= 500 || response.status === 408 || response.status === 429;
    throw new ConnectorError(
      passing ? 'CONNECTOR_UNAVAILABLE' : 'CONNECTOR_REJECTED',
      `POST ${options.url} answered HTTP ${response.status}`,
      details,
    );
  };
}

function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
