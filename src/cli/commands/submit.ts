import type { WorkflowHandle } from '@temporalio/client';
import type { ActionDecision, ActionResult } from '../../action/action-result.js';
import { ActionGateClient } from '../../client/actiongate-client.js';
import { ClientError } from '../../client/client-error.js';
import { RequestError } from '../../request/request-error.js';
import { parseActionRequest } from '../../request/action-request.js';
import { CliError } from '../cli-error.js';
import { readInput } from '../read-input.js';
import { connectClient } from '../connect-lazy.js';
import type { ActionGateConfig } from '../config.js';
import { readKeyOption } from '../read-key-option.js';
import { needsLabel } from './approvals.js';

import { REFUSED_EXIT_CODE } from '../help.js';
export { REFUSED_EXIT_CODE };

/** How often a waiting submit asks Temporal how the action is doing. */
const PROGRESS_POLL_MS = 2_000;

export interface SubmitArgs {
  file: string | undefined;
  wait: boolean;
  key?: string | undefined;
  failOnRefusal?: boolean;
}

export async function submitCommand(
  config: ActionGateConfig,
  args: SubmitArgs,
  io: { stdin: NodeJS.ReadableStream & { isTTY?: boolean }; stdout: NodeJS.WritableStream; log?: (line: string) => void },
): Promise<number> {
  const log = io.log ?? (() => undefined);
  if ((args.file === undefined || args.file === '-') && io.stdin.isTTY === true) {
    log('reading the request (JSON) from standard input; end it with Ctrl-D (or pass a FILE)');
  }
  const text = await readInput(args.file, io.stdin);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError('INVALID_INPUT', `the input is not JSON: ${(err as Error).message}`);
  }
  try {
    parseActionRequest(json); // validate before connecting: bad input never reaches Temporal
  } catch (err) {
    if (err instanceof RequestError) throw new CliError('INVALID_INPUT', err.message, { issues: err.issues });
    throw err;
  }
  const signer = args.key === undefined ? undefined : await readKeyOption(args.key);
  const { client, connection } = await connectClient(config);
  try {
    const gate = new ActionGateClient({ client, taskQueue: config.taskQueue, ...(signer ? { signer } : {}) });
    const submitted = await gate.submit(json);
    const { decision } = submitted;
    let output: ActionDecision | ActionResult = decision;
    if (args.wait) {
      const watch = decision.fromReceipts ? undefined : watchProgress(gate.workflow(decision.workflowId, decision.runId), decision, log);
      try {
        output = await submitted.result();
      } finally {
        watch?.stop();
      }
    } else if (decision.waitsFor) {
      log(operatorWaitLine(decision));
    }
    io.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    return args.failOnRefusal === true && refused(output, args.wait) ? REFUSED_EXIT_CODE : 0;
  } catch (err) {
    if (err instanceof ClientError) {
      throw new CliError(err.code === 'TEMPORAL_UNAVAILABLE' ? 'UNAVAILABLE' : 'FAILED', `${err.code}: ${err.message}`);
    }
    throw err;
  } finally {
    await connection.close();
  }
}

/**
 * Whether `--fail-on-refusal` fails: without waiting, any decision but PERMIT; after waiting, a
 * final answer other than PERMIT (operators' answer when they were asked), or a dispatch that did
 * not succeed.
 */
export function refused(output: ActionDecision | ActionResult, waited: boolean): boolean {
  if (!waited || !('dispatch' in output)) return output.outcome !== 'PERMIT';
  const final = output.operators ? output.operators.outcome : output.outcome;
  return final !== 'PERMIT' || output.dispatch.status !== 'succeeded';
}

/** `waiting for approval by 2 of treasury until ...; actiongate approve KEY ...`. */
export function operatorWaitLine(decision: ActionDecision): string {
  const wait = decision.waitsFor;
  if (!wait) return '';
  const what = wait.kind === 'approval' ? 'approval' : 'break-glass';
  const command = wait.kind === 'approval' ? 'approve' : 'break-glass';
  return (
    `${decision.idempotencyKey}: ${decision.outcome}; waiting for ${what} by ${needsLabel(wait.requirements)} until ${wait.until}; ` +
    `each operator runs: actiongate ${command} ${decision.idempotencyKey} --operator ID --key FILE --reason TEXT ` +
    `(or actiongate reject ${decision.idempotencyKey} ...)`
  );
}

interface PendingActivity {
  activityType?: { name?: string | null } | null;
  attempt?: number | null;
  lastFailure?: { message?: string | null } | null;
}

/**
 * Says on standard error what a waiting action waits for: the operators (once), and every new
 * attempt of an activity being retried (the dispatch to an external system that is down).
 */
function watchProgress(handle: WorkflowHandle, decision: ActionDecision, log: (line: string) => void): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  if (decision.waitsFor) log(operatorWaitLine(decision));
  const told = new Map<string, number>();
  const poll = async () => {
    if (stopped) return;
    try {
      const described = await handle.describe();
      const pending = (described.raw.pendingActivities ?? []) as PendingActivity[];
      for (const activity of pending) {
        const attempt = activity.attempt ?? 1;
        const name = activity.activityType?.name ?? 'activity';
        if (attempt < 2 || told.get(name) === attempt || stopped) continue;
        told.set(name, attempt);
        const error = activity.lastFailure?.message ?? 'unknown error';
        log(`${decision.idempotencyKey}: ${name} is being retried: attempt ${attempt}, last error: ${error}`);
      }
    } catch {
      // Progress is a courtesy: a describe that fails says nothing, the result still comes.
    }
    if (!stopped) timer = setTimeout(() => void poll(), PROGRESS_POLL_MS);
  };
  timer = setTimeout(() => void poll(), PROGRESS_POLL_MS);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
