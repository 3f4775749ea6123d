import type pg from 'pg';

const BATCH = 1_000;

/**
 * Narrows an export to receipts issued since an instant and/or of one surface. A filtered export
 * still verifies receipt by receipt (signatures, keys), but its chain has gaps by construction:
 * check the chain on a full export.
 */
export interface ExportFilter {
  since?: string;
  surface?: string;
}

/**
 * The signed log as export lines (canonical JSON, one per line) in sequence order, read in
 * batches so memory stays constant however long the log is, followed by the latest checkpoint.
 * `actiongate verify` checks exactly these lines.
 */
export async function* exportReceiptLog(pool: pg.Pool, filter: ExportFilter = {}): AsyncGenerator<string> {
  let after = 0;
  for (;;) {
    const { rows } = await pool.query<{ log_seq: string; envelope_canonical: string }>(
      `SELECT log_seq, envelope_canonical FROM receipts
        WHERE log_seq > $1 AND ($3::timestamptz IS NULL OR issued_at >= $3) AND ($4::text IS NULL OR surface = $4)
        ORDER BY log_seq LIMIT $2`,
      [after, BATCH, filter.since ?? null, filter.surface ?? null],
    );
    for (const row of rows) yield row.envelope_canonical;
    if (rows.length < BATCH) break;
    after = Number(rows.at(-1)?.log_seq);
  }
  const { rows } = await pool.query<{ checkpoint_canonical: string }>(
    `SELECT checkpoint_canonical FROM receipt_checkpoints WHERE size <= (SELECT size FROM receipt_log_head WHERE id = 1) ORDER BY size DESC LIMIT 1`,
  );
  if (rows[0]) yield rows[0].checkpoint_canonical;
}
