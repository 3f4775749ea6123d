import type { Digest } from '../../request/digest.js';
import type { DecisionReceiptBody, OperatorReceiptBody } from '../receipt-body.js';
import { receiptId } from '../receipt-id.js';
import type { ParsedReceipt } from './parse-line.js';
import type { Problem } from './problem.js';

/**
 * Every outcome receipt names, by `decisionReceiptId`, a decision receipt for the same
 * idempotency key that comes earlier in the log (lower seq); otherwise `UNLINKED_OUTCOME`.
 *
 * @example problems.push(...checkOutcomeLinks(receipts));
 */
export function checkOutcomeLinks(receipts: readonly ParsedReceipt[]): Problem[] {
  const problems: Problem[] = [];
  // Nothing to link: no decision needs its id.
  if (!receipts.some(({ envelope }) => envelope.body.kind === 'outcome')) return problems;
  const decisions = new Map<Digest, { seq: number; idempotencyKey: string }>();
  for (const receipt of receipts) {
    const { envelope } = receipt;
    if (envelope.body.kind === 'decision') {
      decisions.set(decisionId(receipt), { seq: envelope.log.seq, idempotencyKey: envelope.body.idempotencyKey });
    }
  }
  for (const { envelope, line } of receipts) {
    const body = envelope.body;
    if (body.kind !== 'outcome') continue;
    // A map lookup, not a constant-time compare: receipt ids are public, and a log may be large.
    const decision = decisions.get(body.decisionReceiptId);
    const linked = decision !== undefined && decision.seq < envelope.log.seq && decision.idempotencyKey === body.idempotencyKey;
    if (!linked) {
      problems.push({
        code: 'UNLINKED_OUTCOME',
        seq: envelope.log.seq,
        ...(line === undefined ? {} : { line }),
        message: `outcome for ${body.idempotencyKey} names decision ${body.decisionReceiptId}, which is not an earlier decision receipt for that key in this log`,
      });
    }
  }
  return problems;
}

/**
 * Every approval or override receipt answers, by `decisionReceiptId`, a decision receipt earlier
 * in the log (lower seq) of the same idempotency key, workflow id, run id and request hash, made
 * under the same policy set (digest, and version label when the decision has one), that waited
 * for operators of its kind: `operators.kind` equal to its kind, an `approval` answering a STEP_UP
 * and an `override` a DENY; otherwise `UNLINKED_OPERATOR_RECEIPT`. A PERMIT must also show, among its statements with the counting
 * verdict (`approve` for an approval, `override` for an override; with a non-blank reason when the
 * decision's `operators.reasonRequired`), as many distinct operators, with distinct keys, as the
 * decision's largest quorum; otherwise `QUORUM_NOT_MET`. (Which groups the operators are in is in
 * the policy bundle, not the export: only the largest quorum can be checked here.)
 *
 * @example problems.push(...checkOperatorLinks(receipts));
 */
export function checkOperatorLinks(receipts: readonly ParsedReceipt[]): Problem[] {
  const problems: Problem[] = [];
  // Nothing to link: no decision needs its id.
  if (!receipts.some(({ envelope }) => envelope.body.kind === 'approval' || envelope.body.kind === 'override')) return problems;
  const decisions = new Map<Digest, { seq: number; body: DecisionReceiptBody }>();
  for (const receipt of receipts) {
    const body = receipt.envelope.body;
    if (body.kind !== 'decision') continue;
    const id = decisionId(receipt);
    const { envelope } = receipt;
    // Two equal bodies have one id: keep the first (require-permit refuses a key with two decisions).
    if (!decisions.has(id)) decisions.set(id, { seq: envelope.log.seq, body });
  }
  for (const { envelope, line } of receipts) {
    const body = envelope.body;
    if (body.kind !== 'approval' && body.kind !== 'override') continue;
    const where = { seq: envelope.log.seq, ...(line === undefined ? {} : { line }) };
    const decision = decisions.get(body.decisionReceiptId);
    const why = decision === undefined || decision.seq >= envelope.log.seq ? 'which is not an earlier decision receipt in this log' : mismatch(body, decision.body);
    const wait = decision?.body.operators;
    if (why !== undefined || wait === undefined) {
      const message = `${body.kind} receipt for ${body.idempotencyKey} names decision ${body.decisionReceiptId}, ${why ?? 'which did not wait for operators'}`;
      problems.push({ code: 'UNLINKED_OPERATOR_RECEIPT', ...where, message });
      continue;
    }
    if (body.outcome !== 'PERMIT') continue;
    const verdict = body.kind === 'approval' ? 'approve' : 'override';
    const counting = body.approvals.filter(
      ({ statement }) => statement.verdict === verdict && (!wait.reasonRequired || statement.reason.trim() !== ''),
    );
    // A key belongs to one principal (principals.json): one key signing as two operators counts once.
    const operators = new Set(counting.map(({ statement }) => statement.operatorId));
    const signers = new Set(counting.map(({ keyId }) => keyId));
    const count = Math.min(operators.size, signers.size);
    const quorum = Math.max(...wait.requirements.map((requirement) => requirement.quorum));
    if (count < quorum) {
      problems.push({
        code: 'QUORUM_NOT_MET',
        ...where,
        message:
          `${body.kind} receipt for ${body.idempotencyKey} says PERMIT with ${count} distinct operator(s) (keys) giving ${verdict}` +
          `${wait.reasonRequired ? ' with a reason' : ''}; the decision asks for a quorum of ${quorum}`,
      });
    }
  }
  return problems;
}

/** A decision receipt's id: hashed from its line when parsed (see `ParsedReceipt.id`), else from its body. */
function decisionId(receipt: ParsedReceipt): Digest {
  return receipt.id ?? receiptId(receipt.envelope.body);
}

/** Why an operator receipt does not answer this decision, or undefined when it does. */
function mismatch(body: OperatorReceiptBody, decision: DecisionReceiptBody): string | undefined {
  const differing = (['idempotencyKey', 'workflowId', 'runId', 'requestHash'] as const).filter((field) => body[field] !== decision[field]);
  if (differing.length > 0) return `whose ${differing.join(', ')} ${differing.length === 1 ? 'differs' : 'differ'}`;
  if (decision.operators?.kind !== body.kind) {
    return `which did not wait for an ${body.kind} (its operators.kind is ${decision.operators?.kind ?? 'absent'})`;
  }
  const answers = body.kind === 'approval' ? 'STEP_UP' : 'DENY';
  if (decision.outcome !== answers) return `which is a ${decision.outcome}, not a ${answers}`;
  // The version label may be filled in from the pinned set when the decision had none; the digest is the set.
  if (decision.policy.digest !== body.policy.digest || (decision.policy.version !== null && decision.policy.version !== body.policy.version)) {
    return 'which was made under another policy set';
  }
  return undefined;
}
