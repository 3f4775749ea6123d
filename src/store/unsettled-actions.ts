import type pg from 'pg';
import { allowsDispatch } from '../action/action-result.js';
import type { Outcome } from '../policy/decision.js';
import type { DecisionReceiptBody, SurfaceMode } from '../receipt/receipt-body.js';

/**
 * A decided action with no outcome receipt: nobody has recorded what dispatch did. When
 * `mayHaveDispatched` is true the external system may have acted, so an operator reconciles it
 * there by idempotency key.
 */
export interface UnsettledAction {
  idempotencyKey: string;
  surface: string;
  actorId: string;
  outcome: Outcome;
  mode: SurfaceMode;
  /** The decision receipt's `issuedAt`, as recorded. */
  decidedAt: string;
  workflowId: string;
  runId: string;
  /** The decision let the action go out ({@link allowsDispatch}), or operators did (an approval or override PERMIT): dispatch may have happened. */
  mayHaveDispatched: boolean;
}

/**
 * Decision receipts issued before `decidedBefore` that have no outcome receipt for their key,
 * oldest first. Read-only. The caller picks the instant, so the store reads no clock.
 * An action that waits for operators is not unsettled while its window is open: its age counts
 * from the operators' answer (the approval or override receipt), or from the window's end.
 *
 * @example const stale = await findUnsettledActions(pool, { decidedBefore: new Date(Date.now() - 600_000) });
 */
export async function findUnsettledActions(pool: pg.Pool, options: { decidedBefore: Date }): Promise<UnsettledAction[]> {
  // One outcome and one operators receipt per key at most (UNIQUE (idempotency_key, kind)), so the key names them.
  const { rows } = await pool.query<{ body_canonical: string; operators_outcome: string | null }>(
    `SELECT d.body_canonical, a.outcome AS operators_outcome FROM receipts d
       LEFT JOIN receipts a ON a.idempotency_key = d.idempotency_key AND a.kind IN ('approval', 'override')
      WHERE d.kind = 'decision' AND d.issued_at < $1
        AND NOT EXISTS (SELECT 1 FROM receipts o WHERE o.kind = 'outcome' AND o.idempotency_key = d.idempotency_key)
        AND (d.body -> 'operators' IS NULL
             OR (a.seq IS NOT NULL AND a.issued_at < $1)
             OR (a.seq IS NULL AND (d.body -> 'operators' ->> 'until')::timestamptz < $1))
      ORDER BY d.issued_at, d.seq`,
    [options.decidedBefore],
  );
  return rows.map((row) => {
    const body = JSON.parse(row.body_canonical) as DecisionReceiptBody;
    return {
      idempotencyKey: body.idempotencyKey,
      surface: body.surface,
      actorId: body.actor.id,
      outcome: body.outcome,
      mode: body.mode,
      decidedAt: body.issuedAt,
      workflowId: body.workflowId,
      runId: body.runId,
      mayHaveDispatched: allowsDispatch(body) || row.operators_outcome === 'PERMIT',
    };
  });
}
