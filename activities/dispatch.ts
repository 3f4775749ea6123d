import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { allowsDispatch } from '../src/action/action-result.js';
import { ConnectorError, type ConnectorRegistry } from '../src/connectors/connector.js';
import { digestJson, digestsEqual, type Digest } from '../src/request/digest.js';
import { canonicalJson } from '../src/request/canonical-json.js';
import type { ActionRequest } from '../src/request/action-request.js';
import { requestHash } from '../src/request/request-hash.js';
import { receiptSubject, type OutcomeReceiptBody } from '../src/receipt/receipt-body.js';
import type { ReceiptStore } from '../src/store/receipt-store.js';
import type { FaultPoints } from '../src/faults/fault-points.js';
import type { GateMetrics } from '../src/metrics/gate-metrics.js';
import { governedCall, refuse, type RefusedCallSink } from './caller.js';
import { operatorsPermit, receiptsOfKey, type RecordedDecision, type RecordedOutcome } from './run-receipts.js';
import { rethrowStoreError } from './store-errors.js';

export interface DispatchInput {
  /** The request to carry out. Nothing else is taken from the caller: the decision comes from Postgres. */
  request: ActionRequest;
}

export interface DispatchOutput {
  /** sha256 over the canonical JSON of what the connector returned (the content itself is not kept). */
  resultHash: Digest | null;
  /** The outcome receipt this activity committed (or found, from an earlier attempt of this run). */
  outcomeReceiptId: Digest;
  /**
   * What the connector returned, when its canonical JSON is at most {@link MAX_REPORTED_RESULT_BYTES}
   * (it goes into the workflow history). Absent when larger, or when an earlier attempt dispatched.
   * The workflow passes it on only if it hashes to the outcome receipt's `resultHash`.
   */
  result?: unknown;
}

/** The largest connector answer handed back to the workflow (and the agent), as canonical JSON bytes. */
export const MAX_REPORTED_RESULT_BYTES = 65_536;

export interface DispatchDeps {
  connectors: ConnectorRegistry;
  store: ReceiptStore;
  onRefusedCall?: RefusedCallSink;
  now?: () => Date;
  faultPoints?: FaultPoints;
  metrics?: GateMetrics;
}

/** How often dispatch tells Temporal it is alive while the external system holds the request. */
export const DISPATCH_HEARTBEAT_MS = 1_000;

/**
 * Performs the side effect through the surface's connector, passing the idempotency key along,
 * and commits the outcome receipt itself. It dispatches only when Postgres holds a committed
 * decision that lets it ({@link allowsDispatch}), or a decision that waited for operators and their
 * PERMIT receipt answering it ({@link operatorsPermit}), for exactly the calling workflow run and this
 * request's hash, and no outcome is recorded yet; anything else is refused, non-retryable,
 * logged loudly and reported to `onRefusedCall`. An outcome this run already recorded (an
 * earlier attempt that died before completing) is returned without dispatching again.
 *
 * Passing faults are thrown as retryable; a connector's refusal is recorded (failed) and thrown
 * as non-retryable with its code.
 */
export async function dispatch(deps: DispatchDeps, input: DispatchInput): Promise<DispatchOutput> {
  const { request, caller } = governedCall('dispatch', deps.onRefusedCall, input);
  const hash = requestHash(request);
  const { decision, outcome, operators } = await receiptsOfKey(deps.store, request.idempotencyKey).catch(rethrowStoreError);
  const refused = (why: string): never => refuse('dispatch', deps.onRefusedCall, 'DISPATCH_REFUSED', `dispatch of ${request.idempotencyKey} refused: ${why}`);
  if (!decision) return refused('no decision is on record for this key');
  const body = decision.body;
  if (body.workflowId !== caller.workflowId || body.runId !== caller.runId) {
    refused(`the decision on record belongs to run ${body.runId}, not to the calling run ${caller.runId}`);
  }
  if (!digestsEqual(body.requestHash, hash)) refused(`the request hashes to ${hash}; the decision on record is for ${body.requestHash}`);
  if (!allowsDispatch(body) && !operatorsPermit(decision, operators)) {
    refused(`the decision on record is ${body.outcome} [${body.reasons.join(', ')}] in ${body.mode} mode${body.operators ? `, and no ${body.operators.kind} of this run permits it` : ''}`);
  }
  if (outcome) {
    if (outcome.body.runId === caller.runId && digestsEqual(outcome.body.decisionReceiptId, decision.receiptId)) {
      return { resultHash: outcome.body.dispatch.resultHash, outcomeReceiptId: outcome.receiptId };
    }
    refused(`an outcome is already on record (${outcome.receiptId})`);
  }

  // Heartbeats from here until the outcome is on record: a worker that dies while the external
  // system holds the request (or before the outcome is written) is noticed within the heartbeat
  // timeout, and the attempt goes to another worker under the same key.
  const ctx = Context.current();
  ctx.heartbeat();
  const beat = setInterval(() => ctx.heartbeat(), DISPATCH_HEARTBEAT_MS);
  try {
    return await performDispatch(deps, request, hash, decision, ctx);
  } finally {
    clearInterval(beat);
  }
}

async function performDispatch(
  deps: DispatchDeps,
  request: ActionRequest,
  hash: Digest,
  decision: RecordedDecision,
  ctx: Context,
): Promise<DispatchOutput> {
  const body = decision.body;
  let result: unknown;
  try {
    const registry = body.policy.digest === null ? deps.connectors : await deps.connectors.forPolicy(body.policy.digest);
    if (!registry) {
      throw new ConnectorError('NO_CONNECTOR', `the connectors of policy set ${body.policy.digest} cannot be loaded`, { policyDigest: body.policy.digest });
    }
    const connector = registry.get(request.surface);
    result = await connector.handler({
      idempotencyKey: request.idempotencyKey,
      requestHash: hash,
      request,
      attempt: ctx.info.attempt,
      signal: ctx.cancellationSignal,
    });
  } catch (err) {
    if (err instanceof ConnectorError) {
      if (!err.retryable) {
        await recordOutcome(deps, request, decision, 'failed', null, { code: err.code, message: err.message });
      }
      throw ApplicationFailure.create({
        type: err.code,
        message: err.message,
        nonRetryable: !err.retryable,
        details: err.details === undefined ? [] : [err.details],
      });
    }
    throw err;
  }
  const canonical = canonicalJson(result ?? null);
  const resultHash = digestJson(result ?? null);
  await deps.faultPoints?.reach('dispatch.after-connector', request.idempotencyKey);
  const recorded = await recordOutcome(deps, request, decision, 'succeeded', resultHash, null);
  const small = Buffer.byteLength(canonical, 'utf8') <= MAX_REPORTED_RESULT_BYTES;
  return { resultHash, outcomeReceiptId: recorded.receiptId, ...(small ? { result: JSON.parse(canonical) as unknown } : {}) };
}

/** Commits this run's outcome receipt; a retry finds the one already there. */
async function recordOutcome(
  deps: DispatchDeps,
  request: ActionRequest,
  decision: RecordedDecision,
  status: OutcomeReceiptBody['dispatch']['status'],
  resultHash: Digest | null,
  error: OutcomeReceiptBody['dispatch']['error'],
): Promise<RecordedOutcome> {
  const body = outcomeBody(request, decision, (deps.now ?? (() => new Date()))().toISOString(), { status, resultHash, error });
  const { receipt, inserted } = await deps.store.append(body).catch(rethrowStoreError);
  // Attempts are observed once, by the attempt that recorded the outcome.
  if (inserted) {
    deps.metrics?.dispatchAttempts(request.surface, Context.current().info.attempt);
    log[status === 'succeeded' ? 'info' : 'warn'](`dispatch ${status} on ${request.surface}`, {
      event: 'dispatch',
      idempotencyKey: request.idempotencyKey,
      surface: request.surface,
      action: request.action,
      outcome: decision.body.outcome,
      dispatch: status,
      receiptId: receipt.receiptId,
      ...(error ? { error: error.message, errorCode: error.code } : {}),
    });
  }
  return { receiptId: receipt.receiptId, body: receipt.body as OutcomeReceiptBody };
}

/** The outcome receipt of a decision: same run, same request, same proven actor, linked by receipt id. */
export function outcomeBody(request: ActionRequest, decision: RecordedDecision, issuedAt: string, dispatch: OutcomeReceiptBody['dispatch']): OutcomeReceiptBody {
  return {
    ...receiptSubject(request, {
      workflowId: decision.body.workflowId,
      runId: decision.body.runId,
      requestHash: decision.body.requestHash,
      issuedAt,
      actorKeyId: decision.body.actor.keyId,
    }),
    kind: 'outcome',
    decisionReceiptId: decision.receiptId,
    dispatch,
  };
}
