import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError } from '@temporalio/common';
import { ApprovalStatementSchema, approvalStatement, signApproval, type ApprovalStatement, type ApprovalVerdict, type SignedApproval } from '../../identity/operator-approval.js';
import { readKeyOption } from '../read-key-option.js';
import type { DecisionReceiptBody, OperatorReceiptBody, OperatorWait } from '../../receipt/receipt-body.js';
import { PgReceiptStore } from '../../store/receipt-store.js';
import { operatorApprovalSignal, type OperatorsView } from '../../../workflows/contract.js';
import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import { connectClient, connectDatabase } from '../connect-lazy.js';
import { environmentHelp, type ActionGateConfig } from '../config.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { parseDuration } from '../parse-duration.js';
import { writeFileAtomically } from '../write-file-atomically.js';
import { kindLabel, needsLabel, queryFailure, queryOperators } from './approvals.js';

/** The three operator commands and the verdict each signs. */
export const OPERATOR_COMMANDS = { approve: 'approve', reject: 'reject', 'break-glass': 'override' } as const satisfies Record<string, ApprovalVerdict>;
export type OperatorCommand = keyof typeof OPERATOR_COMMANDS;

/** The Temporal signal an approval travels on (workflows/contract.ts). */
export const OPERATOR_APPROVAL_SIGNAL = 'operator-approval';

const DEFAULT_EXPIRES_IN = '10m';
/** How long the command waits for the workflow to say whether the approval counted. */
const ANSWER_WAIT_MS = 10_000;
/** After the approval counted: how much longer it waits for the quorum's receipt, if this one completed it. */
const RESOLUTION_GRACE_MS = 3_000;
const POLL_MS = 300;

const COMMON_OPTIONS = `Options:
  --operator ID          the operator signing (a principal in principals.json with an operator key
                         and one of the groups the surface grants this to)
  --key FILE             the operator's private key file (actiongate keys generate --purpose
                         operator); it is read here and never leaves this process
  --reason TEXT          why (required, not empty; recorded in the receipt)
  --expires-in DURATION  how long the signed statement holds (default ${DEFAULT_EXPIRES_IN}; 30s, 10m, 2h, 1d);
                         it never counts after the action's window closes either
  --out FILE             do not send: write the signed statement (JSON) to FILE and print the
                         temporal command that sends it (temporal workflow signal ... --input-file FILE)`;

const EXIT_STATUS = `Exit status: 0 when the gate counted it or the action was resolved, 1 when the gate
refused it (the reason is printed), the action does not wait for it, or no answer came within
${ANSWER_WAIT_MS / 1000} s (the signal is in the workflow's history and is checked once a worker runs it),
2 for usage errors and unreadable key files.`;

export const OPERATOR_HELP: Record<OperatorCommand, string> = {
  approve: `Usage: actiongate approve KEY --operator ID --key FILE --reason TEXT [--expires-in DURATION] [--out FILE]

Approves an action that waits for approval (a STEP_UP: an @approval("group") policy refused it and
nothing else did). Reads the action's decision receipt from Postgres, signs an approval statement
bound to its workflow, run, request hash and decision receipt with the operator's key, sends it to
the workflow (signal ${OPERATOR_APPROVAL_SIGNAL}) and waits up to ${ANSWER_WAIT_MS / 1000} s for the gate's answer:
counted (n of the quorum so far), refused (why), or resolved (PERMIT, then the action is
dispatched; the approval receipt id). See actiongate approvals pending.

${COMMON_OPTIONS}

${EXIT_STATUS}

${environmentHelp(['temporal', 'database'])}`,
  reject: `Usage: actiongate reject KEY --operator ID --key FILE --reason TEXT [--expires-in DURATION] [--out FILE]

Rejects an action that waits for approval (step-up) or for break-glass: one valid rejection by an
operator of a granted group ends it, DENY (approval_rejected or override_rejected), nothing is
dispatched. Otherwise as actiongate approve.

${COMMON_OPTIONS}

${EXIT_STATUS}

${environmentHelp(['temporal', 'database'])}`,
  'break-glass': `Usage: actiongate break-glass KEY --operator ID --key FILE --reason TEXT [--expires-in DURATION] [--out FILE]

Overrides a policy DENY (break-glass): only for an action whose request asked for it
("breakGlass": {"reason": ...}) on a surface whose surfaces.json grants breakGlass, while its
window is open. Signs an override statement (verdict override); once the grant's quorum of
operators has signed, an override receipt (PERMIT, overridden) is recorded, the worker logs a
break_glass_used warning, and the action is dispatched. Otherwise as actiongate approve.

${COMMON_OPTIONS}

${EXIT_STATUS}

${environmentHelp(['temporal', 'database'])}`,
};

/** `actiongate approve|reject|break-glass KEY ...`. */
export async function operatorVerdictCommand(command: OperatorCommand, config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(command, args, {
    operator: { type: 'string' },
    key: { type: 'string' },
    reason: { type: 'string' },
    'expires-in': { type: 'string' },
    out: { type: 'string' },
  });
  if (values.help) {
    io.out(OPERATOR_HELP[command]);
    return 0;
  }
  const usage = (message: string) => new CliError('USAGE', `${command}: ${message}; run actiongate ${command} --help`);
  if (positionals.length === 0) throw usage('needs the idempotency KEY of the action');
  if (positionals.length > 1) throw usage(`takes one KEY, not also ${JSON.stringify(positionals[1])}`);
  const key = positionals[0] as string;
  const operatorId = values.operator?.trim();
  if (!operatorId) throw usage('needs --operator ID (the operator signing)');
  if (operatorId.length > 200) throw usage('--operator is at most 200 characters');
  if (values.key === undefined || values.key === '') throw usage("needs --key FILE (the operator's private key file)");
  const reason = values.reason?.trim();
  if (!reason) throw usage('needs --reason TEXT (why; it is recorded in the receipt)');
  if (reason.length > 2_000) throw usage('--reason is at most 2000 characters');
  const expiresInMs = parseDuration(`${command}: --expires-in`, values['expires-in'] ?? DEFAULT_EXPIRES_IN);
  if (expiresInMs === 0) throw usage('--expires-in must be more than 0');
  if (values.out === '') throw usage('--out needs a FILE');
  const signer = await readKeyOption(values.key);
  const verdict = OPERATOR_COMMANDS[command];

  const decision = await waitingDecision(config, key, command);
  const statement: ApprovalStatement = ApprovalStatementSchema.parse(
    approvalStatement({ ...decision.body, decisionReceiptId: decision.receiptId }, { operatorId, verdict, reason, validForMs: expiresInMs }),
  );
  const signed = signApproval(statement, signer);
  const wait = decision.wait;
  const what = `${operatorId}'s ${verdict} of ${key} (${kindLabel(wait.kind)}, needs ${needsLabel(wait.requirements)}, open until ${wait.until})`;

  if (values.out !== undefined) {
    await writeFileAtomically(values.out, `${JSON.stringify(signed, null, 2)}\n`);
    io.log(`wrote ${what} to ${values.out}; it expires at ${statement.expiresAt}. Send it with:`);
    io.out(
      ['temporal', 'workflow', 'signal', '--workflow-id', statement.workflowId, '--run-id', statement.runId, '--name', OPERATOR_APPROVAL_SIGNAL, '--input-file', values.out]
        .map(shellWord)
        .join(' '),
    );
    return 0;
  }
  return sendAndReport(config, signed, wait, what, io);
}

interface WaitingDecision {
  receiptId: string;
  body: DecisionReceiptBody;
  wait: OperatorWait;
}

/**
 * The key's decision receipt, if it waits for what `command` answers, still unanswered, inside
 * its window; otherwise a CliError `FAILED` that names the problem.
 */
async function waitingDecision(config: ActionGateConfig, key: string, command: OperatorCommand): Promise<WaitingDecision> {
  const pool = await connectDatabase(config);
  let rows;
  try {
    rows = await new PgReceiptStore(pool).findByKey(key);
  } finally {
    await pool.end();
  }
  const fail = (message: string) => new CliError('FAILED', `${command} ${key}: ${message}`);
  const decision = rows.find((row) => row.body.kind === 'decision');
  if (!decision) throw fail('no decision is recorded for this key (is it the idempotency key of a submitted action?)');
  const body = decision.body as DecisionReceiptBody;
  const wait = body.operators;
  if (!wait) {
    const hint =
      body.outcome === 'DENY'
        ? '; break-glass needs the request to ask for it ("breakGlass": {"reason": ...}) on a surface whose surfaces.json grants breakGlass'
        : '';
    throw fail(`does not wait for operators: its decision was ${body.outcome}${body.reasons.length > 0 ? ` (${body.reasons.join(', ')})` : ''}${hint}`);
  }
  const answered = rows.find((row) => row.body.kind === 'approval' || row.body.kind === 'override');
  if (answered) {
    const answer = answered.body as OperatorReceiptBody;
    throw fail(`already resolved: ${answer.kind} receipt ${answered.receiptId}, ${answer.outcome} (${answer.reasons.join(', ')})`);
  }
  const outcome = rows.find((row) => row.body.kind === 'outcome');
  if (outcome) throw fail(`already settled: outcome receipt ${outcome.receiptId}`);
  if (command === 'approve' && wait.kind !== 'approval') {
    throw fail('waits for break-glass (an override of a DENY), not for approval: use actiongate break-glass KEY, or actiongate reject KEY');
  }
  if (command === 'break-glass' && wait.kind !== 'override') {
    throw fail('waits for approval (a STEP_UP), not for break-glass: use actiongate approve KEY, or actiongate reject KEY');
  }
  if (Date.parse(wait.until) <= Date.now()) throw fail(`its window closed at ${wait.until}; the action ends DENY (${wait.kind}_timeout)`);
  return { receiptId: decision.receiptId, body, wait };
}

/** Sends the signal, then asks the workflow until it says what became of this approval. */
async function sendAndReport(config: ActionGateConfig, signed: SignedApproval, wait: OperatorWait, what: string, io: CommandIo): Promise<number> {
  const { statement } = signed;
  const connected = await connectClient(config);
  try {
    const ask = () => queryOperators(connected, statement.workflowId, statement.runId);
    const before = await ask().catch(() => undefined);
    if (before === null) throw new CliError('FAILED', `${statement.workflowId}: the workflow says it does not wait for operators`);
    if (before?.resolution) {
      throw new CliError('FAILED', `${statement.workflowId}: already resolved: ${before.resolution.outcome} (${before.resolution.reasons.join(', ')}), receipt ${before.resolution.receiptId}`);
    }
    try {
      await connected.client.workflow.getHandle(statement.workflowId, statement.runId).signal(operatorApprovalSignal, signed);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        throw new CliError('FAILED', `${statement.workflowId}: run ${statement.runId} is not open any more (${error.message.split('\n')[0]}); see actiongate receipts show ${statement.workflowId}`);
      }
      const cause = (error as { cause?: unknown }).cause;
      const why = cause instanceof Error ? `: ${cause.message.split('\n')[0]}` : '';
      throw new CliError('FAILED', `${statement.workflowId}: cannot send the signal to run ${statement.runId}: ${(error as Error).message.split('\n')[0]}${why}`);
    }
    io.log(`sent ${what}`);
    const refusedBefore = refusalsOf(before, statement.operatorId);
    const deadline = Date.now() + ANSWER_WAIT_MS;
    let countedView: OperatorsView | undefined;
    let countedUntil = 0;
    let lastFailure = 'no worker answered';
    for (;;) {
      let view: OperatorsView | null | undefined;
      try {
        view = await ask();
      } catch (error) {
        lastFailure = queryFailure(error);
      }
      if (view?.resolution) return reportResolution(view, wait, io);
      if (view && refusalsOf(view, statement.operatorId) > refusedBefore) {
        const refusal = [...view.refused].reverse().find((r) => r.operatorId === statement.operatorId);
        io.out(`refused: ${refusal?.rejection ?? 'unknown'}: ${refusal?.detail ?? ''}`.trimEnd());
        return 1;
      }
      if (view && isCounted(view, statement) && !countedView) {
        countedView = view;
        // If this approval may have completed the quorum, its receipt follows in a moment; fewer
        // operators than the largest quorum cannot have completed it.
        const largestQuorum = Math.max(...wait.requirements.map((r) => r.quorum));
        countedUntil = view.counted.length < largestQuorum ? 0 : Date.now() + RESOLUTION_GRACE_MS;
      }
      if (view && countedView) countedView = view;
      const now = Date.now();
      if (countedView && now >= countedUntil) return reportCounted(countedView, wait, io);
      if (!countedView && now >= deadline) {
        io.out(`sent, not checked yet: ${lastFailure} within ${ANSWER_WAIT_MS / 1000} s`);
        io.log(
          "the signal is in the workflow's history and is checked once a worker runs it; " +
            `see actiongate approvals pending, or temporal workflow query --workflow-id ${statement.workflowId} --name operators`,
        );
        return 1;
      }
      await sleep(POLL_MS);
    }
  } finally {
    await connected.connection.close();
  }
}

function refusalsOf(view: OperatorsView | null | undefined, operatorId: string): number {
  return view ? view.refused.filter((r) => r.operatorId === operatorId).length : 0;
}

function isCounted(view: OperatorsView, statement: ApprovalStatement): boolean {
  return view.counted.some((c) => c.operatorId === statement.operatorId && c.verdict === statement.verdict && c.expiresAt === statement.expiresAt);
}

function reportCounted(view: OperatorsView, wait: OperatorWait, io: CommandIo): number {
  const operators = view.counted.map((c) => c.operatorId);
  const needed = wait.requirements.reduce((sum, r) => sum + r.quorum, 0);
  io.out(`counted: ${operators.length} of ${needed} (${needsLabel(wait.requirements)}): ${operators.join(', ')}; open until ${view.until}`);
  return 0;
}

function reportResolution(view: OperatorsView, wait: OperatorWait, io: CommandIo): number {
  const resolution = view.resolution as NonNullable<OperatorsView['resolution']>;
  io.out(`resolved: ${resolution.outcome} (${resolution.reasons.join(', ')}); ${wait.kind} receipt ${resolution.receiptId}`);
  // A window that closed before this statement was counted is not this operator's answer.
  return resolution.reasons.some((reason) => reason.endsWith('_timeout')) ? 1 : 0;
}

/** A word as a POSIX shell reads it: quoted only when it has to be. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@,+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
