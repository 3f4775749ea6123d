import type pg from 'pg';
import type { ActionRequest } from '../request/action-request.js';
import { canonicalJson } from '../request/canonical-json.js';
import type { Digest } from '../request/digest.js';
import type { DecisionReceiptBody, ReceiptBody, ReceiptKind } from '../receipt/receipt-body.js';
import type { RecordedDecision } from '../policy/decision-diff.js';
import { receiptId } from '../receipt/receipt-id.js';

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

/** The Postgres receipt store. Writes are idempotent per (idempotency key, kind): a retry finds the first row. */
export class PgReceiptStore implements ReceiptStore {
  constructor(private readonly pool: pg.Pool) {}

  async append(body: ReceiptBody, options: { request?: ActionRequest } = {}): Promise<AppendResult> {
    const canonical = canonicalJson(body);
    const id = receiptId(body);
    const inserted = await this.pool.query<ReceiptRow>(
      `INSERT INTO receipts (receipt_id, kind, version, idempotency_key, workflow_id, run_id, request_hash,
                             surface, actor_id, action, outcome, policy_digest, issued_at, body, body_canonical, request)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16::jsonb)
       ON CONFLICT DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        id,
        body.kind,
        body.v,
        body.idempotencyKey,
        body.workflowId,
        body.runId,
        body.requestHash,
        body.surface,
        body.actor.id,
        body.action,
        body.kind === 'decision' ? body.outcome : body.dispatch.status,
        body.kind === 'decision' ? body.policy.digest : null,
        body.issuedAt,
        canonical,
        canonical,
        options.request === undefined ? null : JSON.stringify(options.request),
      ],
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

function toStored(row: ReceiptRow): StoredReceipt {
  return {
    seq: String(row.seq),
    receiptId: row.receipt_id as Digest,
    kind: row.kind,
    body: JSON.parse(row.body_canonical) as ReceiptBody,
    recordedAt: row.recorded_at.toISOString(),
  };
}
