import type pg from 'pg';
import type { ActionRequest } from '../request/action-request.js';
import { canonicalJson } from '../request/canonical-json.js';
import type { Digest } from '../request/digest.js';
import type { DecisionReceiptBody, ReceiptBody, ReceiptKind } from '../receipt/receipt-body.js';
import type { RecordedDecision } from '../policy/decision-diff.js';
import { receiptId } from '../receipt/receipt-id.js';
import { receiptHash, signReceipt } from '../receipt/signed-receipt.js';
import { signCheckpoint } from '../receipt/checkpoint.js';
import type { Signer } from '../keys/signer.js';
import { withPooledClient } from './pooled-client.js';

export interface StoredReceipt {
  /** Position in the receipts table (a bigint, as a string). */
  seq: string;
  receiptId: Digest;
  kind: ReceiptKind;
  body: ReceiptBody;
  recordedAt: string;
}

export interface AppendResult {
  receipt: StoredReceipt;
  /** false when a receipt of this kind already existed for the key; `receipt` is then that first one. */
  inserted: boolean;
}

/** Where receipts live. Append-only: there is no update or delete here, and the database refuses them too. */
export interface ReceiptStore {
  append(body: ReceiptBody, options?: { request?: ActionRequest }): Promise<AppendResult>;
  findByKey(idempotencyKey: string): Promise<StoredReceipt[]>;
}

interface ReceiptRow {
  seq: string;
  receipt_id: string;
  kind: ReceiptKind;
  body_canonical: string;
  recorded_at: Date;
}

const COLUMNS = 'seq, receipt_id, kind, body_canonical, recorded_at';

export interface PgReceiptStoreOptions {
  /** Signs every receipt into the global hash-chained log. Without it receipts are stored unsigned. */
  signer?: Signer;
  /** A signed checkpoint every this many receipts (default 100)... */
  checkpointEvery?: number;
  /** ...or with the first receipt this long after the last checkpoint (default 60 s). */
  checkpointAfterMs?: number;
  /** The clock checkpoints are issued at (default: the system clock). */
  now?: () => Date;
}

/** The Postgres receipt store. Writes are idempotent per (idempotency key, kind): a retry finds the first row. */
export class PgReceiptStore implements ReceiptStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PgReceiptStoreOptions = {},
  ) {}

  async append(body: ReceiptBody, options: { request?: ActionRequest } = {}): Promise<AppendResult> {
    if (this.options.signer) return this.appendSigned(body, options.request, this.options.signer);
    const id = receiptId(body);
    const inserted = await this.pool.query<ReceiptRow>(
      `INSERT INTO receipts (receipt_id, kind, version, idempotency_key, workflow_id, run_id, request_hash,
                             surface, actor_id, action, outcome, policy_digest, issued_at, body, body_canonical, request)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16::jsonb)
       ON CONFLICT DO NOTHING
       RETURNING ${COLUMNS}`,
      rowValues(body, options.request),
    );
    const row = inserted.rows[0];
    if (row) return { receipt: toStored(row), inserted: true };
    const existing = await this.pool.query<ReceiptRow>(
      `SELECT ${COLUMNS} FROM receipts WHERE (idempotency_key = $1 AND kind = $2) OR receipt_id = $3`,
      [body.idempotencyKey, body.kind, id],
    );
    const first = existing.rows[0];
    if (!first) throw new Error(`receipt ${id} was neither inserted nor found`);
    return { receipt: toStored(first), inserted: false };
  }

  /**
   * Appends a signed receipt at the end of the log: the head row is locked, so seq and the previous
   * hash are taken, the envelope signed, the row written and the head moved in one transaction.
   */
  private async appendSigned(body: ReceiptBody, request: ActionRequest | undefined, signer: Signer): Promise<AppendResult> {
    return withPooledClient(this.pool, async (client) => {
      try {
        await client.query('BEGIN');
        const head = await client.query<{ size: string; head_hash: Digest | null; checkpointed_at: Date | null }>(
          'SELECT size, head_hash, checkpointed_at FROM receipt_log_head WHERE id = 1 FOR UPDATE',
        );
        // Under the head lock: a concurrent append of the same key and kind has committed or not started.
        const existing = await client.query<ReceiptRow>(`SELECT ${COLUMNS} FROM receipts WHERE idempotency_key = $1 AND kind = $2`, [body.idempotencyKey, body.kind]);
        const first = existing.rows[0];
        if (first) {
          await client.query('ROLLBACK');
          return { receipt: toStored(first), inserted: false };
        }
        const row = head.rows[0];
        if (!row) throw new Error('receipt_log_head is missing: run actiongate db migrate');
        const seq = Number(row.size) + 1;
        const envelope = signReceipt(body, { seq, prevHash: row.head_hash }, signer);
        const hash = receiptHash(envelope);
        const inserted = await client.query<ReceiptRow>(
          `INSERT INTO receipts (receipt_id, kind, version, idempotency_key, workflow_id, run_id, request_hash, surface, actor_id, action,
                                 outcome, policy_digest, issued_at, body, body_canonical, request, envelope, envelope_canonical, log_seq)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16::jsonb, $17::jsonb, $18, $19)
           RETURNING ${COLUMNS}`,
          [...rowValues(body, request), canonicalJson(envelope), canonicalJson(envelope), seq],
        );
        const now = this.options.now?.() ?? new Date();
        const sinceLast = row.checkpointed_at === null ? Number.POSITIVE_INFINITY : now.getTime() - row.checkpointed_at.getTime();
        const checkpointDue = seq % (this.options.checkpointEvery ?? 100) === 0 || sinceLast >= (this.options.checkpointAfterMs ?? 60_000);
        await client.query('UPDATE receipt_log_head SET size = $1, head_hash = $2, checkpointed_at = $3 WHERE id = 1', [
          seq,
          hash,
          checkpointDue ? now : row.checkpointed_at,
        ]);
        if (checkpointDue) {
          const checkpoint = signCheckpoint({ size: seq, headHash: hash, issuedAt: now.toISOString() }, signer);
          await client.query('INSERT INTO receipt_checkpoints (size, head_hash, issued_at, checkpoint_canonical) VALUES ($1, $2, $3, $4)', [
            seq,
            hash,
            checkpoint.issuedAt,
            canonicalJson(checkpoint),
          ]);
        }
        await client.query('COMMIT');
        return { receipt: toStored(inserted.rows[0] as ReceiptRow), inserted: true };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** The decision of a key with the request it decided, or undefined. */
  async decisionOf(idempotencyKey: string): Promise<RecordedDecision | undefined> {
    const { rows } = await this.pool.query<{ body_canonical: string; request: ActionRequest | null }>(
      `SELECT body_canonical, request FROM receipts WHERE idempotency_key = $1 AND kind = 'decision'`,
      [idempotencyKey],
    );
    const row = rows[0];
    if (!row || row.request === null) return undefined;
    return { body: JSON.parse(row.body_canonical) as DecisionReceiptBody, request: row.request };
  }

  /** The last `limit` recorded decisions with their requests, newest first. */
  async recentDecisions(limit: number, filter: { surface?: string } = {}): Promise<RecordedDecision[]> {
    const { rows } = await this.pool.query<{ body_canonical: string; request: ActionRequest }>(
      `SELECT body_canonical, request FROM receipts
        WHERE kind = 'decision' AND request IS NOT NULL AND ($2::text IS NULL OR surface = $2)
        ORDER BY seq DESC LIMIT $1`,
      [limit, filter.surface ?? null],
    );
    return rows.map((row) => ({ body: JSON.parse(row.body_canonical) as DecisionReceiptBody, request: row.request }));
  }

  async findByKey(idempotencyKey: string): Promise<StoredReceipt[]> {
    const result = await this.pool.query<ReceiptRow>(
      `SELECT ${COLUMNS} FROM receipts WHERE idempotency_key = $1 ORDER BY seq`,
      [idempotencyKey],
    );
    return result.rows.map(toStored);
  }
}

/** The 16 column values every receipt row has, in the order of the INSERT statements above. */
function rowValues(body: ReceiptBody, request: ActionRequest | undefined): unknown[] {
  const canonical = canonicalJson(body);
  return [
    receiptId(body),
    body.kind,
    body.v,
    body.idempotencyKey,
    body.workflowId,
    body.runId,
    body.requestHash,
    body.surface,
    body.actor.id,
    body.action,
    body.kind === 'outcome' ? body.dispatch.status : body.outcome,
    body.kind === 'outcome' ? null : body.policy.digest,
    body.issuedAt,
    canonical,
    canonical,
    request === undefined ? null : JSON.stringify(request),
  ];
}

function toStored(row: ReceiptRow): StoredReceipt {
  return {
    seq: String(row.seq),
    receiptId: row.receipt_id as Digest,
    kind: row.kind,
    body: JSON.parse(row.body_canonical) as ReceiptBody,
    recordedAt: row.recorded_at.toISOString(),
  };
}
