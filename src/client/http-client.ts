// The TypeScript client of the HTTP API (`actiongate serve`): the same calls, answers and errors as
// ActionGateClient, for an agent that holds an API token instead of Temporal credentials. Only
// `fetch`: no Temporal, no HTTP library.
import type { ActionResult } from '../action/action-result.js';
import { signRequest, type RequestSignature } from '../identity/request-signature.js';
import type { KeySet } from '../keys/key-set.js';
import type { Signer } from '../keys/signer.js';
import { parseActionRequest, type ActionRequest } from '../request/action-request.js';
import { digestsEqual } from '../request/digest.js';
import { RequestError } from '../request/request-error.js';
import { requestHash } from '../request/request-hash.js';
import type { SubmitOptions, SubmittedAction } from './actiongate-client.js';
import { ClientError } from './client-error.js';
import { readActionStatus, readKeySet, readProblem, readReceipt, type ActionStatus, type HttpProblem, type ReceiptRecord } from './http-responses.js';

export interface HttpClientOptions {
  /** Where the API is served, e.g. `https://actiongate.internal:8443` (a path prefix is kept). */
  baseUrl: string | URL;
  /** A bearer JWT, or a function that returns a fresh one for each HTTP request. */
  token?: string | (() => string | Promise<string>);
  /** An API key (sent as a bearer credential). Give `token` or `apiKey`, not both. */
  apiKey?: string;
  /**
   * The agent's own key: each request is signed with it and sent in `ActionGate-Signature`. Without
   * one, the server attests the caller it authenticated with its gateway key.
   */
  signer?: Signer | ((request: ActionRequest) => Signer | undefined);
  /** Another fetch (a client certificate through an undici Agent, a proxy, a test double). */
  fetch?: typeof globalThis.fetch;
  /** How long one HTTP exchange may take, beyond a `wait` the server was asked for (default 30 s). */
  timeoutMs?: number;
  /** How `result()` polls `GET /v1/actions/{key}`: the first delay, growing by half each time up to `maxMs`. */
  poll?: { initialMs?: number; maxMs?: number };
}

export interface HttpSubmitOptions extends SubmitOptions {
  /**
   * Seconds the server may wait for the end before it answers (`Prefer: wait=N`, bounded by the
   * server): when the action ends within it, `result()` resolves without another request.
   */
  wait?: number;
}

/** Consecutive transport failures or 5xx while polling before `result()` gives up. */
const MAX_POLL_FAILURES = 5;

/**
 * Submits actions through the HTTP API. Validates locally first (a RequestError, nothing sent),
 * signs when given the agent's key, and maps the API's problems to the errors of ActionGateClient:
 * RequestError for 400, ClientError `IDEMPOTENCY_CONFLICT` (409), `UNAUTHENTICATED` (401),
 * `FORBIDDEN` (403), `RATE_LIMITED` (429, `details.retryAfterSeconds`), `UNAVAILABLE` (5xx, network,
 * timeout; retrying with the same key is safe), `HTTP_ERROR` (anything else, redirects included:
 * they are never followed, so credentials never travel to another URL).
 *
 * @example
 * const gate = new ActionGateHttpClient({ baseUrl: 'https://actiongate.internal', token: process.env.ACTIONGATE_TOKEN });
 * const { decision, result } = await gate.submit(request, { wait: 10 });
 * if (decision.outcome === 'PERMIT') console.log((await result()).dispatch.status);
 */
export class ActionGateHttpClient {
  private readonly base: URL;
  private readonly credential: (() => string | Promise<string>) | undefined;
  private readonly signer: HttpClientOptions['signer'];
  private readonly fetchImpl: typeof globalThis.fetch;
  private readonly timeoutMs: number;
  private readonly pollInitialMs: number;
  private readonly pollMaxMs: number;

  constructor(options: HttpClientOptions) {
    const base = new URL(String(options.baseUrl));
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError(`baseUrl must be http: or https:, not ${base.protocol}`);
    if (base.username !== '' || base.password !== '') throw new TypeError('baseUrl must not hold credentials: give token or apiKey');
    if (options.token !== undefined && options.apiKey !== undefined) throw new TypeError('give token or apiKey, not both');
    base.search = '';
    base.hash = '';
    if (!base.pathname.endsWith('/')) base.pathname = `${base.pathname}/`;
    this.base = base;
    const { token, apiKey } = options;
    this.credential = typeof token === 'function' ? token : token !== undefined ? () => token : apiKey !== undefined ? () => apiKey : undefined;
    this.signer = options.signer;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.pollInitialMs = options.poll?.initialMs ?? 250;
    this.pollMaxMs = options.poll?.maxMs ?? 5_000;
  }

  /**
   * Validates, signs (when given a key), submits and returns the decision, on record before it was
   * returned. A repeat of the same request under the same key gets the first decision and never a
   * second dispatch; the same key with another request throws `IDEMPOTENCY_CONFLICT`.
   *
   * @throws RequestError when the input is not a valid ActionRequest (nothing is sent), or the server says so.
   */
  async submit(input: unknown, options: HttpSubmitOptions = {}): Promise<SubmittedAction> {
    const request = parseActionRequest(input);
    const wait = options.wait;
    if (wait !== undefined && (!Number.isInteger(wait) || wait < 0 || wait > 86_400)) throw new RangeError(`wait must be whole seconds, 0 to 86400, not ${wait}`);
    const signer = options.signer ?? (typeof this.signer === 'function' ? this.signer(request) : this.signer);
    const signature: RequestSignature | undefined = options.signature ?? (signer ? signRequest(request, signer) : undefined);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': request.idempotencyKey };
    if (signature) headers['actiongate-signature'] = `keyId=${signature.keyId}; sig=${signature.sig}`;
    if (wait !== undefined) headers.prefer = `wait=${wait}`;

    const answer = await this.exchange('POST', 'v1/actions', { headers, body: JSON.stringify(request), waitMs: (wait ?? 0) * 1_000, idempotencyKey: request.idempotencyKey });
    const status = this.actionStatus('POST', 'v1/actions', answer.body);
    const decision = status.decision;
    if (decision === null) throw new ClientError('HTTP_ERROR', `POST /v1/actions answered ${answer.status} without a decision`, { status: answer.status });
    // The server refuses a reused key with another request (409); an answer for another request is a broken server.
    if (decision.idempotencyKey !== request.idempotencyKey || !digestsEqual(decision.requestHash, requestHash(request))) {
      throw new ClientError('HTTP_ERROR', `POST /v1/actions answered for another request (${decision.idempotencyKey}, ${decision.requestHash})`, {
        idempotencyKey: request.idempotencyKey,
      });
    }
    const ended = status.state === 'completed' ? status.result : null;
    return { decision, result: ended ? async () => ended : () => this.awaitResult(request.idempotencyKey) };
  }

  /** Submits and waits for the end: decision, dispatch and both receipts (the server waits up to `wait` s, 30 by default; then it polls). */
  async execute(input: unknown, options: HttpSubmitOptions = {}): Promise<ActionResult> {
    return (await this.submit(input, { ...options, wait: options.wait ?? 30 })).result();
  }

  /** Where the action of a key is; undefined when there is none the caller may read. */
  async status(idempotencyKey: string): Promise<ActionStatus | undefined> {
    const path = `v1/actions/${encodeURIComponent(idempotencyKey)}`;
    const answer = await this.exchange('GET', path, { notFound: true });
    return answer.status === 404 ? undefined : this.actionStatus('GET', path, answer.body);
  }

  /** One receipt with its signed envelope; undefined when there is none the caller may read. */
  async receipt(receiptId: string): Promise<ReceiptRecord | undefined> {
    const path = `v1/receipts/${encodeURIComponent(receiptId)}`;
    const answer = await this.exchange('GET', path, { notFound: true });
    if (answer.status === 404) return undefined;
    const read = readReceipt(answer.body);
    if (!read.ok) throw notDocumented('GET', path, read.problems);
    return read.value;
  }

  /** The public keys a verifier needs (receipts, policy bundles, the gateway's attestations). No credentials are sent. */
  async keys(): Promise<KeySet> {
    const answer = await this.exchange('GET', 'v1/keys', { anonymous: true });
    const read = readKeySet(answer.body);
    if (!read.ok) throw notDocumented('GET', 'v1/keys', read.problems);
    return read.value;
  }

  private actionStatus(method: string, path: string, body: unknown): ActionStatus {
    const read = readActionStatus(body);
    if (!read.ok) throw notDocumented(method, path, read.problems);
    return read.value;
  }

  /** Polls the action until it ends; a few transient failures (5xx, network) and every 429 are waited out. */
  private async awaitResult(idempotencyKey: string): Promise<ActionResult> {
    let delay = this.pollInitialMs;
    let failures = 0;
    for (;;) {
      let status: ActionStatus | undefined;
      try {
        status = await this.status(idempotencyKey);
        failures = 0;
      } catch (error) {
        if (error instanceof ClientError && error.code === 'RATE_LIMITED') {
          await sleep(Math.max(delay, Number(error.details?.retryAfterSeconds ?? 1) * 1_000));
          continue;
        }
        if (error instanceof ClientError && error.code === 'UNAVAILABLE' && ++failures < MAX_POLL_FAILURES) {
          await sleep(delay);
          delay = Math.min(delay * 1.5, this.pollMaxMs);
          continue;
        }
        throw error;
      }
      if (!status) {
        throw new ClientError('HTTP_ERROR', `GET /v1/actions/${idempotencyKey} answered 404 for an action this client submitted`, { idempotencyKey });
      }
      if (status.state === 'completed' && status.result) return status.result;
      if (status.state === 'completed' || status.state === 'failed') {
        // failed: terminated or timed out. completed without a result: Temporal no longer keeps it; the receipts remain.
        const receipts = status.receipts.map((r) => `${r.kind} ${r.receiptId}`).join(', ') || 'none';
        throw new ClientError('ACTION_FAILED', `the action ${idempotencyKey} ended without a result the server can give (state ${status.state}); its receipts: ${receipts}`, {
          idempotencyKey,
          receipts: status.receipts,
        });
      }
      await sleep(delay);
      delay = Math.min(delay * 1.5, this.pollMaxMs);
    }
  }

  /** One HTTP exchange: a 2xx JSON body, or the error its status and problem say. */
  private async exchange(
    method: 'GET' | 'POST',
    path: string,
    options: { headers?: Record<string, string>; body?: string; waitMs?: number; notFound?: boolean; anonymous?: boolean; idempotencyKey?: string } = {},
  ): Promise<{ status: number; body: unknown }> {
    const url = new URL(path, this.base);
    const where = `${method} /${path}`;
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...options.headers };
    if (this.credential && !options.anonymous) headers.authorization = `Bearer ${await this.credential()}`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: options.body }),
        // Never follow: a redirect would carry the credentials wherever the answer points.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs + (options.waitMs ?? 0)),
      });
      text = await response.text();
    } catch (error) {
      const retry = options.idempotencyKey ? `; submitting again with the same key ${options.idempotencyKey} is safe` : '';
      throw new ClientError('UNAVAILABLE', `${where}: no answer from ${url.origin}: ${describe(error)}${retry}`, { url: url.href }, { cause: error });
    }
    const body = parseJson(text);
    if (response.status >= 200 && response.status < 300) {
      if (body === undefined) throw new ClientError('HTTP_ERROR', `${where} answered ${response.status} with a body that is not JSON`, { status: response.status });
      return { status: response.status, body };
    }
    if (response.status === 404 && options.notFound && readProblem(body)?.code === 'NOT_FOUND') return { status: 404, body };
    throw errorOf(where, response, readProblem(body), options.idempotencyKey);
  }
}

/** The error a non-2xx answer means, with the problem's code and every bad field kept. */
function errorOf(where: string, response: Response, problem: HttpProblem | undefined, idempotencyKey: string | undefined): Error {
  const status = response.status;
  const said = problem ? `${problem.code}: ${problem.detail}` : `${status} ${response.statusText}`.trim();
  const details = { status, ...(problem ? { code: problem.code, problem } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) };
  if (response.type === 'opaqueredirect' || (status >= 300 && status < 400)) {
    const location = response.headers.get('location');
    return new ClientError('HTTP_ERROR', `${where} answered a redirect (${status}${location ? ` to ${location}` : ''}); redirects are not followed`, details);
  }
  if (status === 400 && (problem === undefined || problem.code === 'INVALID_REQUEST')) {
    const issues = problem?.errors?.length ? problem.errors : [{ path: '(request)', message: problem?.detail ?? `${where} answered 400` }];
    return new RequestError(issues);
  }
  if (status === 401) return new ClientError('UNAUTHENTICATED', `${where}: ${said}`, details);
  if (status === 403) return new ClientError('FORBIDDEN', `${where}: ${said}`, details);
  if (status === 409) return new ClientError('IDEMPOTENCY_CONFLICT', problem?.detail ?? `${where}: ${said}`, details);
  if (status === 429) {
    const retryAfterSeconds = Number(response.headers.get('retry-after') ?? '1');
    return new ClientError('RATE_LIMITED', `${where}: ${said}`, { ...details, retryAfterSeconds: Number.isFinite(retryAfterSeconds) ? retryAfterSeconds : 1 });
  }
  if (status === 502 && problem?.code === 'ACTION_FAILED') return new ClientError('ACTION_FAILED', `${where}: ${said}`, details);
  if (status >= 500) return new ClientError('UNAVAILABLE', `${where}: ${said}`, details);
  return new ClientError('HTTP_ERROR', `${where}: ${said}`, details);
}

function notDocumented(method: string, path: string, problems: string[]): ClientError {
  return new ClientError('HTTP_ERROR', `${method} /${path} answered a body the API document does not describe: ${problems.slice(0, 5).join('; ')}`, { problems });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'it did not answer in time';
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
