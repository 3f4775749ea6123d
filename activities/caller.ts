import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { z } from 'zod';
import { WORKFLOW_TYPE } from '../workflows/contract.js';
import { safeParseActionRequest, type ActionRequest } from '../src/request/action-request.js';

/** A call an activity refused: who tried what, for the log and for counting. */
export interface RefusedCall {
  activity: string;
  code: 'CALLER_REFUSED' | 'DISPATCH_REFUSED' | 'INVALID_INPUT';
  message: string;
  workflowType: string | null;
  workflowId: string | null;
  runId: string | null;
}

/** Where refused calls go besides the worker log (tests record them; a metrics sink can count them). */
export type RefusedCallSink = (call: RefusedCall) => void;

/** The workflow run an activity acts for, as Temporal says it (never as the input says it). */
export interface GovernedCaller {
  workflowId: string;
  runId: string;
}

/**
 * Checks an activity's input and caller before it does anything: the input's request must be a
 * valid ActionRequest, and the activity must have been scheduled by a `governedActionWorkflow`
 * whose workflow ID is that request's idempotency key. A standalone activity (`temporal activity
 * execute`) has no workflow and is refused here.
 *
 * This is the first line only: Temporal's activity info says what the scheduling workflow is
 * called, and an attacker can name a workflow of its own `governedActionWorkflow`. What makes an
 * activity safe is the check against Postgres that follows (the committed receipts of this run).
 *
 * @throws ApplicationFailure (non-retryable) `CALLER_REFUSED` or `INVALID_INPUT`, after logging it loudly.
 */
export function governedCall(activity: string, sink: RefusedCallSink | undefined, input: unknown): { request: ActionRequest; caller: GovernedCaller } {
  const parsed = safeParseActionRequest((input as { request?: unknown } | null | undefined)?.request);
  if (!parsed.ok) refuse(activity, sink, 'INVALID_INPUT', `input.request is not a valid ActionRequest: ${parsed.error.message}`);
  const info = Context.current().info;
  const execution = info.workflowExecution;
  if (!info.inWorkflow || info.workflowType !== WORKFLOW_TYPE || !execution) {
    refuse(activity, sink, 'CALLER_REFUSED', `${activity} runs only for a ${WORKFLOW_TYPE}; this call came from ${info.inWorkflow ? `a ${info.workflowType ?? 'workflow'}` : 'no workflow (a standalone activity)'}`);
  }
  if (execution.workflowId !== parsed.request.idempotencyKey) {
    refuse(activity, sink, 'CALLER_REFUSED', `${activity} for key ${parsed.request.idempotencyKey} was scheduled by workflow ${execution.workflowId}; the workflow ID must be the key`);
  }
  return { request: parsed.request, caller: { workflowId: execution.workflowId, runId: execution.runId } };
}

/**
 * Checks the rest of an activity's input against its schema; a bad field is a refused call.
 *
 * @throws ApplicationFailure (non-retryable) `INVALID_INPUT` naming every bad field.
 */
export function parseInput<T extends z.ZodType>(activity: string, sink: RefusedCallSink | undefined, schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  return refuse(activity, sink, 'INVALID_INPUT', `input: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
}

/**
 * Logs a refused call at error level, hands it to the sink, and throws it as a non-retryable failure.
 *
 * @throws ApplicationFailure always.
 */
export function refuse(activity: string, sink: RefusedCallSink | undefined, code: RefusedCall['code'], message: string): never {
  const info = Context.current().info;
  const call: RefusedCall = {
    activity,
    code,
    message,
    workflowType: info.workflowType ?? null,
    workflowId: info.workflowExecution?.workflowId ?? null,
    runId: info.workflowExecution?.runId ?? null,
  };
  log.error(`SECURITY: refused ${activity}: ${message}`, { ...call });
  try {
    sink?.(call);
  } catch {
    // A failing sink must not turn a refusal into something else.
  }
  throw ApplicationFailure.nonRetryable(message, code, call);
}
