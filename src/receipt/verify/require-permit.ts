import type { KeySet } from '../../keys/key-set.js';
import { SUPERSEDED_ERROR_CODE, type OperatorReceiptBody } from '../receipt-body.js';
import { receiptId } from '../receipt-id.js';
import type { SignedReceipt } from '../signed-receipt.js';
import type { Ed25519Backend } from './ed25519-backend.js';
import type { Note, Problem } from './problem.js';
import { verifyLog } from './verify-log.js';

/**
 * `PERMITTED`: the only answer that means yes (a PERMIT, a STEP_UP that operators approved, or a
 * DENY that operators overrode: see {@link PermitAnswer.via}). `LOG_INVALID`: the export has
 * problems, so it cannot vouch for anything. `NO_DECISION`: no decision receipt for the key.
 * `CONFLICTING_DECISIONS`: more than one (the store allows one per key). `NOT_PERMITTED`: the
 * decision was SILENCE, or DENY with no override receipt. `NOT_APPROVED`: STEP_UP with no approval
 * receipt in the export. `CONFLICTING_OPERATOR_RECEIPTS`: more than one approval (or override)
 * receipt for the decision (the store allows one per key and kind). `OPERATORS_DENIED`: the
 * approval or override receipt says DENY (rejected, or the window closed). `SUPERSEDED`: allowed,
 * but the agent had been refused before it was recorded (an outcome receipt for the decision says
 * `DECISION_SUPERSEDED`), so it never applied. `SHADOW_MODE`: recorded by a surface that did not
 * enforce. `ACTOR_NOT_PROVEN`: in enforce mode, but the decision receipt names no key that proved
 * the actor (`actor.keyId` null).
 */
export type PermitAnswerCode =
  | 'PERMITTED'
  | 'LOG_INVALID'
  | 'NO_DECISION'
  | 'CONFLICTING_DECISIONS'
  | 'NOT_PERMITTED'
  | 'NOT_APPROVED'
  | 'CONFLICTING_OPERATOR_RECEIPTS'
  | 'OPERATORS_DENIED'
  | 'SUPERSEDED'
  | 'SHADOW_MODE'
  | 'ACTOR_NOT_PROVEN';

export interface PermitAnswer {
  authorized: boolean;
  code: PermitAnswerCode;
  /** For people, e.g. `approved by olivia, omar (…)`; its wording may change. */
  message: string;
  /** The decision receipt the answer rests on, when there is exactly one. */
  decision?: SignedReceipt;
  /** The approval or override receipt that answered the decision, when there is exactly one. */
  operators?: SignedReceipt;
  /**
   * When authorized: what allowed it: the decision itself (`PERMIT`), an `approval` of a STEP_UP,
   * or an `override` (break-glass) of a DENY.
   */
  via?: 'decision' | 'approval' | 'override';
  /** The operators whose approvals (or overrides) allowed it, when `via` is `approval` or `override`. */
  by?: string[];
  /** The log's problems (non-empty only for `LOG_INVALID`). */
  problems: Problem[];
}

/**
 * "Was the action with this idempotency key authorized?" Yes only when the whole export
 * verifies and holds exactly one decision receipt for the key, in `enforce` mode with an actor
 * proven by a request-signing key (`actor.keyId` not null), that no outcome receipt marks
 * superseded, and that either says `PERMIT`, or says `STEP_UP` answered by an approval receipt
 * with `PERMIT`, or says `DENY` answered by an override (break-glass) receipt with `PERMIT`. A
 * correctly signed DENY or SILENCE receipt, a STEP_UP nobody approved, an approval or override
 * that says DENY, a PERMIT committed after the agent had been told DENY, a shadow-mode PERMIT, or
 * a PERMIT whose actor no signature proved, is a record of a decision, not an authorization.
 *
 * @example
 * const answer = requirePermit(lines, 'pay-0001', keys, nobleBackend);
 * process.exitCode = answer.authorized ? 0 : 1;
 */
export function requirePermit(lines: readonly string[], idempotencyKey: string, keys: KeySet, backend: Ed25519Backend): PermitAnswer {
  const log = verifyLog(lines, keys, backend);
  if (!log.ok) {
    return { authorized: false, code: 'LOG_INVALID', message: `the receipt log has ${log.problems.length} problem(s); it cannot show an authorization`, problems: log.problems };
  }
  const decisions = log.receipts.filter((receipt) => receipt.body.kind === 'decision' && receipt.body.idempotencyKey === idempotencyKey);
  const [decision] = decisions;
  if (!decision) return { authorized: false, code: 'NO_DECISION', message: `no decision receipt for ${idempotencyKey}`, problems: [] };
  if (decisions.length > 1) {
    const seqs = decisions.map((receipt) => receipt.log.seq).join(', ');
    return { authorized: false, code: 'CONFLICTING_DECISIONS', message: `${decisions.length} decision receipts for ${idempotencyKey} (seq ${seqs})`, problems: [] };
  }
  const body = decision.body;
  if (body.kind !== 'decision') throw new TypeError('unreachable: filtered to decision receipts');
  const decisionId = receiptId(body);
  const at = `receipt ${decision.log.seq}`;
  const stated = `${body.outcome} (${body.reasons.join(', ') || 'no reasons'})`;

  // What allowed it, if anything: the decision itself, or the operators' answer to it.
  let allowed: { via: 'decision'; what: string } | { via: 'approval' | 'override'; what: string; operators: SignedReceipt; by: string[] };
  if (body.outcome === 'PERMIT') {
    allowed = { via: 'decision', what: `${at}: PERMIT` };
  } else if (body.outcome === 'STEP_UP' || body.outcome === 'DENY') {
    const kind = body.outcome === 'STEP_UP' ? 'approval' : 'override';
    // verifyLog has checked that every operator receipt answers an earlier decision of its key that waited for its kind.
    const answers = log.receipts.filter(
      (receipt) => receipt.body.kind === kind && receipt.body.idempotencyKey === idempotencyKey && receipt.body.decisionReceiptId === decisionId,
    );
    const [answer] = answers;
    if (!answer) {
      if (kind === 'override') {
        const asked = body.operators?.kind === 'override' ? '; break-glass was asked for, but no override receipt answers it in this export' : '';
        return { authorized: false, code: 'NOT_PERMITTED', message: `${at}: ${stated}${asked}`, decision, problems: [] };
      }
      return { authorized: false, code: 'NOT_APPROVED', message: `${at}: ${stated}: no approval receipt answers it in this export, so no operator approved it`, decision, problems: [] };
    }
    if (answers.length > 1) {
      const seqs = answers.map((receipt) => receipt.log.seq).join(', ');
      return { authorized: false, code: 'CONFLICTING_OPERATOR_RECEIPTS', message: `${at}: ${stated}: ${answers.length} ${kind} receipts answer it (seq ${seqs})`, decision, problems: [] };
    }
    const operatorBody = answer.body as OperatorReceiptBody;
    const answered = `${at}: ${stated}; ${kind} receipt ${answer.log.seq}`;
    if (operatorBody.outcome !== 'PERMIT') {
      const rejecters = operatorsWith(operatorBody, 'reject');
      const detail = rejecters.length > 0 ? `: rejected by ${rejecters.join(', ')}` : '';
      return {
        authorized: false,
        code: 'OPERATORS_DENIED',
        message: `${answered}: DENY (${operatorBody.reasons[0]}${detail})`,
        decision,
        operators: answer,
        problems: [],
      };
    }
    const by = operatorsWith(operatorBody, kind === 'approval' ? 'approve' : 'override');
    const unchecked = uncheckedSigners(log.notes, answer.log.seq);
    const what = kind === 'approval' ? `approved by ${by.join(', ')}` : `break-glass override by ${by.join(', ')}`;
    allowed = { via: kind, what: `${what} (${answered}: PERMIT${unchecked})`, operators: answer, by };
  } else {
    return { authorized: false, code: 'NOT_PERMITTED', message: `${at}: ${stated}`, decision, problems: [] };
  }
  const context = allowed.via === 'decision' ? { decision } : { decision, operators: allowed.operators };

  const superseding = supersedingOutcome(log.receipts, idempotencyKey, decisionId);
  if (superseding) {
    // The decide step's answer came too late: the agent was told DENY and nothing was dispatched.
    return {
      authorized: false,
      code: 'SUPERSEDED',
      message: `${at}: the agent was refused before this ${allowed.via === 'decision' ? 'PERMIT' : `${body.outcome}'s ${allowed.via} PERMIT`} was recorded, so it never applied (outcome receipt ${superseding.log.seq}: ${SUPERSEDED_ERROR_CODE})`,
      ...context,
      problems: [],
    };
  }
  if (body.mode !== 'enforce') {
    return { authorized: false, code: 'SHADOW_MODE', message: `${at}: ${body.outcome} recorded in shadow mode, which does not authorize`, ...context, problems: [] };
  }
  if (body.actor.keyId === null) {
    // The gate proves the actor of every enforced request; a PERMIT without the key is not the gate's.
    return { authorized: false, code: 'ACTOR_NOT_PROVEN', message: `${at}: ${body.outcome} names no key that proved actor ${body.actor.id}, so it does not authorize`, ...context, problems: [] };
  }
  const policy = body.policy.version ?? body.policy.digest ?? 'none';
  const tail = `in enforce mode for ${body.actor.id} (request signed by ${body.actor.keyId}) under policy ${policy}`;
  if (allowed.via === 'decision') {
    return { authorized: true, code: 'PERMITTED', message: `${allowed.what} ${tail}`, decision, via: 'decision', problems: [] };
  }
  return { authorized: true, code: 'PERMITTED', message: `${allowed.what} ${tail}`, ...context, via: allowed.via, by: allowed.by, problems: [] };
}

/** The distinct operators, in receipt order, whose statements in an operator receipt have this verdict. */
function operatorsWith(body: OperatorReceiptBody, verdict: 'approve' | 'reject' | 'override'): string[] {
  return [...new Set(body.approvals.filter(({ statement }) => statement.verdict === verdict).map(({ statement }) => statement.operatorId))];
}

/** `; operator signatures not checked: …` when the key set held none of some approvals' keys in this receipt. */
function uncheckedSigners(notes: readonly Note[], seq: number): string {
  const count = notes.filter((note) => note.code === 'OPERATOR_SIGNATURE_NOT_CHECKED' && note.seq === seq).length;
  return count === 0 ? '' : `; ${count} operator signature(s) not checked: their keys are not in the key set`;
}

/** The outcome receipt of the key, if any, that marks the decision with this receipt id superseded. */
function supersedingOutcome(receipts: readonly SignedReceipt[], idempotencyKey: string, decisionId: string): SignedReceipt | undefined {
  return receipts.find(
    ({ body }) =>
      body.kind === 'outcome' &&
      body.idempotencyKey === idempotencyKey &&
      body.decisionReceiptId === decisionId &&
      body.dispatch.error?.code === SUPERSEDED_ERROR_CODE,
  );
}
