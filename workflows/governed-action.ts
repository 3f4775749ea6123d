// The governed action: begin (prior receipts, policy pin) → authorize → decision receipt → dispatch → outcome receipt.
// Orchestration only: deterministic, no Node built-ins, no pg. Time comes from the workflow clock.
import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, BeginActionResult, RecordedReceipt } from '../activities/index.js';
import { GATE_REASONS, type ActionDecision, type ActionResult, type DispatchReport } from '../src/action/action-result.js';
import type { PolicyDecision } from '../src/policy/decision.js';
import { safeParseActionRequest, type ActionRequest } from '../src/request/action-request.js';
import { digestsEqual, type Digest } from '../src/request/digest.js';
import { requestHash } from '../src/request/request-hash.js';
import {
  receiptSubject,
  type DecisionReceiptBody,
  type DispatchStatus,
  type OutcomeReceiptBody,
  type SurfaceMode,
} from '../src/receipt/receipt-body.js';
import { receiptId } from '../src/receipt/receipt-id.js';
import { DISPATCH_ACTIVITY_OPTIONS } from './dispatch-options.js';
import {
  FAILURE_TYPES,
  SEARCH_ATTRIBUTES,
  decisionQuery,
  submitActionUpdate,
  type GovernedActionInput,
} from './contract.js';

/** Default gate budget for a surface the registry does not name (it is SILENCEd anyway). */
const DEFAULT_GATE_BUDGET_MS = 2_000;
/** The decision receipt gets this many attempts of this length before the action is refused instead. */
const STORE_ATTEMPT_MS = 2_000;
const STORE_ATTEMPTS = 3;

const store = proxyLocalActivities<Activities>({
  startToCloseTimeout: STORE_ATTEMPT_MS,
  scheduleToCloseTimeout: STORE_ATTEMPT_MS * STORE_ATTEMPTS,
  // Measured with SDK 1.24: a local activity's schedule-to-close does not end its retries (fast
  // failures went on past it, hung attempts were retried), so attempts and their length are
  // what bound it.
  retry: { initialInterval: '100ms', backoffCoefficient: 2, maximumInterval: '1s', maximumAttempts: STORE_ATTEMPTS },
});

// Receipts that must not be lost (outcomes, refusals) fall back to a regular activity retried until
// the store comes back. Not a local activity: a long local retry would hold back the workflow task,
// and with it the refusal the agent is waiting for.
const durableStore = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '30 days',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const external = proxyActivities<Activities>(DISPATCH_ACTIVITY_OPTIONS);

export async function governedActionWorkflow(input: GovernedActionInput): Promise<ActionResult> {
  const parsed = safeParseActionRequest(input?.request);
  if (!parsed.ok) {
    throw ApplicationFailure.nonRetryable(parsed.error.message, FAILURE_TYPES.invalidRequest, parsed.error.issues);
  }
  const request = parsed.request;
  const ownHash = requestHash(request);
  const { workflowId, runId } = workflowInfo();
  let decision: ActionDecision | undefined;

  // Every submit of this key gets the one decision; a different request under the key is refused.
  setHandler(
    submitActionUpdate,
    async (incoming) => {
      await condition(() => decision !== undefined);
      const decided = decision as ActionDecision;
      assertSameRequest(incoming, decided.requestHash, request.idempotencyKey);
      return decided;
    },
    { validator: (incoming) => assertSameRequest(incoming, decision?.requestHash ?? ownHash, request.idempotencyKey) },
  );
  setHandler(decisionQuery, () => decision ?? null);

  upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTES.surface, value: request.surface },
    { key: SEARCH_ATTRIBUTES.actor, value: request.actor.id },
  ]);

  const now = () => new Date(Date.now()).toISOString();
  const subject = (issuedAt: string) => receiptSubject(request, { workflowId, runId, requestHash: ownHash, issuedAt });

  // 1. Earlier receipts of this key answer for it; otherwise pin the active policy set.
  let begin: BeginActionResult | undefined;
  try {
    begin = await store.beginAction({ idempotencyKey: request.idempotencyKey, surface: request.surface });
  } catch {
    begin = undefined; // the store did not answer within its budget: refuse below
  }
  if (begin?.kind === 'prior') {
    const result = resultFromReceipts(begin);
    decision = { ...decisionView(begin.decision.body, begin.decision.receiptId), fromReceipts: true };
    publishDecision(decision);
    await condition(allHandlersFinished);
    return result;
  }

  // 2. Authorize against the pinned set, within the surface's budget. The decision receipt's
  // issue time is the instant the policies saw, so a replay evaluates at exactly that time.
  const decidedAt = now();
  let mode: SurfaceMode = 'enforce';
  let policyDecision: PolicyDecision;
  if (begin === undefined) {
    policyDecision = refusal('DENY', GATE_REASONS.receiptStoreUnavailable, null);
  } else if (begin.kind === 'policy-unavailable') {
    policyDecision = refusal('SILENCE', GATE_REASONS.policyUnavailable, null);
  } else {
    mode = begin.surface?.mode ?? 'enforce';
    const budgetMs = begin.surface?.budgetMs ?? DEFAULT_GATE_BUDGET_MS;
    // One attempt: the budget is the whole gate, retries included. authorize returns every
    // refusal as a value, so a throw is a fault and a retry could only overrun the budget.
    const gate = proxyLocalActivities<Activities>({
      scheduleToCloseTimeout: budgetMs,
      startToCloseTimeout: budgetMs,
      retry: { maximumAttempts: 1 },
    });
    try {
      policyDecision = await gate.authorize({ request, digest: begin.digest, now: decidedAt });
    } catch (err) {
      policyDecision = isTimeout(err)
        ? refusal('DENY', GATE_REASONS.gateTimeout, begin.digest)
        : refusal('SILENCE', GATE_REASONS.evaluationError, begin.digest);
    }
  }

  // 3. Put the decision on record before anything can be dispatched.
  let decisionBody: DecisionReceiptBody = {
    ...subject(decidedAt),
    kind: 'decision',
    outcome: policyDecision.outcome,
    reasons: [...policyDecision.reasons].sort(),
    mode,
    policy: {
      digest: policyDecision.policy.digest,
      version: begin?.kind === 'pinned' && begin.digest === policyDecision.policy.digest ? begin.version : null,
    },
  };
  let recorded: RecordedReceipt | undefined;
  if (begin !== undefined) {
    try {
      recorded = await store.recordReceipt({ body: decisionBody, request });
    } catch {
      recorded = undefined;
    }
  }
  if (recorded === undefined) {
    // The store is down: the action is refused now, and the refusal goes on record when the store is back.
    decisionBody = {
      ...decisionBody,
      outcome: 'DENY',
      reasons: [GATE_REASONS.receiptStoreUnavailable],
    };
    decision = decisionView(decisionBody, null);
    publishDecision(decision);
    recorded = await durableStore.recordReceipt({ body: decisionBody, request });
  }
  // Only the receipt we wrote unlocks dispatch; a different row found under the key never does.
  const onRecord = digestsEqual(recorded.receiptId, receiptId(decisionBody));
  decision = decisionView(decisionBody, recorded.receiptId);
  publishDecision(decision);

  // 4. Dispatch on PERMIT (or in shadow mode, where the decision is recorded but not enforced).
  let dispatch: DispatchReport & { status: DispatchStatus } = { status: 'skipped', resultHash: null, error: null };
  const mayDispatch =
    onRecord &&
    !isGateRefusal(decisionBody) &&
    (decisionBody.outcome === 'PERMIT' || decisionBody.mode === 'shadow');
  if (mayDispatch) {
    try {
      const out = await external.dispatch({ request, requestHash: ownHash, policyDigest: decisionBody.policy.digest });
      dispatch = { status: 'succeeded', resultHash: out.resultHash, error: null };
    } catch (err) {
      dispatch = { status: 'failed', resultHash: null, error: failureOf(err) };
    }
  }

  // 5. Record what dispatch did, linked to the decision receipt.
  const outcomeBody: OutcomeReceiptBody = {
    ...subject(now()),
    kind: 'outcome',
    decisionReceiptId: recorded.receiptId,
    dispatch: { status: dispatch.status, resultHash: dispatch.resultHash, error: dispatch.error },
  };
  const outcomeRecord = await recordDurably({ body: outcomeBody });

  await condition(allHandlersFinished);
  return {
    ...decision,
    receipts: { decision: recorded.receiptId, outcome: outcomeRecord.receiptId },
    dispatch,
  };
}

/** Fast path first (local activity within the store budget), then retried until it is on record. */
async function recordDurably(input: Parameters<Activities['recordReceipt']>[0]): Promise<RecordedReceipt> {
  try {
    return await store.recordReceipt(input);
  } catch {
    return await durableStore.recordReceipt(input);
  }
}

function publishDecision(decided: ActionDecision): void {
  upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTES.outcome, value: decided.outcome },
    ...(decided.policy.digest ? [{ key: SEARCH_ATTRIBUTES.policyDigest, value: decided.policy.digest }] : []),
  ]);
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
  };
}

/** Rebuilds the first answer of a key from its receipts (the workflow history may be long gone). */
function resultFromReceipts(prior: Extract<BeginActionResult, { kind: 'prior' }>): ActionResult {
  const view = decisionView(prior.decision.body, prior.decision.receiptId);
  const body = prior.decision.body;
  const mayHaveDispatched = body.outcome === 'PERMIT' || body.mode === 'shadow';
  const dispatch: DispatchReport = prior.outcome
    ? { ...prior.outcome.body.dispatch }
    : { status: mayHaveDispatched ? 'unknown' : 'skipped', resultHash: null, error: null };
  return {
    ...view,
    fromReceipts: true,
    receipts: { decision: prior.decision.receiptId, outcome: prior.outcome?.receiptId ?? null },
    dispatch,
  };
}

function assertSameRequest(incoming: ActionRequest, expectedHash: Digest, key: string): void {
  const parsed = safeParseActionRequest(incoming);
  if (!parsed.ok) {
    throw ApplicationFailure.nonRetryable(parsed.error.message, FAILURE_TYPES.invalidRequest, parsed.error.issues);
  }
  const incomingHash = requestHash(parsed.request);
  if (!digestsEqual(incomingHash, expectedHash)) {
    throw ApplicationFailure.nonRetryable(
      `idempotency key ${key} was first used for a different request (${expectedHash}); this request hashes to ${incomingHash}`,
      FAILURE_TYPES.idempotencyConflict,
      { firstRequestHash: expectedHash, requestHash: incomingHash },
    );
  }
}

/** Refusals the gate made itself (timeouts, store, policies) hold even in shadow mode. */
function isGateRefusal(body: DecisionReceiptBody): boolean {
  const gateReasons: string[] = [
    GATE_REASONS.gateTimeout,
    GATE_REASONS.receiptStoreUnavailable,
    GATE_REASONS.policyUnavailable,
  ];
  return body.outcome !== 'PERMIT' && body.reasons.some((r) => gateReasons.includes(r));
}

function refusal(outcome: 'DENY' | 'SILENCE', reason: string, digest: Digest | null): PolicyDecision {
  return { outcome, reasons: [reason], policy: { digest } };
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
