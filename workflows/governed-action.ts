// The governed action: begin (what is on record) → decide (the gate: evaluate + decision receipt,
// one step) → dispatch (checks the receipt, writes the outcome) → settle the outcome.
// Orchestration only: deterministic, no Node built-ins, no pg. Time comes from the workflow clock.
import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, DecideResult, RecordedDecision, RecordedOperators, RecordedOutcome } from '../activities/index.js';
import { allowsDispatch, type ActionDecision, type ActionResult, type DispatchReport, type OperatorResolution } from '../src/action/action-result.js';
import type { ActionRequest } from '../src/request/action-request.js';
import { digestJson, digestsEqual, type Digest } from '../src/request/digest.js';
import { requestHash } from '../src/request/request-hash.js';
import { SUPERSEDED_ERROR_CODE, receiptDetail, receiptSubject, type DecisionReceiptBody } from '../src/receipt/receipt-body.js';
import type { RequestSignature } from '../src/identity/request-signature.js';
import { DISPATCH_ACTIVITY_OPTIONS } from './dispatch-options.js';
import { MAX_REASONS_SHOWN, renderCurrentDetails, type CurrentDetails } from './current-details.js';
import {
  FAILURE_TYPES,
  SEARCH_ATTRIBUTES,
  decisionQuery,
  operatorApprovalSignal,
  operatorsQuery,
  submitActionUpdate,
  type GovernedActionInput,
  type OperatorsView,
} from './contract.js';

/** Store steps get this many attempts of this length before the action is refused instead. */
const STORE_ATTEMPT_MS = 2_000;
const STORE_ATTEMPTS = 3;

const store = proxyLocalActivities<Activities>({
  startToCloseTimeout: STORE_ATTEMPT_MS,
  scheduleToCloseTimeout: STORE_ATTEMPT_MS * STORE_ATTEMPTS,
  // Measured with SDK 1.24: a local activity's schedule-to-close does not end its retries (fast
  // failures went on past it, hung attempts were retried), so attempts and their length are
  // what bound it.
  retry: {
    initialInterval: '100ms',
    backoffCoefficient: 2,
    maximumInterval: '1s',
    maximumAttempts: STORE_ATTEMPTS,
    nonRetryableErrorTypes: ['CALLER_REFUSED', 'INVALID_INPUT', 'RECEIPT_REJECTED'],
  },
});

// Receipts that must not be lost (outcomes, refusals) fall back to a regular activity retried until
// the store comes back. Not a local activity: a long local retry would hold back the workflow task,
// and with it the refusal the agent is waiting for.
const durableStore = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '30 days',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['CALLER_REFUSED', 'INVALID_INPUT', 'RECEIPT_REJECTED'],
  },
});

const external = proxyActivities<Activities>(DISPATCH_ACTIVITY_OPTIONS);

/**
 * The one-step gate's bound, a backstop only: decide enforces the surface's budget (at most 60 s,
 * surfaces.json) on the policies itself and bounds each store call (3 attempts of 2 s, for the read
 * and for the append); this ends a step that stopped answering altogether (DENY gate_timeout).
 */
const GATE_STEP_MS = 60_000 + 2 * STORE_ATTEMPT_MS * STORE_ATTEMPTS + 1_000;
const gate = proxyLocalActivities<Activities>({
  startToCloseTimeout: GATE_STEP_MS,
  scheduleToCloseTimeout: GATE_STEP_MS,
  retry: { maximumAttempts: 1 },
});


/** Signals held at once while the action waits; more are dropped (and logged) until these are weighed. */
const MAX_PENDING_APPROVALS = 20;
/** Refused approvals kept for the `operators` query (all are logged by the checking activity). */
const MAX_REFUSED_SHOWN = 20;
/** After the window's timer, how long to wait before asking again when the gate's clock is behind. */
const WINDOW_RECHECK_MS = 5_000;

/**
 * Guards the ActionDispatch upserts: they are commands at positions where histories recorded
 * before them have none, so a run started by older code replays without them (test/workflows/replay.test.ts).
 * The card (setCurrentDetails) and the ActionReasons key added to the decision's existing upsert need
 * no guard: the first is no command at all, the second changes no command's position or type.
 */
const DISPATCH_ATTRIBUTE_PATCH = 'action-dispatch-search-attribute';

/**
 * Guards the one-step gate (decide finds what is on record and takes its budget itself; surface and
 * actor are upserted with the decision): histories recorded before it have the beginAction marker
 * first and an upsert before it, and replay through the other branch.
 */
const ONE_GATE_STEP_PATCH = 'one-gate-step';

/**
 * Surface and actor, upserted with the first decision published (one command instead of two); keyed
 * by the run's card, so no state is shared between runs in a reused context.
 */
const pendingSubject = new WeakMap<CurrentDetails, Array<{ key: (typeof SEARCH_ATTRIBUTES)['surface']; value: string }>>();

export async function governedActionWorkflow(input: GovernedActionInput): Promise<ActionResult> {
  const { workflowId, startTime } = workflowInfo();
  // Only what the workflow itself needs is checked here (the key is the workflow ID; the hash can be
  // taken); the gate validates the whole request (zod, in the decide step), so the schema stays out of
  // the workflow bundle and out of every activation.
  const { request, hash: ownHash } = workflowRequest(input?.request, workflowId);
  let decision: ActionDecision | undefined;
  const card: CurrentDetails = { decision: null, budgetMs: null, dispatch: null, operators: null };
  setCurrentDetails(renderCurrentDetails(card));

  // Every submit of this key gets the one decision; a different request under the key is refused.
  setHandler(
    submitActionUpdate,
    async (incoming, _signature?: RequestSignature) => {
      await condition(() => decision !== undefined);
      const decided = decision as ActionDecision;
      assertSameRequest(incoming, decided.requestHash, request.idempotencyKey);
      return decided;
    },
    { validator: (incoming, _signature?: RequestSignature) => assertSameRequest(incoming, decision?.requestHash ?? ownHash, request.idempotencyKey) },
  );
  setHandler(decisionQuery, () => decision ?? null);
  // null until the action waits for operators (awaitOperators answers from then on).
  setHandler(operatorsQuery, () => null);
  const now = () => new Date(Date.now()).toISOString();

  let decided: DecideResult | undefined;
  let refusalDetail: { reason: 'gate_timeout' | 'receipt_store_unavailable'; detail: string } | undefined;
  if (patched(ONE_GATE_STEP_PATCH)) {
    // The gate in one step: what is on record for the key (an earlier run's answer, this run's own
    // decision after a retried first workflow task), else evaluate within the surface's budget and
    // commit the decision receipt. One local activity, one activation.
    try {
      decided = await gate.decide({ request, signature: input.signature, submittedAt: startTime.toISOString() });
      if (decided.kind === 'decided' && decided.budgetMs !== undefined) card.budgetMs = decided.budgetMs;
    } catch (err) {
      const failure = failureOf(err);
      if (failure.code === 'INVALID_INPUT') {
        throw ApplicationFailure.nonRetryable(failure.message.replace(/^input\.request is not a valid ActionRequest: /, ''), FAILURE_TYPES.invalidRequest);
      }
      refusalDetail = isTimeout(err)
        ? { reason: 'gate_timeout', detail: `the gate did not answer within ${GATE_STEP_MS} ms` }
        : { reason: 'receipt_store_unavailable', detail: failure.message };
    }
    // Surface and actor go up with the decision, in one upsert, once the gate has validated the
    // request (a step that never answered validated nothing: then only plain short strings go up).
    const subject = decided !== undefined || (isShortText(request.surface) && isShortText((request.actor as { id?: unknown } | undefined)?.id));
    if (subject) {
      pendingSubject.set(card, [
        { key: SEARCH_ATTRIBUTES.surface, value: request.surface },
        { key: SEARCH_ATTRIBUTES.actor, value: request.actor.id },
      ]);
    }
  } else {
    // Histories recorded before the one-step gate: search attributes first, then beginAction, then
    // decide with the budget beginAction returned. Replayed only (a new run takes the branch above).
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.surface, value: request.surface },
      { key: SEARCH_ATTRIBUTES.actor, value: request.actor.id },
    ]);
    let begin: Awaited<ReturnType<Activities['beginAction']>> | undefined;
    try {
      begin = await store.beginAction({ request });
    } catch {
      begin = undefined;
    }
    if (begin?.kind === 'prior') return answerFromPrior(begin, (d) => (decision = d), card);
    decided = begin?.kind === 'own' ? { kind: 'decided', decision: begin.decision } : undefined;
    if (begin === undefined) {
      refusalDetail = { reason: 'receipt_store_unavailable', detail: 'the receipt store did not answer' };
    } else if (begin.kind === 'new') {
      card.budgetMs = begin.budgetMs;
      const budgeted = proxyLocalActivities<Activities>({
        startToCloseTimeout: begin.budgetMs + STORE_ATTEMPT_MS * STORE_ATTEMPTS,
        scheduleToCloseTimeout: begin.budgetMs + STORE_ATTEMPT_MS * STORE_ATTEMPTS,
        retry: { maximumAttempts: 1 },
      });
      try {
        decided = await budgeted.decide({ request, signature: input.signature, submittedAt: startTime.toISOString(), budgetMs: begin.budgetMs });
      } catch (err) {
        refusalDetail = isTimeout(err)
          ? { reason: 'gate_timeout', detail: `the gate did not answer within ${begin.budgetMs} ms` }
          : { reason: 'receipt_store_unavailable', detail: failureOf(err).message };
      }
    }
  }
  if (decided === undefined && refusalDetail !== undefined) {
    // The gate could not answer: refuse now, and put the refusal on record (when the store is back).
    const issuedAt = now();
    const pending = refusalBody(request, ownHash, refusalDetail.reason, issuedAt);
    decision = decisionView({ ...pending, detail: receiptDetail(refusalDetail.detail) }, null);
    publishDecision(decision, card);
    const refusalInput = { request, reason: refusalDetail.reason, detail: refusalDetail.detail, issuedAt };
    try {
      decided = await store.recordRefusal(refusalInput);
    } catch {
      decided = await durableStore.recordRefusal(refusalInput);
    }
    if (decided.kind === 'decided' && decided.decision.body.outcome !== 'PERMIT') {
      decision = decisionView(decided.decision.body, decided.decision.receiptId);
      publishDecision(decision, card);
    }
    // A PERMIT found on record here was committed by a decide step whose answer came too late: the
    // agent has been told DENY, so it is not dispatched, and the outcome receipt says which refusal
    // applied (verify --require-permit answers SUPERSEDED, not authorized).
    const superseded = {
      code: SUPERSEDED_ERROR_CODE,
      message: `the agent was refused (DENY ${refusalDetail.reason}) before this decision was recorded; it was not carried out`,
    };
    return finish(request, decided, decision, superseded, (d) => (decision = d), card);
  }
  if (decided === undefined) throw ApplicationFailure.nonRetryable('no decision was reached', 'GATE_FAULT');
  if (decided.kind === 'prior') return answerFromPrior(decided, (d) => (decision = d), card);

  decision = decisionView(decided.decision.body, decided.decision.receiptId);
  publishDecision(decision, card);
  // A STEP_UP, or a DENY whose request asked for break-glass: the agent has its answer; the action
  // stays open for operators until the window closes.
  const resolution = decided.decision.body.operators ? await awaitOperators(request, decided.decision, card) : undefined;
  return finish(request, decided, decision, null, (d) => (decision = d), card, resolution);
}

/**
 * Waits for operators' signed approvals (signal `operator-approval`) until the decision's window
 * closes, by the workflow clock (a worker that dies meanwhile resumes the same wait). Every batch
 * is weighed by the resolveOperators activity against Postgres and the pinned policies; only its
 * verdict counts. Returns the recorded approval or override receipt, or null if none could be
 * recorded (the action then ends without dispatch).
 */
async function awaitOperators(request: ActionRequest, decision: RecordedDecision, card: CurrentDetails): Promise<RecordedOperators | null> {
  const wait = decision.body.operators as NonNullable<DecisionReceiptBody['operators']>;
  const pending = wait.kind === 'approval' ? 'approval-pending' : 'break-glass-pending';
  upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.operators, value: pending }]);
  const inbox: unknown[] = [];
  let dropped = 0;
  const view: OperatorsView = {
    kind: wait.kind,
    decisionReceiptId: decision.receiptId,
    requirements: wait.requirements,
    reasonRequired: wait.reasonRequired,
    until: wait.until,
    counted: [],
    refused: [],
    resolution: null,
  };
  const shown: NonNullable<CurrentDetails['operators']> = { kind: wait.kind, until: wait.until, counted: 0, resolution: null };
  card.operators = shown;
  setCurrentDetails(renderCurrentDetails(card));
  setHandler(operatorApprovalSignal, (approval: unknown) => {
    if (view.resolution !== null) return;
    if (inbox.length >= MAX_PENDING_APPROVALS) {
      dropped++;
      return;
    }
    inbox.push(approval);
  });
  setHandler(operatorsQuery, () => view);

  const until = Date.parse(wait.until);
  let counted: unknown[] = [];
  let receipt: RecordedOperators | null = null;
  while (receipt === null) {
    const remaining = until - Date.now();
    const arrived = remaining > 0 && (await condition(() => inbox.length > 0, remaining));
    if (dropped > 0) {
      log.warn('operator approvals dropped: too many at once', { idempotencyKey: request.idempotencyKey, dropped });
      dropped = 0;
    }
    const batch = arrived ? inbox.splice(0, inbox.length) : [];
    const approvals = [...counted, ...batch];
    let result: Awaited<ReturnType<Activities['resolveOperators']>>;
    try {
      // Reads Postgres and the pinned policies, may write the approval or override receipt: the
      // durable store activity, retried while the store or the policies are away.
      result = await durableStore.resolveOperators({ request, approvals, windowClosed: !arrived });
    } catch (err) {
      log.error('operators could not be weighed: the action ends without dispatch', { idempotencyKey: request.idempotencyKey, error: failureOf(err).message });
      break;
    }
    if (result.kind === 'resolved') {
      receipt = result.receipt;
      break;
    }
    counted = result.checks.filter((check) => check.ok).map((check) => approvals[check.index]);
    view.counted = result.checks
      .filter((check) => check.ok)
      .map((check) => ({ operatorId: check.operatorId ?? '', verdict: check.verdict ?? '', expiresAt: check.expiresAt ?? '' }));
    const refusedNow = result.checks
      .filter((check) => !check.ok && check.index >= approvals.length - batch.length)
      .map((check) => ({ operatorId: check.operatorId, rejection: check.rejection ?? 'refused', detail: check.detail ?? '' }));
    view.refused = [...view.refused, ...refusedNow].slice(-MAX_REFUSED_SHOWN);
    shown.counted = view.counted.length;
    setCurrentDetails(renderCurrentDetails(card));
    if (!arrived) await sleep(WINDOW_RECHECK_MS); // the window's timer fired before the gate's clock agreed
  }
  if (receipt) {
    const body = receipt.body;
    view.resolution = { outcome: body.outcome, reasons: body.reasons, receiptId: receipt.receiptId };
    // approved, approval-rejected, approval-timeout, overridden, override-rejected, override-timeout
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.operators, value: body.reasons[0].replace(/_/g, '-') }]);
    shown.resolution = `${body.outcome} ${body.reasons[0]}`;
  } else {
    shown.resolution = 'unresolved';
  }
  setCurrentDetails(renderCurrentDetails(card));
  return receipt;
}

/**
 * Dispatch (when the recorded decision allows it and nothing superseded it) and settle the
 * outcome receipt. `superseded`: why a decision on record is not carried out (the agent was told
 * otherwise first); it becomes the outcome's error.
 */
async function finish(
  request: ActionRequest,
  decided: DecideResult,
  told: ActionDecision,
  superseded: { code: string; message: string } | null,
  setDecision: (d: ActionDecision) => void,
  card: CurrentDetails,
  operators?: RecordedOperators | null,
): Promise<ActionResult> {
  if (decided.kind === 'prior') return answerFromPrior(decided, setDecision, card);
  const recorded = decided.decision;
  let failure: { code: string; message: string } | null = null;
  let dispatched = false;
  let reported: { result?: unknown } = {};
  const permitted = allowsDispatch(recorded.body) || operators?.body.outcome === 'PERMIT';
  if (superseded === null && permitted) {
    publishDispatch(card, 'pending', null);
    try {
      reported = await external.dispatch({ request });
      dispatched = true;
    } catch (err) {
      failure = failureOf(err);
    }
  }
  // What is on record is the answer: the outcome the dispatch activity committed, or the failure or
  // skip seen here. A completion of dispatch that did not come with its receipt settles as failed.
  const settleInput = {
    request,
    issuedAt: new Date(Date.now()).toISOString(),
    dispatch:
      dispatched || failure
        ? { status: 'failed' as const, error: failure ?? { code: 'DISPATCH_UNCONFIRMED', message: 'dispatch completed without an outcome receipt' } }
        : { status: 'skipped' as const, error: superseded !== null && permitted ? superseded : operators === null ? OPERATORS_UNRESOLVED : null },
  };
  let outcome: RecordedOutcome;
  try {
    outcome = await store.recordOutcome(settleInput);
  } catch {
    outcome = await durableStore.recordOutcome(settleInput);
  }
  publishDispatch(card, outcome.body.dispatch.status, outcome.body.dispatch.error?.code ?? null);
  await condition(allHandlersFinished);
  // The connector's answer is passed on only if it is the one the outcome receipt hashes: a forged
  // completion of dispatch cannot put words in the external system's mouth.
  const answer = outcome.body.dispatch.status === 'succeeded' && reported.result !== undefined && outcome.body.dispatch.resultHash !== null &&
    digestsEqual(digestJson(reported.result), outcome.body.dispatch.resultHash)
    ? { result: reported.result }
    : {};
  return {
    ...told,
    receipts: { decision: recorded.receiptId, outcome: outcome.receiptId },
    dispatch: { ...outcome.body.dispatch, ...answer },
    ...(operators !== undefined && recorded.body.operators ? { operators: operatorResolution(recorded.body.operators.kind, operators) } : {}),
  };
}

/** The outcome's error when operators' answers could not be weighed or recorded: nothing was dispatched. */
const OPERATORS_UNRESOLVED = { code: 'OPERATORS_UNRESOLVED', message: 'the operators\' answers could not be weighed or recorded; the action was not carried out' };

function operatorResolution(kind: 'approval' | 'override', receipt: RecordedOperators | null): OperatorResolution {
  if (receipt === null) return { kind, outcome: 'DENY', reasons: ['operators_unresolved'], operators: [], receiptId: null };
  return {
    kind,
    outcome: receipt.body.outcome,
    reasons: [...receipt.body.reasons],
    operators: receipt.body.approvals.map((a) => a.statement.operatorId),
    receiptId: receipt.receiptId,
  };
}

/** An earlier run of the key decided: the same request gets its answer, another one a conflict. */
async function answerFromPrior(
  prior: { decision: RecordedDecision; outcome: RecordedOutcome | null; operators?: RecordedOperators },
  setDecision: (d: ActionDecision) => void,
  card: CurrentDetails,
): Promise<ActionResult> {
  const result = resultFromReceipts(prior);
  if (result.dispatch.status === 'unknown') {
    // An earlier run decided to dispatch and left no outcome (terminated, timed out, or its history
    // gone): the effect may have happened. `actiongate receipts unsettled` lists these for an operator.
    log.warn('DISPATCH OUTCOME UNKNOWN: an earlier run of this key may have dispatched and recorded no outcome', {
      idempotencyKey: prior.decision.body.idempotencyKey,
      decidedByRun: prior.decision.body.runId,
    });
  }
  const view = { ...decisionView(prior.decision.body, prior.decision.receiptId), fromReceipts: true };
  // The update handler answers each submit from this view: the same request gets the decision on
  // record, a different one IDEMPOTENCY_CONFLICT.
  setDecision(view);
  publishDecision(view, card);
  publishDispatch(card, result.dispatch.status, result.dispatch.error?.code ?? null);
  await condition(allHandlersFinished);
  // A run started for a different request under the key ends with the first request's answer, so a
  // later submit of the first request, which meets this closed run, reads that answer. Its own
  // submitter got IDEMPOTENCY_CONFLICT from the update; the receipt of the run's request hash is not
  // written (it decided nothing).
  return result;
}

/** The decision on the workflow page: ActionOutcome, ActionReasons, PolicyDigest and the card. */
function publishDecision(decided: ActionDecision, card: CurrentDetails): void {
  const subject = pendingSubject.get(card) ?? [];
  pendingSubject.delete(card);
  upsertSearchAttributes([
    ...subject,
    { key: SEARCH_ATTRIBUTES.outcome, value: decided.outcome },
    // Policy ids and gate reasons only (bounded by the policy set); the detail text stays out.
    ...(decided.reasons.length > 0 ? [{ key: SEARCH_ATTRIBUTES.reasons, value: decided.reasons.slice(0, MAX_REASONS_SHOWN) }] : []),
    ...(decided.policy.digest ? [{ key: SEARCH_ATTRIBUTES.policyDigest, value: decided.policy.digest }] : []),
  ]);
  card.decision = decided;
  setCurrentDetails(renderCurrentDetails(card));
}

/** ActionDispatch (pending while dispatching, then the outcome's status) and the card; the error's code, never its text. */
function publishDispatch(card: CurrentDetails, status: string, errorCode: string | null): void {
  if (patched(DISPATCH_ATTRIBUTE_PATCH)) upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.dispatch, value: status }]);
  card.dispatch = { status, errorCode };
  setCurrentDetails(renderCurrentDetails(card));
}

function refusalBody(request: ActionRequest, hash: Digest, reason: string, issuedAt: string): DecisionReceiptBody {
  const { workflowId, runId } = workflowInfo();
  return {
    ...receiptSubject(request, { workflowId, runId, requestHash: hash, issuedAt, actorKeyId: null }),
    kind: 'decision',
    outcome: 'DENY',
    reasons: [reason],
    mode: 'enforce',
    policy: { digest: null, version: null },
    detail: null,
  };
}

function decisionView(body: DecisionReceiptBody, decisionReceiptId: Digest | null): ActionDecision {
  return {
    idempotencyKey: body.idempotencyKey,
    workflowId: body.workflowId,
    runId: body.runId,
    requestHash: body.requestHash,
    outcome: body.outcome,
    reasons: body.reasons,
    mode: body.mode,
    policy: body.policy,
    receipts: { decision: decisionReceiptId },
    fromReceipts: false,
    detail: body.detail ?? null,
    ...(body.operators ? { waitsFor: body.operators } : {}),
  };
}

/** Rebuilds the first answer of a key from its receipts (the workflow history may be long gone). */
function resultFromReceipts(prior: { decision: RecordedDecision; outcome: RecordedOutcome | null; operators?: RecordedOperators }): ActionResult {
  const view = decisionView(prior.decision.body, prior.decision.receiptId);
  const wait = prior.decision.body.operators;
  const operators = wait && prior.operators && prior.operators.body.decisionReceiptId === prior.decision.receiptId ? prior.operators : undefined;
  const permitted = allowsDispatch(prior.decision.body) || operators?.body.outcome === 'PERMIT';
  const dispatch: DispatchReport = prior.outcome
    ? { ...prior.outcome.body.dispatch }
    : { status: permitted ? 'unknown' : 'skipped', resultHash: null, error: null };
  return {
    ...view,
    fromReceipts: true,
    receipts: { decision: prior.decision.receiptId, outcome: prior.outcome?.receiptId ?? null },
    dispatch,
    ...(wait ? { operators: operatorResolution(wait.kind, operators ?? null) } : {}),
  };
}

function assertSameRequest(incoming: unknown, expectedHash: Digest, key: string): void {
  const incomingHash = requestShape(incoming).hash;
  if (!digestsEqual(incomingHash, expectedHash)) throw conflictFailure(key, expectedHash, incomingHash);
}

/**
 * The request as the workflow needs it, without the schema (the gate validates it in full): an
 * object whose idempotency key is the workflow ID, with `context` defaulted as the schema does, so
 * its hash is the hash of the parsed request. Surface and actor are used only after the gate
 * accepted the request.
 */
function workflowRequest(raw: unknown, workflowId: string): { request: ActionRequest; hash: Digest } {
  const shaped = requestShape(raw);
  const request = shaped.request;
  if (request.idempotencyKey !== workflowId) {
    // The workflow ID is the idempotency key: another ID would let one key be decided twice, or squat another's.
    throw ApplicationFailure.nonRetryable(
      `the workflow ID ${workflowId} is not the request's idempotency key ${String(request.idempotencyKey)}`,
      FAILURE_TYPES.invalidRequest,
      [{ path: 'idempotencyKey', message: `must be the workflow ID (${workflowId})` }],
    );
  }
  return shaped;
}

function isShortText(value: unknown): boolean {
  return typeof value === 'string' && value.length <= 200;
}

function requestShape(raw: unknown): { request: ActionRequest; hash: Digest } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw ApplicationFailure.nonRetryable('the request must be an object', FAILURE_TYPES.invalidRequest, [{ path: '', message: 'must be an object' }]);
  }
  const request = (('context' in raw) ? raw : { ...raw, context: {} }) as ActionRequest;
  try {
    return { request, hash: requestHash(request) };
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`the request is not JSON: ${(err as Error).message}`, FAILURE_TYPES.invalidRequest);
  }
}

function conflictFailure(key: string, firstHash: Digest, hash: Digest): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `idempotency key ${key} was first used for a different request (${firstHash}); this request hashes to ${hash}`,
    FAILURE_TYPES.idempotencyConflict,
    { firstRequestHash: firstHash, requestHash: hash },
  );
}

function isTimeout(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure;
}

function failureOf(err: unknown): { code: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { code: cause.type ?? 'ApplicationFailure', message: cause.message };
  if (cause instanceof TimeoutFailure) return { code: 'DISPATCH_TIMEOUT', message: cause.message };
  return { code: 'DISPATCH_FAILED', message: cause instanceof Error ? cause.message : String(cause) };
}
