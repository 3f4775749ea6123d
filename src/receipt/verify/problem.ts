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
 *
 * Operators in the loop (approval and override receipts): `UNLINKED_OPERATOR_RECEIPT` (it does
 * not answer an earlier decision receipt of the same key, workflow, run and request hash that
 * waited for operators of its kind, under the same policy set), `QUORUM_NOT_MET` (a PERMIT with
 * fewer distinct operators of the counting verdict than the decision's largest quorum),
 * `APPROVAL_NOT_BOUND` (an embedded statement names another workflow, run, request or decision),
 * `APPROVAL_WRONG_VERDICT` (a verdict that does not count for the receipt's kind),
 * `UNSUPPORTED_OPERATOR_OUTCOME` (a PERMIT without an approve/override statement, a rejection
 * without a reject), and, for an approval whose key is in the key set: `APPROVAL_KEY_WRONG_PURPOSE`
 * (the key is not trusted for purpose `operator`), `APPROVAL_KEY_NOT_VALID` (not valid at the
 * receipt's issuedAt), `APPROVAL_BAD_SIGNATURE` (the signature does not verify, or the key set's
 * public key is not the key with that id). An approval whose key is not in the set is not a
 * problem: it is a {@link Note} (`OPERATOR_SIGNATURE_NOT_CHECKED`).
 *
 * Against a trusted checkpoint held elsewhere (`verify --checkpoint`, src/receipt/verify/trusted-checkpoint.ts):
 * `TRUSTED_CHECKPOINT_INVALID` (not a C2SP checkpoint note signed by a receipt key of the key set
 * under its origin), `TRUNCATED` (fewer receipts than it covers), `TRUSTED_CHECKPOINT_MISMATCH`
 * (receipts 1..size do not hash to its Merkle root). For one receipt with its inclusion proof
 * (`verify --proof`): `INCLUSION_PROOF_INVALID` (its audit path does not lead to the checkpoint's root).
 * Between two checkpoints (`verify --consistency`): `CONSISTENCY_PROOF_INVALID` (the newer log is
 * not proved to extend the older one).
 *
 * When witnesses are required (`verify --witness`, src/receipt/verify/witness-cosignatures.ts):
 * `WITNESS_COSIGNATURE_MISSING` (the trusted checkpoint, the proof's checkpoint or the newer
 * checkpoint of a consistency bundle carries valid tlog-cosignature/v1 cosignatures from fewer of
 * the given witnesses than the quorum; a witness's line that does not verify counts as missing).
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
  | 'UNLINKED_OUTCOME'
  | 'UNLINKED_OPERATOR_RECEIPT'
  | 'QUORUM_NOT_MET'
  | 'APPROVAL_NOT_BOUND'
  | 'APPROVAL_WRONG_VERDICT'
  | 'UNSUPPORTED_OPERATOR_OUTCOME'
  | 'APPROVAL_KEY_WRONG_PURPOSE'
  | 'APPROVAL_KEY_NOT_VALID'
  | 'APPROVAL_BAD_SIGNATURE'
  | 'TRUSTED_CHECKPOINT_INVALID'
  | 'TRUSTED_CHECKPOINT_MISMATCH'
  | 'INCLUSION_PROOF_INVALID'
  | 'CONSISTENCY_PROOF_INVALID'
  | 'WITNESS_COSIGNATURE_MISSING';

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
  return `${whereText(problem)}: ${problem.code}: ${problem.message}`;
}

/**
 * Something the verifier could not check and says so, without failing the export.
 * `OPERATOR_SIGNATURE_NOT_CHECKED`: an operator approval signed by a key that is not in the key
 * set (add the operators' public keys, purpose `operator`, to check them).
 */
export type NoteCode = 'OPERATOR_SIGNATURE_NOT_CHECKED';

export interface Note {
  code: NoteCode;
  seq?: number;
  line?: number;
  message: string;
}

/**
 * One line of text per note.
 *
 * @example formatNote({ code: 'OPERATOR_SIGNATURE_NOT_CHECKED', seq: 2, message: '…' }) === 'seq 2: note: OPERATOR_SIGNATURE_NOT_CHECKED: …'
 */
export function formatNote(note: Note): string {
  return `${whereText(note)}: note: ${note.code}: ${note.message}`;
}

function whereText(at: { seq?: number; line?: number }): string {
  const where = [at.seq !== undefined ? `seq ${at.seq}` : undefined, at.line !== undefined ? `line ${at.line}` : undefined]
    .filter((part) => part !== undefined)
    .join(', ');
  return where === '' ? 'log' : where;
}
