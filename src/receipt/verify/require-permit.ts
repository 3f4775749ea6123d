import type { KeySet } from '../../keys/key-set.js';
import { SUPERSEDED_ERROR_CODE } from '../receipt-body.js';
import { receiptId } from '../receipt-id.js';
import type { SignedReceipt } from '../signed-receipt.js';
import type { Ed25519Backend } from './ed25519-backend.js';
import type { Problem } from './problem.js';
import { verifyLog } from './verify-log.js';

/**
 * `PERMITTED`: the only answer that means yes. `LOG_INVALID`: the export has problems, so it
 * cannot vouch for anything. `NO_DECISION`: no decision receipt for the key. `CONFLICTING_DECISIONS`:
 * more than one (the store allows one per key). `NOT_PERMITTED`: the decision was DENY or SILENCE.
 * `SUPERSEDED`: PERMIT, but the agent had been refused before it was recorded (an outcome receipt
 * for it says `DECISION_SUPERSEDED`), so it never applied. `SHADOW_MODE`: PERMIT, but recorded by
 * a surface that did not enforce. `ACTOR_NOT_PROVEN`: PERMIT in enforce mode, but the receipt
 * names no key that proved the actor (`actor.keyId` null).
 */
export type PermitAnswerCode =
  | 'PERMITTED'
  | 'LOG_INVALID'
  | 'NO_DECISION'
  | 'CONFLICTING_DECISIONS'
  | 'NOT_PERMITTED'
  | 'SUPERSEDED'
  | 'SHADOW_MODE'
  | 'ACTOR_NOT_PROVEN';

export interface PermitAnswer {
  authorized: boolean;
  code: PermitAnswerCode;
  message: string;
  /** The decision receipt the answer rests on, when there is exactly one. */
  decision?: SignedReceipt;
  /** The log's problems (non-empty only for `LOG_INVALID`). */
  problems: Problem[];
}

/**
 * "Was the action with this idempotency key authorized?" Yes only when the whole export
 * verifies and holds exactly one decision receipt for the key, with outcome `PERMIT` in
 * `enforce` mode and an actor proven by a request-signing key (`actor.keyId` not null), and no
 * outcome receipt says that PERMIT was superseded. A correctly signed DENY or SILENCE receipt, a
 * PERMIT committed after the agent had been told DENY, a shadow-mode PERMIT, or a PERMIT whose
 * actor no signature proved, is a record of a decision, not an authorization.
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
  const at = `receipt ${decision.log.seq}`;
  if (body.outcome !== 'PERMIT') {
    return { authorized: false, code: 'NOT_PERMITTED', message: `${at}: ${body.outcome} (${body.reasons.join(', ') || 'no reasons'})`, decision, problems: [] };
  }
  const superseding = supersedingOutcome(log.receipts, idempotencyKey, receiptId(body));
  if (superseding) {
    // The decide step's answer came too late: the agent was told DENY and nothing was dispatched.
    return {
      authorized: false,
      code: 'SUPERSEDED',
      message: `${at}: the agent was refused before this PERMIT was recorded, so it never applied (outcome receipt ${superseding.log.seq}: ${SUPERSEDED_ERROR_CODE})`,
      decision,
      problems: [],
    };
  }
  if (body.mode !== 'enforce') {
    return { authorized: false, code: 'SHADOW_MODE', message: `${at}: PERMIT recorded in shadow mode, which does not authorize`, decision, problems: [] };
  }
  if (body.actor.keyId === null) {
    // The gate proves the actor of every enforced request; a PERMIT without the key is not the gate's.
    return { authorized: false, code: 'ACTOR_NOT_PROVEN', message: `${at}: PERMIT names no key that proved actor ${body.actor.id}, so it does not authorize`, decision, problems: [] };
  }
  const policy = body.policy.version ?? body.policy.digest ?? 'none';
  return { authorized: true, code: 'PERMITTED', message: `${at}: PERMIT in enforce mode for ${body.actor.id} (request signed by ${body.actor.keyId}) under policy ${policy}`, decision, problems: [] };
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
