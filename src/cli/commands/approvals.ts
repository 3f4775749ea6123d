import type { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import type { DecisionReceiptBody, OperatorWait } from '../../receipt/receipt-body.js';
import { operatorsQuery, type OperatorsView } from '../../../workflows/contract.js';
import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import { connectClient, connectDatabase } from '../connect-lazy.js';
import { environmentHelp, type ActionGateConfig } from '../config.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { textTable } from '../text-table.js';

export const APPROVALS_HELP = `Usage: actiongate approvals pending [--surface S] [--json]

pending  lists the actions that wait for operators now: a STEP_UP waiting for approval
         (kind step-up), or a policy DENY whose request asked for break-glass on a surface that
         grants it (kind break-glass). From Postgres: decision receipts that carry "operators",
         with no approval, override or outcome receipt for their key yet, whose window is still
         open; most urgent first. For each: key, surface, action, actor, target, kind, what is
         needed (e.g. "2 of treasury"), until when, and the operators counted so far, asked from
         the workflow ("unknown (Temporal unreachable)" when Temporal does not answer, "unknown
         (no worker answered)" when no worker runs the workflow). --surface narrows the list,
         --json prints one JSON array with every field. Read-only. Exit 0 (whether or not
         anything waits), 1 for errors such as no database, 2 for usage errors.

Answer one with actiongate approve KEY, actiongate reject KEY or actiongate break-glass KEY.

${environmentHelp(['temporal', 'database'])}`;

/** `--json` of `approvals pending`: one action that waits for operators. */
export interface PendingOperatorAction {
  idempotencyKey: string;
  workflowId: string;
  runId: string;
  surface: string;
  action: string;
  actor: { id: string; type: string };
  target: { type: string; id: string };
  /** The decision's outcome: STEP_UP (approval) or DENY (break-glass). */
  outcome: string;
  reasons: string[];
  decidedAt: string;
  decisionReceiptId: string;
  kind: OperatorWait['kind'];
  requirements: OperatorWait['requirements'];
  reasonRequired: boolean;
  until: string;
  /** The agent's reason for asking break-glass (the request's `breakGlass.reason`); null for a step-up. */
  breakGlassReason: string | null;
  /** What the workflow says (its `operators` query); null when it could not be asked. */
  operators: OperatorsView | null;
  /** Why `operators` is null: `Temporal unreachable`, `no worker answered`, ... */
  operatorsUnknown: string | null;
}

/** The longest window a grant may set (surfaces.json `windowMs` at most 24 h): older decisions wait no more. */
const LONGEST_WINDOW_MS = 86_400_000;
/** How long one `operators` query may take: a workflow no worker runs does not answer. */
export const QUERY_DEADLINE_MS = 3_000;

/** `actiongate approvals pending`. */
export async function approvalsCommand(config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('approvals', args, { surface: { type: 'string' }, json: { type: 'boolean' } });
  const [sub, ...rest] = positionals;
  // An unknown subcommand is unknown with --help too (printing help and exit 0 would say it exists).
  if (sub !== undefined && sub !== 'pending') throw new CliError('USAGE', `unknown subcommand approvals ${JSON.stringify(sub)}; run actiongate approvals --help`);
  if (values.help || sub === undefined) {
    io.out(APPROVALS_HELP);
    return sub === undefined && !values.help ? 2 : 0;
  }
  if (rest.length > 0) throw new CliError('USAGE', `approvals pending takes no arguments, not ${JSON.stringify(rest[0])}`);
  if (values.surface !== undefined && values.surface.trim() === '') throw new CliError('USAGE', 'approvals pending: --surface needs a surface name');

  const pool = await connectDatabase(config);
  let pending: PendingOperatorAction[];
  try {
    pending = await findPendingOperatorActions(pool, { now: new Date(), ...(values.surface === undefined ? {} : { surface: values.surface }) });
  } finally {
    await pool.end();
  }
  if (pending.length > 0) await askWorkflows(config, pending);

  if (values.json === true) {
    io.out(JSON.stringify(pending));
  } else if (pending.length > 0) {
    const header = ['key', 'surface', 'action', 'actor', 'target', 'kind', 'needs', 'until', 'counted'];
    const rows = pending.map((p) => [
      p.idempotencyKey,
      p.surface,
      p.action,
      p.actor.id,
      `${p.target.type}:${p.target.id}`,
      kindLabel(p.kind),
      needsLabel(p.requirements),
      p.until,
      countedLabel(p),
    ]);
    for (const line of textTable(header, rows)) io.out(line);
  }
  io.log(
    pending.length === 0
      ? `no actions wait for operators${values.surface === undefined ? '' : ` on ${values.surface}`}`
      : `${pending.length} action(s) wait for operators: answer with actiongate approve|reject|break-glass KEY`,
  );
  return 0;
}

/**
 * Decisions that wait for operators and have no answer yet: they carry `operators`, no approval,
 * override or outcome receipt of their key is on record, and their window ends after `now`.
 * Most urgent (earliest `until`) first. Read-only.
 */
export async function findPendingOperatorActions(pool: pg.Pool, options: { now: Date; surface?: string }): Promise<PendingOperatorAction[]> {
  const { rows } = await pool.query<{ receipt_id: string; body_canonical: string; break_glass_reason: string | null }>(
    `SELECT d.receipt_id, d.body_canonical, d.request->'breakGlass'->>'reason' AS break_glass_reason
       FROM receipts d
      WHERE d.kind = 'decision'
        AND d.issued_at > $2
        AND jsonb_typeof(d.body->'operators') = 'object'
        AND (d.body->'operators'->>'until')::timestamptz > $1
        AND ($3::text IS NULL OR d.surface = $3)
        AND NOT EXISTS (SELECT 1 FROM receipts a
                         WHERE a.idempotency_key = d.idempotency_key AND a.kind IN ('approval', 'override', 'outcome'))
      ORDER BY (d.body->'operators'->>'until')::timestamptz, d.seq`,
    [options.now, new Date(options.now.getTime() - LONGEST_WINDOW_MS), options.surface ?? null],
  );
  return rows.map((row) => {
    const body = JSON.parse(row.body_canonical) as DecisionReceiptBody;
    const wait = body.operators as OperatorWait;
    return {
      idempotencyKey: body.idempotencyKey,
      workflowId: body.workflowId,
      runId: body.runId,
      surface: body.surface,
      action: body.action,
      actor: { id: body.actor.id, type: body.actor.type },
      target: { type: body.target.type, id: body.target.id },
      outcome: body.outcome,
      reasons: body.reasons,
      decidedAt: body.issuedAt,
      decisionReceiptId: row.receipt_id,
      kind: wait.kind,
      requirements: wait.requirements,
      reasonRequired: wait.reasonRequired,
      until: wait.until,
      breakGlassReason: row.break_glass_reason,
      operators: null,
      operatorsUnknown: null,
    };
  });
}

/** Fills in each action's `operators` from its workflow, best effort. */
async function askWorkflows(config: ActionGateConfig, pending: PendingOperatorAction[]): Promise<void> {
  let connected: { client: Client; connection: Connection };
  try {
    connected = await connectClient(config);
  } catch {
    for (const p of pending) p.operatorsUnknown = 'Temporal unreachable';
    return;
  }
  try {
    await Promise.all(
      pending.map(async (p) => {
        try {
          p.operators = await queryOperators(connected, p.workflowId, p.runId);
          if (p.operators === null) p.operatorsUnknown = 'the workflow does not wait for operators';
        } catch (error) {
          p.operatorsUnknown = queryFailure(error);
        }
      }),
    );
  } finally {
    await connected.connection.close();
  }
}

/**
 * The workflow's `operators` query, bounded: a run no worker executes does not answer.
 *
 * @throws the client's error (a closed run, no worker within the deadline).
 */
export function queryOperators(
  { client, connection }: { client: Client; connection: Connection },
  workflowId: string,
  runId: string,
  deadlineMs: number = QUERY_DEADLINE_MS,
): Promise<OperatorsView | null> {
  return connection.withDeadline(Date.now() + deadlineMs, () => client.workflow.getHandle(workflowId, runId).query(operatorsQuery));
}

/** A short reason a query failed, for an operator. */
export function queryFailure(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/deadline|timed? ?out|DEADLINE_EXCEEDED/i.test(text)) return 'no worker answered';
  if (/not ?found/i.test(text)) return 'workflow run not found';
  return text.split('\n')[0] ?? 'query failed';
}

export function kindLabel(kind: OperatorWait['kind']): string {
  return kind === 'approval' ? 'step-up' : 'break-glass';
}

/** `2 of treasury`, `1 of sre|platform + 1 of security`. */
export function needsLabel(requirements: OperatorWait['requirements']): string {
  return requirements.map((r) => `${r.quorum} of ${r.groups.join('|')}`).join(' + ');
}

function countedLabel(p: PendingOperatorAction): string {
  if (p.operators === null) return `unknown (${p.operatorsUnknown ?? 'not asked'})`;
  const counted = p.operators.counted.length === 0 ? 'none' : p.operators.counted.map((c) => c.operatorId).join(', ');
  return p.operators.refused.length === 0 ? counted : `${counted} (${p.operators.refused.length} refused)`;
}
