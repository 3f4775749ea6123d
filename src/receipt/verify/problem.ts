/**
 * Why a receipt export does not verify. Stable codes: tests and callers branch on them.
 *
 * Per line: `MALFORMED` (not JSON, or not the v1 shape), `UNSUPPORTED_VERSION` (an envelope,
 * body or checkpoint `v` other than 1), `NOT_CANONICAL` (the line is not the RFC 8785 form of
 * what it holds), `UNKNOWN_KEY` (key id not in the key set, or not the id of its public key),
 * `KEY_WRONG_PURPOSE` (trusted, but not for receipts), `KEY_NOT_VALID_AT_ISSUE_TIME`,
 * `BAD_SIGNATURE`.
 *
 * Across the log: `GAP` (a seq is missing), `DUPLICATE` (a seq appears twice), `OUT_OF_ORDER`
 * (a seq appears after a higher one), `PREV_HASH_MISMATCH` (prevHash is not the hash of the
 * receipt before), `CHECKPOINT_MISMATCH` (a checkpoint's head hash is not the hash of receipt
 * `size`), `TRUNCATED` (fewer receipts than a checkpoint's size), `UNLINKED_OUTCOME` (an outcome
 * receipt whose decisionReceiptId names no decision receipt for the same key earlier in the log).
 */
export type ProblemCode =
  | 'MALFORMED'
  | 'UNSUPPORTED_VERSION'
  | 'NOT_CANONICAL'
  | 'UNKNOWN_KEY'
  | 'KEY_WRONG_PURPOSE'
  | 'KEY_NOT_VALID_AT_ISSUE_TIME'
  | 'BAD_SIGNATURE'
  | 'GAP'
  | 'DUPLICATE'
  | 'OUT_OF_ORDER'
  | 'PREV_HASH_MISMATCH'
  | 'CHECKPOINT_MISMATCH'
  | 'TRUNCATED'
  | 'UNLINKED_OUTCOME';

/** One problem: its code, the receipt's seq when known, the 1-based export line when there is one. */
export interface Problem {
  code: ProblemCode;
  seq?: number;
  line?: number;
  message: string;
}

/**
 * One line of text per problem, for a terminal or a log.
 *
 * @example formatProblem({ code: 'GAP', seq: 3, message: 'receipt 3 is missing' }) === 'seq 3: GAP: receipt 3 is missing'
 */
export function formatProblem(problem: Problem): string {
  const where = [problem.seq !== undefined ? `seq ${problem.seq}` : undefined, problem.line !== undefined ? `line ${problem.line}` : undefined]
    .filter((part) => part !== undefined)
    .join(', ');
  return `${where === '' ? 'log' : where}: ${problem.code}: ${problem.message}`;
}
