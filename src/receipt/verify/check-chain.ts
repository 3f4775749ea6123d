import { digestsEqual } from '../../request/digest.js';
import type { ParsedCheckpoint, ParsedReceipt } from './parse-line.js';
import type { Problem } from './problem.js';

/** The receipts of an export indexed by seq (first occurrence wins), and the highest seq seen. */
export interface ChainIndex {
  bySeq: Map<number, ParsedReceipt>;
  highest: number;
}

/**
 * Chain continuity over the receipts in export order: every seq from 1 to the highest appears
 * exactly once, in ascending order, and each receipt's prevHash is the hash of the one before.
 * A removed line shows as a `GAP`, a repeated one as `DUPLICATE`, a moved one as `OUT_OF_ORDER`,
 * an edited one (re-signed by a key holder) as `PREV_HASH_MISMATCH` on its successor.
 *
 * @example const { problems, index } = checkChain(receipts);
 */
export function checkChain(receipts: readonly ParsedReceipt[]): { problems: Problem[]; index: ChainIndex } {
  const problems: Problem[] = [];
  const bySeq = new Map<number, ParsedReceipt>();
  let highest = 0;
  for (const receipt of receipts) {
    const seq = receipt.envelope.log.seq;
    const where = { seq, ...(receipt.line === undefined ? {} : { line: receipt.line }) };
    const first = bySeq.get(seq);
    if (first) {
      const message = digestsEqual(first.hash, receipt.hash)
        ? `receipt ${seq} appears again${lineText(first)}`
        : `a second, different receipt claims seq ${seq}${lineText(first)}`;
      problems.push({ code: 'DUPLICATE', ...where, message });
      continue;
    }
    if (seq < highest) problems.push({ code: 'OUT_OF_ORDER', ...where, message: `receipt ${seq} appears after receipt ${highest}` });
    bySeq.set(seq, receipt);
    highest = Math.max(highest, seq);
  }

  let missingFrom: number | undefined;
  for (let seq = 1; seq <= highest + 1; seq++) {
    const present = seq > highest || bySeq.has(seq);
    if (!present && missingFrom === undefined) missingFrom = seq;
    if (present && missingFrom !== undefined) {
      const message = missingFrom === seq - 1 ? `receipt ${missingFrom} is missing` : `receipts ${missingFrom} to ${seq - 1} are missing`;
      problems.push({ code: 'GAP', seq: missingFrom, message });
      missingFrom = undefined;
    }
  }

  for (const [seq, receipt] of bySeq) {
    const previous = bySeq.get(seq - 1);
    const prevHash = receipt.envelope.log.prevHash;
    if (seq > 1 && previous && (prevHash === null || !digestsEqual(prevHash, previous.hash))) {
      problems.push({
        code: 'PREV_HASH_MISMATCH',
        seq,
        ...(receipt.line === undefined ? {} : { line: receipt.line }),
        message: `prevHash ${prevHash} is not the hash of receipt ${seq - 1} (${previous.hash})`,
      });
    }
  }
  return { problems, index: { bySeq, highest } };
}

/**
 * Each checkpoint against the receipts: receipt `size` must be there (else `TRUNCATED` when the
 * export ends before it) and hash to the checkpoint's `headHash` (else `CHECKPOINT_MISMATCH`).
 * A receipt missing inside the export is already a `GAP`, so it is not reported twice.
 */
export function checkCheckpoints(checkpoints: readonly ParsedCheckpoint[], index: ChainIndex): Problem[] {
  const problems: Problem[] = [];
  for (const { checkpoint, line } of checkpoints) {
    const where = { seq: checkpoint.size, ...(line === undefined ? {} : { line }) };
    if (index.highest < checkpoint.size) {
      problems.push({
        code: 'TRUNCATED',
        ...where,
        message: `a checkpoint of ${checkpoint.issuedAt} covers ${checkpoint.size} receipts; the export ends at ${index.highest}`,
      });
      continue;
    }
    const head = index.bySeq.get(checkpoint.size);
    if (head && !digestsEqual(head.hash, checkpoint.headHash)) {
      problems.push({
        code: 'CHECKPOINT_MISMATCH',
        ...where,
        message: `a checkpoint of ${checkpoint.issuedAt} says receipt ${checkpoint.size} hashes to ${checkpoint.headHash}, not ${head.hash}`,
      });
    }
  }
  return problems;
}

function lineText(receipt: ParsedReceipt): string {
  return receipt.line === undefined ? '' : ` (first on line ${receipt.line})`;
}
