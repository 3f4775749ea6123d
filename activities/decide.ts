import { ApplicationFailure, log } from '@temporalio/activity';
import { GATE_REASONS, overridable } from '../src/action/action-result.js';
import type { RequestSignature } from '../src/identity/request-signature.js';
import type { PolicyDecision } from '../src/policy/decision.js';
import type { CompiledPolicySet } from '../src/policy/policy-set.js';
import type { PolicySource } from '../src/policy/policy-source.js';
import type { ActionRequest } from '../src/request/action-request.js';
import { requestHash } from '../src/request/request-hash.js';
import type { Digest } from '../src/request/digest.js';
import { receiptDetail, receiptSubject, type DecisionReceiptBody, type OperatorWait, type SurfaceMode } from '../src/receipt/receipt-body.js';
import type { SurfaceConfig } from '../src/policy/surface-registry.js';
import type { ReceiptStore } from '../src/store/receipt-store.js';
import type { FaultPoints } from '../src/faults/fault-points.js';
import type { GateMetrics } from '../src/metrics/gate-metrics.js';
import { receiptId } from '../src/receipt/receipt-id.js';
import { governedCall, type GovernedCaller, type RefusedCallSink } from './caller.js';
import { receiptsOfKey, type RecordedDecision, type RecordedOperators, type RecordedOutcome } from './run-receipts.js';
import { isPermanentStoreError, rethrowStoreError } from './store-errors.js';
import { DEFAULT_BUDGET_MS } from './begin-action.js';

export interface DecideInput {
  request: ActionRequest;
  /** The actor's detached signature over the request hash; absent for an unsigned request. */
  signature?: RequestSignature;
  /** When the action was submitted (the workflow's start): how long it queued is measured from here. */
  submittedAt: string;
  /**
   * Ignored: the gate takes its budget from the active policy set's surface. Workflow code before
   * the one-step gate read the budget first (beginAction) and passed it; its histories still carry it.
   */
  budgetMs?: number;
}

export type DecideResult =
  /** The decision this run made, committed: only this unlocks dispatch. */
  | {
      kind: 'decided';
      decision: RecordedDecision;
      /** The surface's budget the gate decided within (absent when found on record). */
      budgetMs?: number;
    }
  /** Another run of the key decided first: its receipts are the answer. */
  | { kind: 'prior'; decision: RecordedDecision; outcome: RecordedOutcome | null; operators?: RecordedOperators };

export interface DecideDeps {
  store: ReceiptStore;
  policies: PolicySource;
  onRefusedCall?: RefusedCallSink;
  /** The gate's clock (tests pass one). Decisions are timed here, never by the caller. */
  now?: () => Date;
  faultPoints?: FaultPoints;
  metrics?: GateMetrics;
}

const DEFAULT_MAX_QUEUE_MS = 60_000;
/** A store call (read or append) gets this many attempts of at most this long before the step gives up. */
export const STORE_ATTEMPTS = 3;
export const STORE_ATTEMPT_MS = 2_000;
/** How far a workflow's start time may be ahead of the gate's clock (hosts' clocks differ a little). */
const MAX_CLOCK_SKEW_MS = 5_000;

/**
 * The gate, in one step: evaluates the request against the active policy set (the actor proven by
 * its signature and the registry, the request validated against the schema, within the budget)
 * and commits the decision receipt, returning the decision as recorded. No caller can hand it a
 * decision, a time, an identity or a policy set: it computes and records them itself, for the
 * workflow run Temporal says scheduled it.
 *
 * Idempotent: a decision already on record for the key is returned (as this run's own, or as
 * an earlier run's answer), never a second one.
 */
export async function decide(deps: DecideDeps, input: DecideInput): Promise<DecideResult> {
  const { request, caller } = governedCall('decide', deps.onRefusedCall, input);
  // Whatever was sent is checked by the gate (a malformed one is bad_signature, with a receipt).
  const signature: unknown = input.signature;
  // What is on record for the key: this run's own decision (a retried first workflow task runs its
  // local activities again), an earlier run's answer, or nothing yet.
  const earlier = await existingDecision(deps.store, request, caller);
  if (earlier) return earlier;

  const clock = deps.now ?? (() => new Date());
  const budget: { ms: number } = { ms: DEFAULT_BUDGET_MS };
  const seen: { digest: Digest | null } = { digest: null };
  const loaded = await loadSet(deps.policies, request.surface, budget, seen);
  const budgetMs = budget.ms;
  const decidedAt = clock();

  let decision: PolicyDecision;
  let set: CompiledPolicySet | undefined;
  if (loaded === 'timeout') {
    // The receipt cites the set the action was pinned to, when it was known before the budget ran out.
    decision = refusal('DENY', GATE_REASONS.gateTimeout, seen.digest, `the policies were not at hand within the surface's ${budgetMs} ms budget`);
  } else if ('error' in loaded) {
    decision = refusal('SILENCE', GATE_REASONS.policyUnavailable, loaded.digest, loaded.error);
  } else {
    set = loaded.set;
    const evaluating = performance.now();
    decision = expiry(request, set, input.submittedAt, decidedAt) ?? set.evaluate(request, { now: decidedAt, signature });
    deps.metrics?.gateEvaluated(request.surface, (performance.now() - evaluating) / 1_000, set.surface(request.surface)?.budgetMs);
  }
  const surface = set?.surface(request.surface);
  const body: DecisionReceiptBody = {
    ...receiptSubject(request, {
      workflowId: caller.workflowId,
      runId: caller.runId,
      requestHash: requestHash(request),
      issuedAt: decidedAt.toISOString(),
      actorKeyId: decision.actorKeyId ?? null,
    }),
    kind: 'decision',
    outcome: decision.outcome,
    reasons: [...decision.reasons].sort(),
    mode: (surface?.mode ?? 'enforce') as SurfaceMode,
    policy: { digest: decision.policy.digest, version: set && decision.policy.digest === set.digest ? set.version : null },
    detail: receiptDetail(decision.detail),
  };
  const wait = surface ? operatorWait(request, decision, surface, body, decidedAt) : undefined;
  if (wait) body.operators = wait;
  await deps.faultPoints?.reach('decide.before-commit', request.idempotencyKey);
  const committed = await commitDecision(deps.store, request, caller, body);
  // Observed once: only the step whose own body was committed (a re-run finds the receipt before evaluating).
  if (committed.kind === 'decided' && committed.decision.receiptId === receiptId(body)) {
    deps.metrics?.decisionLatency(request.surface, (decidedAt.getTime() - Date.parse(input.submittedAt)) / 1_000);
    // One line per decision, by the step that recorded it (the activity logger adds workflow and run ids).
    log.info(`decision ${body.outcome} on ${request.surface}`, {
      event: 'decision',
      idempotencyKey: request.idempotencyKey,
      surface: request.surface,
      action: request.action,
      outcome: body.outcome,
      reasons: body.reasons,
      mode: body.mode,
      policyDigest: body.policy.digest,
      receiptId: committed.decision.receiptId,
    });
  }
  await deps.faultPoints?.reach('decide.after-commit', request.idempotencyKey);
  return committed.kind === 'decided' ? { ...committed, budgetMs } : committed;
}

/**
 * Whether the action waits for operators, from the pinned policies' grants: a STEP_UP on an
 * enforce surface with an approvals grant (one requirement per group its approval policies
 * name), or an overridable DENY of a request that asked for break-glass on a surface that grants it.
 */
function operatorWait(request: ActionRequest, decision: PolicyDecision, surface: SurfaceConfig, body: DecisionReceiptBody, at: Date): OperatorWait | undefined {
  if (body.mode !== 'enforce') return undefined;
  if (body.outcome === 'STEP_UP' && surface.approvals && decision.approvalGroups && decision.approvalGroups.length > 0) {
    const grant = surface.approvals;
    return {
      kind: 'approval',
      requirements: decision.approvalGroups.map((group) => ({ groups: [group], quorum: grant.quorum })),
      reasonRequired: grant.reasonRequired,
      until: new Date(at.getTime() + grant.windowMs).toISOString(),
    };
  }
  if (request.breakGlass && surface.breakGlass && overridable(body)) {
    const grant = surface.breakGlass;
    return {
      kind: 'override',
      requirements: [{ groups: [...grant.groups].sort(), quorum: grant.quorum }],
      reasonRequired: grant.reasonRequired,
      until: new Date(at.getTime() + grant.windowMs).toISOString(),
    };
  }
  return undefined;
}

/** A decision of this key already on record: this run's own (a re-run after a crash) or an earlier run's. */
export async function existingDecision(store: ReceiptStore, request: ActionRequest, caller: GovernedCaller): Promise<DecideResult | undefined> {
  const { decision, outcome, operators } = await withStoreAttempts(() => receiptsOfKey(store, request.idempotencyKey));
  if (!decision) return undefined;
  if (decision.body.runId === caller.runId && decision.body.workflowId === caller.workflowId) return { kind: 'decided', decision };
  return { kind: 'prior', decision, outcome: outcome ?? null, ...(operators ? { operators } : {}) };
}

/** Appends the decision receipt and reports what is on record: ours, or the one that won a race. */
export async function commitDecision(store: ReceiptStore, request: ActionRequest, caller: GovernedCaller, body: DecisionReceiptBody): Promise<DecideResult> {
  const { receipt } = await withStoreAttempts(() => store.append(body, { request }));
  if (receipt.body.kind !== 'decision') throw ApplicationFailure.nonRetryable(`receipt ${receipt.receiptId} is not a decision`, 'RECEIPT_REJECTED');
  const recorded = { receiptId: receipt.receiptId, body: receipt.body };
  if (receipt.body.runId === caller.runId && receipt.body.workflowId === caller.workflowId) return { kind: 'decided', decision: recorded };
  const { outcome, operators } = await withStoreAttempts(() => receiptsOfKey(store, request.idempotencyKey));
  return { kind: 'prior', decision: recorded, outcome: outcome ?? null, ...(operators ? { operators } : {}) };
}

/**
 * A store call with bounded attempts: a passing fault (a dropped connection, a failover) or an
 * attempt that does not answer within {@link STORE_ATTEMPT_MS} gets two more tries within the step
 * before the action is refused (receipt_store_unavailable); a permanent fault is rethrown at once
 * (RECEIPT_REJECTED). Appends are idempotent per (key, kind), so a retry after a commit whose answer
 * was lost (or came late) finds it.
 */
async function withStoreAttempts<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withinStoreAttempt(call());
    } catch (err) {
      if (attempt >= STORE_ATTEMPTS || isPermanentStoreError(err)) rethrowStoreError(err);
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** (attempt - 1)));
    }
  }
}

async function withinStoreAttempt<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  // An attempt given up on may still fail later: that answer is nobody's any more.
  work.catch(() => undefined);
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the receipt store did not answer within ${STORE_ATTEMPT_MS} ms`)), STORE_ATTEMPT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The pinned set to decide with, within the surface's budget: the active set names the digest and
 * the budget (at most the default budget to find out), the store holds the set under the digest.
 * Both parts count against the budget; what is left of it after the first bounds the second.
 */
async function loadSet(
  policies: PolicySource,
  surface: string,
  budget: { ms: number },
  seen: { digest: Digest | null },
): Promise<'timeout' | { set: CompiledPolicySet } | { error: string; digest: Digest | null }> {
  const started = performance.now();
  const active = await withinBudget(
    policies.active().then((set) => ({ set }), (err: unknown) => ({ error: (err as Error).message })),
    DEFAULT_BUDGET_MS,
  );
  if (active === 'timeout') return 'timeout';
  if ('error' in active) return { error: active.error, digest: null };
  seen.digest = active.set.digest;
  budget.ms = active.set.surface(surface)?.budgetMs ?? DEFAULT_BUDGET_MS;
  const remaining = Math.max(0, budget.ms - (performance.now() - started));
  // The set the store holds under the active digest: a bundle store loads (and verifies) it here.
  const pinned = await withinBudget(
    policies.pinned(active.set.digest).then(
      (set) => (set ? { set } : { error: `policy set ${active.set.digest} is not held`, digest: active.set.digest }),
      (err: unknown) => ({ error: (err as Error).message, digest: active.set.digest }),
    ),
    remaining,
  );
  return pinned;
}

async function withinBudget<T>(work: Promise<T>, budgetMs: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), budgetMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** DENY `expired` when the action queued longer than its surface allows, or its agent's notAfter has passed. */
function expiry(request: ActionRequest, set: CompiledPolicySet, submittedAt: string, now: Date): PolicyDecision | undefined {
  const maxQueueMs = set.surface(request.surface)?.maxQueueMs ?? DEFAULT_MAX_QUEUE_MS;
  const submitted = Date.parse(submittedAt);
  const notAfter = (request as { notAfter?: string }).notAfter;
  if (!Number.isFinite(submitted)) {
    return refusal('DENY', GATE_REASONS.expired, set.digest, `submittedAt ${JSON.stringify(submittedAt)} is not an instant`);
  }
  // The caller says when it was submitted; a time ahead of the gate's clock is not believed.
  if (submitted > now.getTime() + MAX_CLOCK_SKEW_MS) {
    return refusal('DENY', GATE_REASONS.expired, set.digest, `submittedAt ${submittedAt} is ahead of the gate's clock (${now.toISOString()})`);
  }
  const queuedMs = now.getTime() - submitted;
  if (queuedMs > maxQueueMs) {
    return refusal('DENY', GATE_REASONS.expired, set.digest, `queued ${queuedMs} ms before the gate could decide; the surface allows ${maxQueueMs} ms`);
  }
  if (notAfter !== undefined && now.getTime() > Date.parse(notAfter)) {
    return refusal('DENY', GATE_REASONS.expired, set.digest, `the request's notAfter ${notAfter} has passed (gate time ${now.toISOString()})`);
  }
  return undefined;
}

export function refusal(outcome: 'DENY' | 'SILENCE', reason: string, digest: PolicyDecision['policy']['digest'], detail: string): PolicyDecision {
  return { outcome, reasons: [reason], policy: { digest }, detail, actorKeyId: null };
}

