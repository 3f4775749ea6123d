import { createHash } from 'node:crypto';
import type { Signer } from '../keys/signer.js';
import { canonicalJson } from '../request/canonical-json.js';
import type { Digest } from '../request/digest.js';
import { signCheckpoint } from '../receipt/checkpoint.js';
import type { ReceiptBody } from '../receipt/receipt-body.js';
import { RECEIPT_SIGNING_DOMAIN, SIGNED_RECEIPT_VERSION } from '../receipt/signed-receipt.js';

/** The head of the signed log: how many receipts, the hash of the last, when the last checkpoint was issued. */
export interface LogHead {
  size: number;
  headHash: Digest | null;
  checkpointedAt: Date | null;
}

/** A signed append waiting for its batch: the body, its 16 column values (receipt-store.ts rowValues), canonical bytes and receipt id. */
export interface PreparedAppend {
  body: ReceiptBody;
  values: unknown[];
  canonical: string;
  id: Digest;
}

/** What becomes of one append of a batch. */
export type PlannedAppend<Stored> =
  | { existing: Stored } // its key and kind were already stored: answered with that receipt
  | { firstIn: number } // the same key and kind came earlier in the batch, at this index: answered with that one
  | { row: number }; // written: index into `rows`

export interface BatchPlan<Stored> {
  appends: Array<PlannedAppend<Stored>>;
  /** The receipts to write, in log order (consecutive seqs after the head). */
  rows: Array<{ item: PreparedAppend; seq: number; envelope: string; hash: Digest }>;
  /** The checkpoints that fall due, each at its exact seq. */
  checkpoints: Array<{ size: number; headHash: Digest; issuedAt: string; canonical: string }>;
  /** The head once the rows are written. */
  head: LogHead;
}

export interface CheckpointRules {
  /** A checkpoint at every multiple of this seq. */
  every: number;
  /** ...and with the first receipt this long after the last checkpoint. */
  afterMs: number;
  /** The batch's instant: checkpoints are issued at it, and the interval measured to it. */
  now: Date;
}

/** The key of the one-receipt-per-(idempotency key, kind) rule. */
export function keyAndKind(idempotencyKey: string, kind: string): string {
  return JSON.stringify([idempotencyKey, kind]);
}

/** `sha256:` + hex SHA-256 of UTF-8 text: sha256Text of src/request/digest.ts, with Node's crypto (the store runs in Node only). */
export function sha256Hex(text: string): Digest {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/**
 * Places a batch at the end of the log, exactly as appending its bodies one at a time would: a body
 * whose key and kind are in `stored` or earlier in the batch is answered with that first receipt;
 * each other gets the next seq and an envelope signed with the previous receipt's hash; a checkpoint
 * falls due at every `every`-th seq, and with the first receipt `afterMs` after the last checkpoint
 * (all at the batch's one instant, so after a checkpoint by time the next ones are by count only).
 */
export function planSignedBatch<Stored>(
  batch: readonly PreparedAppend[],
  head: LogHead,
  stored: ReadonlyMap<string, Stored>,
  rules: CheckpointRules,
  signer: Signer,
): BatchPlan<Stored> {
  let { size, headHash, checkpointedAt } = head;
  const appends: Array<PlannedAppend<Stored>> = [];
  const rows: BatchPlan<Stored>['rows'] = [];
  const checkpoints: BatchPlan<Stored>['checkpoints'] = [];
  const firstInBatch = new Map<string, number>();
  batch.forEach((item, i) => {
    const key = keyAndKind(item.body.idempotencyKey, item.body.kind);
    const existing = stored.get(key);
    if (existing !== undefined) return void appends.push({ existing });
    const earlier = firstInBatch.get(key);
    if (earlier !== undefined) return void appends.push({ firstIn: earlier });
    firstInBatch.set(key, i);
    const seq = size + 1;
    const envelope = signedEnvelopeText(item.canonical, seq, headHash, signer);
    const hash = sha256Hex(envelope); // receiptHash(envelope), from the bytes already canonical
    const sinceLast = checkpointedAt === null ? Number.POSITIVE_INFINITY : rules.now.getTime() - checkpointedAt.getTime();
    if (seq % rules.every === 0 || sinceLast >= rules.afterMs) {
      const checkpoint = signCheckpoint({ size: seq, headHash: hash, issuedAt: rules.now.toISOString() }, signer);
      checkpoints.push({ size: seq, headHash: hash, issuedAt: checkpoint.issuedAt, canonical: canonicalJson(checkpoint) });
      checkpointedAt = rules.now;
    }
    size = seq;
    headHash = hash;
    appends.push({ row: rows.length });
    rows.push({ item, seq, envelope, hash });
  });
  return { appends, rows, checkpoints, head: { size, headHash, checkpointedAt } };
}

/**
 * `canonicalJson(signReceipt(body, { seq, prevHash }, signer))`, from the body's canonical bytes: RFC 8785
 * writes a member's value as that value's own canonical form, so the signing input and the envelope
 * are spliced around them instead of canonicalising the body twice more. Members in code-unit order:
 * body, keyId, log (prevHash, seq), sig, v. The test suite checks it byte for byte against
 * signReceipt (test/store/group-commit.test.ts).
 */
export function signedEnvelopeText(bodyCanonical: string, seq: number, prevHash: Digest | null, signer: Signer): string {
  if (!Number.isSafeInteger(seq) || seq < 1 || (seq === 1) !== (prevHash === null)) throw new Error(`no log position: seq ${seq}, prevHash ${prevHash}`);
  const signed = `{"body":${bodyCanonical},"keyId":${JSON.stringify(signer.keyId)},"log":{"prevHash":${JSON.stringify(prevHash)},"seq":${seq}}`;
  const sig = Buffer.from(signer.sign(Buffer.from(`${RECEIPT_SIGNING_DOMAIN}${signed}}`, 'utf8'))).toString('base64url');
  return `${signed},"sig":${JSON.stringify(sig)},"v":${SIGNED_RECEIPT_VERSION}}`;
}

/** The receipt-store.ts rowValues sent per receipt, in the order of {@link WRITE_BATCH_SQL}: all but the second copy of the canonical body (index 13, the jsonb column's). */
const SENT_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15];

/**
 * One batch in one statement: the head moves from the expected head ($25, $26) to the plan's ($18-$20),
 * and only if it moved (it is exactly where the plan started, and now locked by this statement) are
 * the rows ($1-$15: the columns, the canonical body once, $16 the envelopes, $17 the log seqs, one
 * array element per receipt in log order) and the checkpoints ($21-$24) written. Answers one row per receipt written: none when
 * the head was elsewhere. A receipt whose key and kind is already stored fails it with a unique
 * violation (23505), so nothing is written.
 */
export const WRITE_BATCH_SQL = `
  WITH head AS (
    UPDATE receipt_log_head SET size = $18, head_hash = $19, checkpointed_at = $20
     WHERE id = 1 AND size = $25 AND head_hash IS NOT DISTINCT FROM $26::text
    RETURNING id
  ), written AS (
    INSERT INTO receipts (receipt_id, kind, version, idempotency_key, workflow_id, run_id, request_hash, surface, actor_id, action,
                          outcome, policy_digest, issued_at, body, body_canonical, request, envelope, envelope_canonical, log_seq)
    SELECT r.receipt_id, r.kind, r.version, r.idempotency_key, r.workflow_id, r.run_id, r.request_hash, r.surface, r.actor_id, r.action,
           r.outcome, r.policy_digest, r.issued_at::timestamptz, r.body_canonical::jsonb, r.body_canonical, r.request::jsonb, r.envelope::jsonb, r.envelope, r.log_seq
      FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                  $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::bigint[])
           WITH ORDINALITY AS r(receipt_id, kind, version, idempotency_key, workflow_id, run_id, request_hash, surface, actor_id, action,
                                outcome, policy_digest, issued_at, body_canonical, request, envelope, log_seq, n)
     WHERE EXISTS (SELECT 1 FROM head)
     ORDER BY r.n
    RETURNING log_seq, seq, recorded_at
  ), checkpoints AS (
    INSERT INTO receipt_checkpoints (size, head_hash, issued_at, checkpoint_canonical)
    SELECT c.size, c.head_hash, c.issued_at, c.checkpoint_canonical
      FROM unnest($21::bigint[], $22::text[], $23::timestamptz[], $24::text[]) AS c(size, head_hash, issued_at, checkpoint_canonical)
     WHERE EXISTS (SELECT 1 FROM head)
  )
  SELECT log_seq, seq, recorded_at FROM written`;

/** The parameters of {@link WRITE_BATCH_SQL} for a plan made on `expected`. */
export function writeBatchParams(plan: BatchPlan<unknown>, expected: LogHead): unknown[] {
  const columns = SENT_VALUES.map((c) => plan.rows.map((r) => r.item.values[c]));
  return [
    ...columns,
    plan.rows.map((r) => r.envelope),
    plan.rows.map((r) => r.seq),
    plan.head.size,
    plan.head.headHash,
    plan.head.checkpointedAt,
    plan.checkpoints.map((c) => c.size),
    plan.checkpoints.map((c) => c.headHash),
    plan.checkpoints.map((c) => c.issuedAt),
    plan.checkpoints.map((c) => c.canonical),
    expected.size,
    expected.headHash,
  ];
}
