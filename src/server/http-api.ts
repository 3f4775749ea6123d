// The HTTP front door for agents: authenticates the caller, checks that the request's actor is that
// caller, and submits it through the same Update-With-Start as the TypeScript client. The gate (in
// the worker) still decides everything; this server holds no policy and dispatches nothing.
import type { IncomingMessage } from 'node:http';
import rateLimit from '@fastify/rate-limit';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type pg from 'pg';
import { allowsDispatch, type ActionDecision, type ActionResult } from '../action/action-result.js';
import { ActionGateClient } from '../client/actiongate-client.js';
import { ClientError } from '../client/client-error.js';
import { attestRequest, RequestSignatureSchema, type RequestSignature } from '../identity/request-signature.js';
import { safeParseActionRequest, type ActionRequest } from '../request/action-request.js';
import { DIGEST_PATTERN } from '../request/digest.js';
import { RequestError } from '../request/request-error.js';
import { canonicalJson } from '../request/canonical-json.js';
import { decisionQuery, SEARCH_ATTRIBUTES, WORKFLOW_TYPE } from '../../workflows/contract.js';
import type { governedActionWorkflow } from '../../workflows/governed-action.js';
import type { ActionStatus } from '../client/http-responses.js';
import type { ReceiptKind } from '../receipt/receipt-body.js';
import type { Digest } from '../request/digest.js';
import type { LoadedApiConfig } from './api-config.js';
import { AuthenticationFailed, createAuthenticator, type Caller } from './authenticate.js';
import { openApiDocument } from './openapi.js';
import { ProblemError } from './problem.js';
import { within } from '../within.js';

const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@=+-]{0,199}$/;
/** How long a readiness check may take before it counts as failed. */
const READY_CHECK_MS = 2_000;

export interface ApiServerOptions {
  loaded: LoadedApiConfig;
  /** A Temporal client of the namespace the workers poll. */
  client: Client;
  taskQueue: string;
  /** Postgres, for receipts (read only: the server never writes). */
  pool: pg.Pool;
  /** One line per request and per fault; stderr by default. */
  log?: (line: string) => void;
}


declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

/**
 * Builds the server (not listening yet: call `listen`). Every error is an RFC 9457 problem.
 *
 * @example
 * const app = await createApiServer({ loaded: await loadApiConfig('api.json'), client, taskQueue: 'actiongate', pool });
 * await app.listen({ port: 8080, host: '127.0.0.1' });
 */
export async function createApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const { loaded, client, pool } = options;
  const { limits, readers } = loaded.config;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const authenticate = createAuthenticator(loaded);
  const gate = new ActionGateClient({ client, taskQueue: options.taskQueue });
  const document = openApiDocument();
  const https = loaded.tls
    ? { cert: loaded.tls.cert, key: loaded.tls.key, ...(loaded.tls.ca ? { ca: loaded.tls.ca, requestCert: true, rejectUnauthorized: false } : {}) }
    : null;

  const app = Fastify({
    ...(https ? { https } : {}),
    bodyLimit: limits.bodyLimitBytes,
    // A slow client cannot hold a connection: the whole request, waits included, is bounded.
    requestTimeout: (limits.maxWaitSeconds + 30) * 1_000,
    connectionTimeout: (limits.maxWaitSeconds + 30) * 1_000,
    keepAliveTimeout: 5_000,
    routerOptions: { maxParamLength: 300 },
    return503OnClosing: true,
    logger: false,
  }) as unknown as FastifyInstance;

  app.decorateRequest('caller', null);
  // JSON only: Fastify would also take text/plain bodies as strings.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((error: unknown, req, reply) => {
    // A method no route has (QUERY, ...) may fail Fastify's own checks before routing: it is still a 405/404.
    if ((error as { code?: string }).code === 'FST_ERR_ROUTE_MISSING_CONTENT_TYPE') return sendProblem(reply, req, routeProblem(req));
    const problem = toProblemError(error);
    if (problem.status >= 500) log(`serve: ${req.method} ${req.url}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    void sendProblem(reply, req, problem);
  });
  app.setNotFoundHandler((req, reply) => sendProblem(reply, req, routeProblem(req)));

  // Who calls: every /v1 route but the public key set needs credentials.
  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/v1/') || req.url.split('?')[0] === '/v1/keys') return;
    try {
      req.caller = await authenticate(req.raw as IncomingMessage);
    } catch (error) {
      if (error instanceof AuthenticationFailed) {
        throw new ProblemError(401, 'UNAUTHENTICATED', error.message, undefined, { 'WWW-Authenticate': 'Bearer realm="actiongate"' });
      }
      throw error;
    }
  });
  app.addHook('onResponse', async (req, reply) => {
    if (req.url === '/healthz' || req.url === '/readyz') return;
    log(`serve: ${req.method} ${req.url.split('?')[0]} ${reply.statusCode} ${req.caller?.principal ?? '-'} ${Math.round(reply.elapsedTime)}ms`);
  });

  await app.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    max: limits.perPrincipalPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => (req.caller ? `principal:${req.caller.principal}` : `ip:${req.ip}`),
    errorResponseBuilder: (_req, context) =>
      new ProblemError(429, 'RATE_LIMITED', `more than ${context.max} requests in ${context.after}; try again later`, undefined, {
        'Retry-After': String(Math.ceil(context.ttl / 1_000)),
      }),
  });
  const limited = { config: { rateLimit: { max: limits.perPrincipalPerMinute, timeWindow: 60_000 } } };

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const checks = {
      temporal: await check(() => client.connection.withDeadline(Date.now() + READY_CHECK_MS, () => client.workflowService.getSystemInfo({}))),
      postgres: await check(() => pool.query('SELECT 1')),
    };
    const ready = Object.values(checks).every((c) => c.ok);
    return reply.code(ready ? 200 : 503).send({ ready, checks });
  });
  app.get('/openapi.json', async () => document);
  app.get('/v1/keys', limited, async () => loaded.keySet);

  app.post('/v1/actions', limited, async (req, reply) => {
    const caller = req.caller as Caller;
    const { request, signature } = parseSubmission(req);
    if (request.actor.id !== caller.principal) {
      throw new ProblemError(403, 'ACTOR_MISMATCH', `actor.id is "${request.actor.id}" but the caller authenticated as "${caller.principal}"; nothing was started`);
    }
    const prefer = parsePrefer(req.headers.prefer, limits.maxWaitSeconds);
    // The agent's own signature when it sent one; else the gateway vouches for the caller it authenticated.
    const proof = signature ?? (loaded.gateway ? attestRequest(request, loaded.gateway.signer) : undefined);
    const submitted = await gate.submit(request, proof ? { signature: proof } : {}).catch(rethrowSubmitError);
    let result: ActionResult | null = null;
    if (prefer.waitMs > 0) result = (await within(submitted.result(), prefer.waitMs)) ?? null;
    const state = result ? 'completed' : stateOfDecision(submitted.decision);
    const body = await statusBody(pool, request.idempotencyKey, state, submitted.decision, result);
    if (prefer.applied.length > 0) reply.header('Preference-Applied', prefer.applied.join(', '));
    reply.header('Location', body.links.self);
    if (state === 'completed' || state === 'refused') return reply.code(200).send(body);
    return reply.code(202).header('Retry-After', '1').send(body);
  });

  app.get<{ Params: { key: string } }>('/v1/actions/:key', limited, async (req) => {
    const key = req.params.key;
    if (!KEY_PATTERN.test(key)) throw invalid('key', 'must be an idempotency key: 1 to 200 of A-Z a-z 0-9 . _ : @ = + -, starting with a letter or digit');
    const caller = req.caller as Caller;
    const status = await actionStatus(client, pool, key);
    const owner = status?.owner;
    // Another principal's action reads as missing: the answer does not tell which keys exist.
    if (!status || owner === undefined || (owner !== caller.principal && !readers.includes(caller.principal))) {
      throw new ProblemError(404, 'NOT_FOUND', `no action ${key} that ${caller.principal} may read`);
    }
    return status.body;
  });

  app.get<{ Params: { id: string } }>('/v1/receipts/:id', limited, async (req) => {
    const id = req.params.id;
    if (!DIGEST_PATTERN.test(id)) throw invalid('id', 'must be a receipt id: sha256: and 64 lower-case hex digits');
    const caller = req.caller as Caller;
    const { rows } = await pool
      .query<{ receipt_id: string; kind: string; body_canonical: string; envelope_canonical: string | null; recorded_at: Date; actor_id: string }>(
        'SELECT receipt_id, kind, body_canonical, envelope_canonical, recorded_at, actor_id FROM receipts WHERE receipt_id = $1',
        [id],
      )
      .catch(storeUnavailable);
    const row = rows[0];
    if (!row || (row.actor_id !== caller.principal && !readers.includes(caller.principal))) {
      throw new ProblemError(404, 'NOT_FOUND', `no receipt ${id} that ${caller.principal} may read`);
    }
    return {
      receiptId: row.receipt_id,
      kind: row.kind,
      recordedAt: row.recorded_at.toISOString(),
      body: JSON.parse(row.body_canonical) as unknown,
      signed: row.envelope_canonical === null ? null : (JSON.parse(row.envelope_canonical) as unknown),
    };
  });

  return app;
}

/** The body and headers of POST /v1/actions, every problem named at once. */
function parseSubmission(req: FastifyRequest): { request: ActionRequest; signature: RequestSignature | undefined } {
  const errors: Array<{ path: string; message: string }> = [];
  const parsed = safeParseActionRequest(req.body);
  if (!parsed.ok) errors.push(...parsed.error.issues.map((issue) => ({ path: issue.path, message: issue.message })));
  const header = req.headers['idempotency-key'];
  if (header === undefined) {
    errors.push({ path: 'header Idempotency-Key', message: "is required, and must equal the body's idempotencyKey" });
  } else if (parsed.ok && header !== parsed.request.idempotencyKey) {
    errors.push({ path: 'header Idempotency-Key', message: `must equal the body's idempotencyKey ("${parsed.request.idempotencyKey}")` });
  }
  let signature: RequestSignature | undefined;
  const signed = req.headers['actiongate-signature'];
  if (signed !== undefined) {
    const fields = Object.fromEntries(
      String(signed)
        .split(';')
        .map((part) => part.trim().split('=', 2) as [string, string | undefined])
        .filter(([name, value]) => name !== '' && value !== undefined),
    );
    const checked = RequestSignatureSchema.safeParse({ keyId: fields.keyId, sig: fields.sig });
    if (checked.success) signature = checked.data;
    else errors.push({ path: 'header ActionGate-Signature', message: 'must be keyId=ed25519:<32 hex>; sig=<64-byte Ed25519 signature, base64url>' });
  }
  if (errors.length > 0 || !parsed.ok) {
    throw new ProblemError(400, 'INVALID_REQUEST', `${errors.length} ${errors.length === 1 ? 'problem' : 'problems'}; nothing was started`, errors);
  }
  return { request: parsed.request, signature };
}

/**
 * RFC 7240 `Prefer`: `wait=N` (seconds, capped at the configured maximum) and `respond-async`
 * (never wait for dispatch). Other preferences are ignored, as the RFC asks.
 */
export function parsePrefer(header: string | string[] | undefined, maxWaitSeconds: number): { waitMs: number; applied: string[] } {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  let wait: number | undefined;
  let async = false;
  for (const part of text.split(',')) {
    const [name, value] = part.trim().split(';')[0]?.split('=', 2).map((s) => s.trim().toLowerCase()) ?? [];
    if (name === 'respond-async') async = true;
    if (name === 'wait' && value !== undefined && /^\d{1,6}$/.test(value)) wait = Number(value);
  }
  if (async) return { waitMs: 0, applied: ['respond-async'] };
  if (wait === undefined) return { waitMs: 0, applied: [] };
  const seconds = Math.min(wait, maxWaitSeconds);
  return { waitMs: seconds * 1_000, applied: [`wait=${seconds}`] };
}

function stateOfDecision(decision: ActionDecision): ActionStatus['state'] {
  if (decision.waitsFor) return 'waiting_for_operators';
  return allowsDispatch(decision) ? 'dispatching' : 'refused';
}

async function statusBody(
  pool: pg.Pool,
  key: string,
  state: ActionStatus['state'],
  decision: ActionDecision | null,
  result: ActionResult | null,
  read?: Awaited<ReturnType<typeof receiptsOf>>,
): Promise<ActionStatus> {
  // The receipts as of now, unless the caller has just read them.
  const receipts = read ?? (await receiptsOf(pool, key));
  return {
    idempotencyKey: key,
    state,
    decision,
    result,
    receipts: receipts.map(({ receiptId, kind, recordedAt }) => ({ receiptId, kind, recordedAt })),
    links: { self: `/v1/actions/${encodeURIComponent(key)}`, receipts: receipts.map((r) => `/v1/receipts/${r.receiptId}`) },
  };
}

async function receiptsOf(pool: pg.Pool, key: string): Promise<Array<{ receiptId: Digest; kind: ReceiptKind; recordedAt: string; actorId: string }>> {
  const { rows } = await pool
    .query<{ receipt_id: string; kind: string; recorded_at: Date; actor_id: string }>(
      'SELECT receipt_id, kind, recorded_at, actor_id FROM receipts WHERE idempotency_key = $1 ORDER BY seq',
      [key],
    )
    .catch(storeUnavailable);
  return rows.map((row) => ({ receiptId: row.receipt_id as Digest, kind: row.kind as ReceiptKind, recordedAt: row.recorded_at.toISOString(), actorId: row.actor_id }));
}

/** The action of a key as Temporal and the receipts tell it, with its actor; undefined when neither knows it. */
async function actionStatus(client: Client, pool: pg.Pool, key: string): Promise<{ owner: string | undefined; body: ActionStatus } | undefined> {
  const receipts = await receiptsOf(pool, key);
  const handle = client.workflow.getHandle<typeof governedActionWorkflow>(key);
  let description: Awaited<ReturnType<typeof handle.describe>> | undefined;
  try {
    description = await handle.describe();
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw unavailable('Temporal', error);
  }
  // A workflow of another type under this ID is not an action (someone squatting the key).
  if (description && description.type !== WORKFLOW_TYPE) description = undefined;
  const owner = receipts[0]?.actorId ?? description?.typedSearchAttributes.get(SEARCH_ATTRIBUTES.actor);
  if (!description && receipts.length === 0) return undefined;
  let decision: ActionDecision | null = null;
  let result: ActionResult | null = null;
  let state: ActionStatus['state'];
  const status = description?.status.name;
  if (status === 'RUNNING') {
    decision = await handle.query(decisionQuery).catch((error: unknown) => {
      throw unavailable('Temporal', error);
    });
    state = decision ? stateOfDecision(decision) : 'pending';
  } else if (status === 'COMPLETED') {
    result = await handle.result();
    const { dispatch: _d, operators: _o, receipts: r, ...rest } = result;
    decision = { ...rest, receipts: { decision: r.decision } };
    state = 'completed';
  } else if (status !== undefined) {
    state = 'failed';
  } else {
    // The history is gone (past retention): the receipts are what is left.
    state = receipts.some((r) => r.kind === 'outcome') ? 'completed' : 'pending';
  }
  // Read again once the workflow has answered: an outcome recorded meanwhile is listed too.
  return { owner, body: await statusBody(pool, key, state, decision, result, status === undefined ? receipts : undefined) };
}

/** 405 with Allow for a known path asked with another method; 404 for an unknown path. */
function routeProblem(req: FastifyRequest): ProblemError {
  const allowed = allowedMethods(req.url);
  if (allowed) return new ProblemError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use ${allowed.join(', ')}`, undefined, { Allow: allowed.join(', ') });
  return new ProblemError(404, 'NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
}

function allowedMethods(url: string): string[] | undefined {
  const path = url.split('?')[0] ?? '';
  if (path === '/v1/actions') return ['POST'];
  if (/^\/v1\/(actions|receipts)\/[^/]+$/.test(path) || ['/v1/keys', '/healthz', '/readyz', '/openapi.json'].includes(path)) return ['GET', 'HEAD'];
  return undefined;
}

async function check(probe: () => Promise<unknown>): Promise<{ ok: boolean; detail?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${READY_CHECK_MS} ms`)), READY_CHECK_MS);
      }),
    ]);
    return { ok: true };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

function invalid(path: string, message: string): ProblemError {
  return new ProblemError(400, 'INVALID_REQUEST', `${path} ${message}`, [{ path, message }]);
}

function unavailable(what: string, error: unknown): ProblemError {
  return new ProblemError(503, 'UNAVAILABLE', `${what} did not answer: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, undefined, {
    'Retry-After': '1',
  });
}

function storeUnavailable(error: unknown): never {
  throw unavailable('Postgres', error);
}

function rethrowSubmitError(error: unknown): never {
  if (error instanceof RequestError) {
    throw new ProblemError(400, 'INVALID_REQUEST', error.message, error.issues.map((i) => ({ path: i.path, message: i.message })));
  }
  if (error instanceof ClientError) {
    if (error.code === 'IDEMPOTENCY_CONFLICT') throw new ProblemError(409, 'IDEMPOTENCY_CONFLICT', error.message);
    if (error.code === 'TEMPORAL_UNAVAILABLE') throw unavailable('Temporal', error);
    throw new ProblemError(502, 'ACTION_FAILED', error.message);
  }
  throw error;
}

/** Any error as a problem: ours as they are, Fastify's own (bad JSON, size, media type) mapped to our codes. */
function toProblemError(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  const status = (error as { statusCode?: number }).statusCode;
  const message = error instanceof Error ? error.message : String(error);
  if (status === 413) return new ProblemError(413, 'PAYLOAD_TOO_LARGE', message);
  if (status === 415) return new ProblemError(415, 'UNSUPPORTED_MEDIA_TYPE', `${message}; send application/json`);
  if (status === 406) return new ProblemError(406, 'NOT_ACCEPTABLE', message);
  if (status === 400) return new ProblemError(400, 'INVALID_REQUEST', message, [{ path: '(body)', message }]);
  if (status === 404) return new ProblemError(404, 'NOT_FOUND', message);
  return new ProblemError(500, 'INTERNAL', 'the server failed; the error is in its log');
}

function sendProblem(reply: FastifyReply, req: FastifyRequest, problem: ProblemError): FastifyReply {
  for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
  // canonicalJson keeps the body to plain JSON whatever a message holds.
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send(canonicalJson(problem.toProblem(req.url.split('?')[0])));
}
