import type pg from 'pg';
import type { ActionRequest } from '../request/action-request.js';
import { canonicalJson } from '../request/canonical-json.js';
import type { Digest } from '../request/digest.js';
import type { DecisionReceiptBody, ReceiptBody, ReceiptKind } from '../receipt/receipt-body.js';
import type { RecordedDecision } from '../policy/decision-diff.js';
import type { Signer } from '../keys/signer.js';
import { isConnectionError } from './connection-error.js';
import { GroupCommit, type GroupCommitStats } from './group-commit.js';
import { withPooledClient } from './pooled-client.js';
import {
  keyAndKind,
  planSignedBatch,
  sha256Hex,
  WRITE_BATCH_SQL,
  writeBatchParams,
  type BatchPlan,
  type CheckpointRules,
  type LogHead,
  type PreparedAppend,
} from './signed-batch.js';

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

/** The most signed appends one transaction writes. */
const MAX_BATCH = 100;

/** Where the canonical body is among the {@link rowValues}. */
const CANONICAL_INDEX = 14;

/** After an append found the head moved by another writer, appends take the head lock first for this long. */
const LOCK_FIRST_MS = 1_000;

export interface PgReceiptStoreOptions {
  /** Signs every receipt into the global hash-chained log. Without it receipts are stored unsigned. */
  signer?: Signer;
  /** A signed checkpoint every this many receipts (default 100)... */
  checkpointEvery?: number;
  /** ...or with the first receipt this long after the last checkpoint (default 60 s). */
  checkpointAfterMs?: number;
  /** The clock checkpoints are issued at (default: the system clock). */
  now?: () => Date;
  /** Called with the size of the latest checkpoint after a write that committed one (e.g. {@link CheckpointPublisher.notify}); never awaited, its errors ignored. */
  onCheckpoint?: (size: number) => void;
}

/** The Postgres receipt store. Writes are idempotent per (idempotency key, kind): a retry finds the first row. */
export class PgReceiptStore implements ReceiptStore {
  private readonly signedCommits: GroupCommit<PreparedAppend, AppendResult>;
  /** The head as this store's last signed write left it; undefined when unknown (not written yet, or a write failed). */
  private head: LogHead | undefined;
  /** Until when (performance.now()) signed batches take the head lock first: another writer moved the head lately. */
  private lockFirstUntil = 0;
  private readonly writes = { onKnownHead: 0, underLock: 0 };

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PgReceiptStoreOptions = {},
  ) {
    const signer = options.signer;
    this.signedCommits = new GroupCommit((batch) => (signer ? this.writeSignedBatch(batch, signer) : Promise.reject(new Error('no signer'))), {
      maxBatch: MAX_BATCH,
      // A batch that Postgres refused may hold one bad body: each is tried alone. A lost connection
      // fails the whole batch; each caller's retry applies (the append is idempotent).
      retryAlone: (err) => !isConnectionError(err),
    });
  }

  async append(body: ReceiptBody, options: { request?: ActionRequest } = {}): Promise<AppendResult> {
    if (this.options.signer) return this.appendSigned(body, options.request);
    const values = rowValues(body, options.request);
    const id = values[0] as Digest;
    const inserted = await this.pool.query<ReceiptRow>(
      `INSERT INTO receipts (receipt_id, kind, version, idempotency_key, workflow_id, run_id, request_hash,
                             surface, actor_id, action, outcome, policy_digest, issued_at, body, body_canonical, request)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16::jsonb)
       ON CONFLICT DO NOTHING
       RETURNING ${COLUMNS}`,
      values,
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
   * Appends a signed receipt at the end of the log, by group commit: concurrent appends on this
   * store are queued and written together, one transaction per batch (see {@link writeSignedBatch}).
   * The body's columns and canonical bytes are computed here, so a body that cannot be encoded fails
   * its own caller before it joins a batch.
   */
  private appendSigned(body: ReceiptBody, request: ActionRequest | undefined): Promise<AppendResult> {
    const values = rowValues(body, request);
    return this.signedCommits.submit({ body, values, canonical: values[CANONICAL_INDEX] as string, id: values[0] as Digest });
  }

  /**
   * Group commit counters of the signed appends of this store: batches written, the appends they
   * held, the largest, how many appends were retried alone after their batch failed; and how many
   * batches were written on the head this store last wrote (one statement) or under the head lock.
   */
  get groupCommitStats(): GroupCommitStats & { onKnownHead: number; underLock: number } {
    return { ...this.signedCommits.stats, ...this.writes };
  }

  /**
   * Writes a batch of signed receipts at the end of the log, atomically, and resolves with one
   * result per body, in order. When this store wrote the last receipt, the batch is planned on the
   * head it left and written in one statement that moves the head only if it is still there (which
   * locks it) and writes the rows only if it moved; a head moved meanwhile by another writer, or a
   * key and kind already stored (a unique violation: nothing written), sends the batch to
   * {@link writeUnderLock}, which reads the head under its lock and looks the keys up first.
   */
  private async writeSignedBatch(batch: readonly PreparedAppend[], signer: Signer): Promise<AppendResult[]> {
    const known = this.head;
    this.head = undefined; // known again only once a write is known to have committed
    if (known && performance.now() >= this.lockFirstUntil) {
      const plan = planSignedBatch(batch, known, new Map<string, ReceiptRow>(), this.checkpointRules(), signer);
      let written: pg.QueryResult<WrittenRow> | undefined;
      try {
        written = await this.pool.query<WrittenRow>(WRITE_BATCH_SQL, writeBatchParams(plan, known));
      } catch (err) {
        if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
      }
      if (written && written.rows.length === plan.rows.length) {
        this.writes.onKnownHead += 1;
        this.head = plan.head;
        this.checkpointed(plan);
        return results(plan, written.rows);
      }
      if (written && written.rows.length === 0) this.lockFirstUntil = performance.now() + LOCK_FIRST_MS;
      else if (written) throw new Error(`a batch of ${plan.rows.length} receipts wrote ${written.rows.length}`);
    }
    return this.writeUnderLock(batch, signer);
  }

  /**
   * Writes a batch in one transaction under the head-row lock: the head read and locked, the keys
   * and kinds already stored looked up (under the lock, a concurrent append of the same key and kind
   * has committed or not started), the batch planned and written, committed.
   */
  private async writeUnderLock(batch: readonly PreparedAppend[], signer: Signer): Promise<AppendResult[]> {
    return withPooledClient(this.pool, async (client) => {
      try {
        // One round trip: BEGIN, and the head row locked (simple query protocol, no parameters).
        const [, locked] = (await client.query('BEGIN; SELECT size, head_hash, checkpointed_at FROM receipt_log_head WHERE id = 1 FOR UPDATE')) as unknown as [
          pg.QueryResult,
          pg.QueryResult<{ size: string; head_hash: Digest | null; checkpointed_at: Date | null }>,
        ];
        const row = locked.rows[0];
        if (!row) throw new Error('receipt_log_head is missing: run actiongate db migrate');
        const head: LogHead = { size: Number(row.size), headHash: row.head_hash, checkpointedAt: row.checkpointed_at };
        const keys = [...new Set(batch.map((item) => item.body.idempotencyKey))];
        const existing = await client.query<ReceiptRow & { idempotency_key: string }>(
          `SELECT ${COLUMNS}, idempotency_key FROM receipts WHERE idempotency_key = ANY($1::text[])`,
          [keys],
        );
        const stored = new Map(existing.rows.map((found) => [keyAndKind(found.idempotency_key, found.kind), found as ReceiptRow]));
        const plan = planSignedBatch(batch, head, stored, this.checkpointRules(), signer);
        if (plan.rows.length === 0) {
          await client.query('ROLLBACK');
          this.head = head;
          return results(plan, []);
        }
        const written = await client.query<WrittenRow>(WRITE_BATCH_SQL, writeBatchParams(plan, head));
        if (written.rows.length !== plan.rows.length) throw new Error(`a batch of ${plan.rows.length} receipts wrote ${written.rows.length} under the head lock`);
        await client.query('COMMIT');
        this.writes.underLock += 1;
        this.head = plan.head;
        this.checkpointed(plan);
        return results(plan, written.rows);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** Tells `onCheckpoint` of the last checkpoint a committed batch wrote. */
  private checkpointed(plan: BatchPlan<ReceiptRow>): void {
    const last = plan.checkpoints.at(-1);
    if (!last || !this.options.onCheckpoint) return;
    try {
      this.options.onCheckpoint(last.size);
    } catch {
      // a listener's failure is the listener's: the receipts are committed
    }
  }

  private checkpointRules(): CheckpointRules {
    return { every: this.options.checkpointEvery ?? 100, afterMs: this.options.checkpointAfterMs ?? 60_000, now: this.options.now?.() ?? new Date() };
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
    sha256Hex(canonical), // receiptId(body), from the canonical bytes at hand
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

const UNIQUE_VIOLATION = '23505';

interface WrittenRow {
  log_seq: string;
  seq: string;
  recorded_at: Date;
}

/** One result per append of a planned batch, in order, from the rows it wrote (one per planned row, in log order). */
function results(plan: BatchPlan<ReceiptRow>, written: readonly WrittenRow[]): AppendResult[] {
  const bySeq = new Map(written.map((w) => [Number(w.log_seq), w]));
  const stored = (index: number): StoredReceipt => {
    const row = plan.rows[index];
    const at = row && bySeq.get(row.seq);
    if (!row || !at) throw new Error(`receipt ${row?.seq ?? index} of the batch was not written`);
    const { item } = row;
    return {
      seq: String(at.seq),
      receiptId: item.id,
      kind: item.body.kind,
      body: JSON.parse(item.canonical) as ReceiptBody,
      recordedAt: at.recorded_at.toISOString(),
    };
  };
  return plan.appends.map((planned) => {
    if ('existing' in planned) return { receipt: toStored(planned.existing), inserted: false };
    if ('row' in planned) return { receipt: stored(planned.row), inserted: true };
    const first = plan.appends[planned.firstIn];
    if (!first || !('row' in first)) throw new Error('a repeated key and kind in a batch must follow a written receipt');
    return { receipt: stored(first.row), inserted: false };
  });
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
