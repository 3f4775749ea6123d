import { ApplicationFailure, log } from '@temporalio/activity';
import { z } from 'zod';
import { checkApproval, type ApprovalRejection, type SignedApproval } from '../src/identity/operator-approval.js';
import type { PolicySource } from '../src/policy/policy-source.js';
import { digestsEqual } from '../src/request/digest.js';
import { requestHash } from '../src/request/request-hash.js';
import { OPERATOR_REASONS, type OperatorReceiptBody, type OperatorReason, type OperatorWait } from '../src/receipt/receipt-body.js';
import { nodeBackend } from '../src/receipt/verify/node-backend.js';
import type { ReceiptStore } from '../src/store/receipt-store.js';
import { governedCall, parseInput, refuse, type RefusedCallSink } from './caller.js';
import { receiptsOfKey, type RecordedDecision, type RecordedOperators } from './run-receipts.js';
import { rethrowStoreError } from './store-errors.js';

/** Most approvals one call considers: a flood of signals cannot make one check unbounded. */
export const MAX_APPROVALS_PER_CHECK = 50;

/**
 * How far past the window's end (by the workflow's clock) the gate's clock may still be short of
 * it: a window-closed call earlier than this is answered `waiting`, not a timeout.
 */
export const WINDOW_CLOCK_SKEW_MS = 60_000;

export interface ResolveOperatorsInput {
  request: unknown;
  /** Signed approvals as the operators sent them: checked here, none is trusted. */
  approvals: unknown[];
  /** The workflow's timer for the window fired: no approval came in time. */
  windowClosed: boolean;
}

/** Why one approval did not count. */
export type ApprovalRefusal = ApprovalRejection | 'window_closed' | 'replayed_nonce' | 'same_operator' | 'not_waiting';

export interface ApprovalCheckResult {
  /** Index in `approvals`. */
  index: number;
  operatorId: string | null;
  ok: boolean;
  verdict?: string;
  expiresAt?: string;
  rejection?: ApprovalRefusal;
  detail?: string;
}

export type ResolveOperatorsResult =
  /** The approval or override receipt of this run is on record (just now, or by an earlier attempt). */
  | { kind: 'resolved'; receipt: RecordedOperators }
  /** Not decided yet: which approvals count, which do not and why. */
  | { kind: 'waiting'; checks: ApprovalCheckResult[] };

const InputSchema = z.object({
  approvals: z.array(z.unknown()).max(MAX_APPROVALS_PER_CHECK),
  windowClosed: z.boolean(),
});

/**
 * What operators did, for counting (the observability issue's metrics hang here). `approval_refused`
 * is reported each time a signed statement is weighed and does not count (at least once: a retried
 * check reports again); `resolved` once, when the approval or override receipt is committed
 * (`kind: 'override'` with `outcome: 'PERMIT'` is a break-glass).
 */
export type OperatorEvent =
  | { type: 'approval_refused'; surface: string; kind: 'approval' | 'override'; operatorId: string | null; rejection: ApprovalRefusal }
  | { type: 'resolved'; surface: string; kind: 'approval' | 'override'; outcome: 'PERMIT' | 'DENY'; reason: OperatorReason; operators: string[] };

export type OperatorEventSink = (event: OperatorEvent) => void;

export interface ResolveOperatorsDeps {
  store: ReceiptStore;
  policies: PolicySource;
  onRefusedCall?: RefusedCallSink;
  onOperatorEvent?: OperatorEventSink;
  now?: () => Date;
}

/**
 * Weighs the operators' signed approvals for the calling run's action and, once they decide it,
 * commits the approval (step-up) or override (break-glass) receipt. Everything is checked here
 * against Postgres and the PINNED policy set (the decision's digest, not the newest): the run's
 * committed decision must wait for operators, each approval must come from a known operator with
 * an operator key valid now, in a group the wait names, with a strict Ed25519 signature over
 * exactly this workflow, run, request hash and decision receipt, not expired, inside the window,
 * its nonce not seen before and its operator not counted twice.
 *
 * Decides: a valid `reject` → DENY `*_rejected`; every requirement met by distinct valid
 * approving operators → PERMIT (`approved` / `overridden`); the window closed → DENY `*_timeout`.
 * Otherwise it records nothing and says which approvals count. Safe for a stranger: it only ever
 * writes what the operators' own signatures and the run's own decision support.
 */
export async function resolveOperators(deps: ResolveOperatorsDeps, input: ResolveOperatorsInput): Promise<ResolveOperatorsResult> {
  const { request, caller } = governedCall('resolveOperators', deps.onRefusedCall, input);
  const data = parseInput('resolveOperators', deps.onRefusedCall, InputSchema, input);
  const refused = (why: string): never => refuse('resolveOperators', deps.onRefusedCall, 'CALLER_REFUSED', `operators for ${request.idempotencyKey}: ${why}`);
  const { decision, outcome, operators } = await receiptsOfKey(deps.store, request.idempotencyKey).catch(rethrowStoreError);
  if (!decision || decision.body.runId !== caller.runId || decision.body.workflowId !== caller.workflowId) {
    return refused(`no decision of run ${caller.runId} is on record`);
  }
  if (!digestsEqual(decision.body.requestHash, requestHash(request))) refused(`the request does not hash to the decision's ${decision.body.requestHash}`);
  const wait = decision.body.operators;
  if (!wait) return refused(`the decision ${decision.receiptId} does not wait for operators`);
  if (operators) {
    if (operators.body.runId === caller.runId && digestsEqual(operators.body.decisionReceiptId, decision.receiptId)) return { kind: 'resolved', receipt: operators };
    refused(`an ${operators.body.kind} receipt of another run is on record (${operators.receiptId})`);
  }
  if (outcome) refused(`the action is settled already (${outcome.receiptId})`);

  const digest = decision.body.policy.digest;
  const set = digest === null ? undefined : await deps.policies.pinned(digest);
  if (!set) {
    // The operators are judged by the pinned set only; until it is at hand, nothing is decided.
    throw ApplicationFailure.retryable(`the pinned policy set ${digest} is not at hand`, 'POLICY_UNAVAILABLE');
  }
  const now = (deps.now ?? (() => new Date()))();
  const until = Date.parse(wait.until);
  const verdicts = wait.kind === 'approval' ? (['approve', 'reject'] as const) : (['override', 'reject'] as const);
  const groups = [...new Set(wait.requirements.flatMap((r) => r.groups))];
  const nonces = new Set<string>();
  const operatorsSeen = new Set<string>();
  const valid: SignedApproval[] = [];
  const checks: ApprovalCheckResult[] = data.approvals.map((approval, index) => {
    const check = checkApproval(
      set.principals,
      approval,
      {
        workflowId: caller.workflowId,
        runId: caller.runId,
        requestHash: decision.body.requestHash,
        decisionReceiptId: decision.receiptId,
        verdicts,
        groups,
        reasonRequired: wait.reasonRequired,
      },
      { now, backend: nodeBackend },
    );
    const operatorId = operatorOf(approval);
    if (!check.ok) return { index, operatorId, ok: false, rejection: check.rejection, detail: check.detail };
    if (now.getTime() >= until) return { index, operatorId, ok: false, rejection: 'window_closed', detail: `the window closed at ${wait.until}` };
    if (nonces.has(check.statement.nonce)) return { index, operatorId, ok: false, rejection: 'replayed_nonce', detail: 'this nonce was already used' };
    nonces.add(check.statement.nonce);
    if (operatorsSeen.has(check.operatorId)) return { index, operatorId, ok: false, rejection: 'same_operator', detail: `${check.operatorId} is already counted` };
    operatorsSeen.add(check.operatorId);
    valid.push(approval as SignedApproval);
    return { index, operatorId, ok: true, verdict: check.verdict, expiresAt: check.statement.expiresAt };
  });
  for (const check of checks) {
    if (!check.ok) {
      log.warn('operator approval refused', { idempotencyKey: request.idempotencyKey, operatorId: check.operatorId, rejection: check.rejection, detail: check.detail });
      report(deps.onOperatorEvent, { type: 'approval_refused', surface: request.surface, kind: wait.kind, operatorId: check.operatorId, rejection: check.rejection ?? 'malformed' });
    }
  }

  const rejections = valid.filter((a) => a.statement.verdict === 'reject');
  const approving = valid.filter((a) => a.statement.verdict !== 'reject');
  let resolution: { outcome: 'PERMIT' | 'DENY'; reason: OperatorReason; approvals: SignedApproval[] } | undefined;
  if (rejections.length > 0) {
    resolution = { outcome: 'DENY', reason: wait.kind === 'approval' ? OPERATOR_REASONS.approvalRejected : OPERATOR_REASONS.overrideRejected, approvals: rejections };
  } else if (requirementsMet(wait, approving, set.principals.principals)) {
    resolution = { outcome: 'PERMIT', reason: wait.kind === 'approval' ? OPERATOR_REASONS.approved : OPERATOR_REASONS.overridden, approvals: approving };
  } else if (data.windowClosed && now.getTime() >= until - WINDOW_CLOCK_SKEW_MS) {
    resolution = { outcome: 'DENY', reason: wait.kind === 'approval' ? OPERATOR_REASONS.approvalTimeout : OPERATOR_REASONS.overrideTimeout, approvals: [] };
  }
  if (!resolution) return { kind: 'waiting', checks };

  const body = operatorBody(decision, wait, resolution, now.toISOString(), set.version);
  const { receipt, inserted } = await deps.store.append(body).catch(rethrowStoreError);
  const recorded = { receiptId: receipt.receiptId, body: receipt.body as OperatorReceiptBody };
  if (recorded.body.runId !== caller.runId || !digestsEqual(recorded.body.decisionReceiptId, decision.receiptId)) {
    refused(`an ${recorded.body.kind} receipt of another run is on record (${recorded.receiptId})`);
  }
  if (inserted) {
    report(deps.onOperatorEvent, {
      type: 'resolved',
      surface: request.surface,
      kind: recorded.body.kind,
      outcome: recorded.body.outcome,
      reason: recorded.body.reasons[0],
      operators: recorded.body.approvals.map((a) => a.statement.operatorId),
    });
  }
  if (inserted && recorded.body.kind === 'override' && recorded.body.outcome === 'PERMIT') {
    // Break-glass is loud: one structured warning per override, besides the receipt and the search attribute.
    log.warn('break_glass_used', {
      event: 'break_glass_used',
      idempotencyKey: request.idempotencyKey,
      surface: request.surface,
      action: request.action,
      operators: recorded.body.approvals.map((a) => a.statement.operatorId),
      reasons: recorded.body.approvals.map((a) => a.statement.reason),
      requestReason: request.breakGlass?.reason ?? null,
      overrides: decision.receiptId,
      receiptId: recorded.receiptId,
    });
  }
  return { kind: 'resolved', receipt: recorded };
}

function report(sink: OperatorEventSink | undefined, event: OperatorEvent): void {
  try {
    sink?.(event);
  } catch {
    // A failing sink must not change what operators decided.
  }
}

/** Each requirement needs `quorum` distinct approving operators, each in one of its groups. */
function requirementsMet(wait: OperatorWait, approving: SignedApproval[], principals: Readonly<Record<string, { groups: readonly string[] }>>): boolean {
  return wait.requirements.every((requirement) => {
    const members = new Set(
      approving
        .map((a) => a.statement.operatorId)
        .filter((id) => Object.hasOwn(principals, id) && principals[id]?.groups.some((g) => requirement.groups.includes(g))),
    );
    return members.size >= requirement.quorum;
  });
}

function operatorBody(
  decision: RecordedDecision,
  wait: OperatorWait,
  resolution: { outcome: 'PERMIT' | 'DENY'; reason: OperatorReason; approvals: SignedApproval[] },
  issuedAt: string,
  version: string | null,
): OperatorReceiptBody {
  const d = decision.body;
  return {
    v: d.v,
    idempotencyKey: d.idempotencyKey,
    workflowId: d.workflowId,
    runId: d.runId,
    requestHash: d.requestHash,
    actor: { ...d.actor },
    surface: d.surface,
    action: d.action,
    target: { ...d.target },
    issuedAt,
    kind: wait.kind,
    decisionReceiptId: decision.receiptId,
    outcome: resolution.outcome,
    reasons: [resolution.reason],
    policy: { digest: d.policy.digest, version: d.policy.version ?? version },
    approvals: [...resolution.approvals].sort((a, b) => (a.statement.operatorId < b.statement.operatorId ? -1 : a.statement.operatorId > b.statement.operatorId ? 1 : 0)),
  };
}

function operatorOf(approval: unknown): string | null {
  const id = (approval as { statement?: { operatorId?: unknown } } | null)?.statement?.operatorId;
  return typeof id === 'string' ? id.slice(0, 200) : null;
}

