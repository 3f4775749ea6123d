import type { Digest } from '../../request/digest.js';
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
  const decisions = new Map<Digest, { seq: number; idempotencyKey: string }>();
  for (const { envelope } of receipts) {
    if (envelope.body.kind === 'decision') {
      decisions.set(receiptId(envelope.body), { seq: envelope.log.seq, idempotencyKey: envelope.body.idempotencyKey });
    }
  }
  const problems: Problem[] = [];
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
