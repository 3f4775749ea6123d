import type { KeySet } from '../../keys/key-set.js';
import type { SignedCheckpoint } from '../checkpoint.js';
import type { SignedReceipt } from '../signed-receipt.js';
import { checkChain, checkCheckpoints } from './check-chain.js';
import { checkApprovals } from './check-approvals.js';
import { checkOperatorLinks, checkOutcomeLinks } from './check-links.js';
import { checkCheckpointSignature, checkReceiptSignature } from './check-signature.js';
import type { Ed25519Backend } from './ed25519-backend.js';
import { parseExportLine, type ParsedCheckpoint, type ParsedReceipt } from './parse-line.js';
import type { Note, Problem } from './problem.js';
import { checkTrustedCheckpoint } from './trusted-checkpoint.js';
import { checkWitnessCosignatures, parseWitnessPolicy, type WitnessPolicy } from './witness-cosignatures.js';

export interface VerifyLogOptions {
  /** A checkpoint note held outside the database (`actiongate checkpoint`): the export must extend it. */
  trustedCheckpoint?: string;
  /**
   * Witnesses the trusted checkpoint must be co-signed by (tlog-cosignature/v1, `actiongate
   * witness`), else `WITNESS_COSIGNATURE_MISSING`. Only with `trustedCheckpoint`.
   */
  witnesses?: WitnessPolicy;
}

export interface LogVerification {
  /** True only when there is no problem at all. */
  ok: boolean;
  /** Receipts whose line is well formed, canonical and correctly signed by a key valid at their issue time, in export order. */
  receipts: SignedReceipt[];
  /** Checkpoints that passed the same checks. */
  checkpoints: SignedCheckpoint[];
  /** Every problem found, ordered by seq (problems without one last). */
  problems: Problem[];
  /** What was not checked and does not fail the export (an operator signature by a key not in the set), ordered by seq. */
  notes: Note[];
}

/**
 * Verifies a JSONL export of the receipt log (receipts and checkpoints, one canonical JSON per
 * line; empty lines are skipped) with public keys only. Runs every check and reports every
 * problem, each with its seq: per line (version, shape, canonical form, key, validity at issue
 * time, signature), then across the log (gaps, duplicates, order, prevHash links, outcome links,
 * approval and override receipts: their link to the decision, quorum, the operator statements
 * they carry and, for operator keys in the key set, their signatures; checkpoints). Chain checks use every parsable receipt, signed correctly or not, so an edit shows
 * both as a bad signature and as a broken link.
 *
 * Without a checkpoint, a removed tail cannot be seen: keep the latest checkpoint with the export,
 * and pass a checkpoint held elsewhere as `options.trustedCheckpoint` (a C2SP checkpoint note over
 * the receipts' Merkle tree, src/receipt/verify/trusted-checkpoint.ts): an export cut short together
 * with its own checkpoints, or another history, then fails. Its signature is checked with `backend`
 * too; with `options.witnesses`, so are the witnesses' cosignatures it must carry.
 *
 * @throws RangeError for `options.witnesses` without `options.trustedCheckpoint`; as
 * parseWitnessPolicy for witness keys or a quorum that are not a policy.
 * @example
 * const result = verifyLog(text.split('\n'), keys, nobleBackend);
 * for (const problem of result.problems) console.log(formatProblem(problem));
 */
export function verifyLog(lines: readonly string[], keys: KeySet, backend: Ed25519Backend, options: VerifyLogOptions = {}): LogVerification {
  const witnesses = options.witnesses === undefined ? undefined : parseWitnessPolicy(options.witnesses);
  if (witnesses !== undefined && options.trustedCheckpoint === undefined) {
    throw new RangeError('witnesses: there is no checkpoint for them to have co-signed without trustedCheckpoint');
  }
  const problems: Problem[] = [];
  const parsedReceipts: ParsedReceipt[] = [];
  const parsedCheckpoints: ParsedCheckpoint[] = [];
  const receipts: SignedReceipt[] = [];
  const checkpoints: SignedCheckpoint[] = [];

  lines.forEach((text, index) => {
    if (text === '') return;
    const parsed = parseExportLine(text, index + 1, backend);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
      return;
    }
    const entry = parsed.entry;
    if (entry.kind === 'receipt') {
      parsedReceipts.push(entry);
      const signatureProblems = checkReceiptSignature(entry.envelope, keys, backend, entry.line, entry.signingInput);
      problems.push(...signatureProblems);
      if (signatureProblems.length === 0) receipts.push(entry.envelope);
    } else {
      const signatureProblems = checkCheckpointSignature(entry.checkpoint, keys, backend, entry.line);
      problems.push(...signatureProblems);
      // An unverified checkpoint proves nothing about the log, so only signed ones are held against it.
      if (signatureProblems.length === 0) {
        parsedCheckpoints.push(entry);
        checkpoints.push(entry.checkpoint);
      }
    }
  });

  const chain = checkChain(parsedReceipts);
  const approvals = checkApprovals(parsedReceipts, keys, backend);
  problems.push(
    ...chain.problems,
    ...checkOutcomeLinks(parsedReceipts),
    ...checkOperatorLinks(parsedReceipts),
    ...approvals.problems,
    ...checkCheckpoints(parsedCheckpoints, chain.index),
  );
  if (options.trustedCheckpoint !== undefined) {
    const trusted = checkTrustedCheckpoint(parsedReceipts.map((p) => p.envelope), options.trustedCheckpoint, keys, backend);
    problems.push(...trusted.problems);
    // Only a checkpoint the log signed can be one its witnesses co-signed: else the problem above says why.
    if (witnesses !== undefined && trusted.checkpoint !== undefined) {
      problems.push(...checkWitnessCosignatures(options.trustedCheckpoint, witnesses.witnesses, witnesses.quorum, backend).problems);
    }
  }
  const ordered = bySeq(problems);
  return { ok: ordered.length === 0, receipts, checkpoints, problems: ordered, notes: bySeq(approvals.notes) };
}

/** Ordered by seq, then line (entries without one last), then as found. */
function bySeq<T extends { seq?: number; line?: number }>(entries: readonly T[]): T[] {
  return entries
    .map((entry, order) => ({ entry, order }))
    .sort((a, b) => (a.entry.seq ?? Infinity) - (b.entry.seq ?? Infinity) || (a.entry.line ?? Infinity) - (b.entry.line ?? Infinity) || a.order - b.order)
    .map(({ entry }) => entry);
}
