// The two ways the bench submits one action: through ActionGate (governed) and straight to Temporal (bare).
// Both are Update-With-Start followed by the workflow result, so the protocol cost is the same.
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { ActionGateClient, WORKFLOW_EXECUTION_TIMEOUT } from '../src/client/actiongate-client.js';
import { demoSigner } from '../src/demo/demo-keys.js';
import { describeAction, type ActionRequest } from '../src/request/action-request.js';
import { acceptActionUpdate, BARE_WORKFLOW_TYPE } from './bare-contract.js';
import type { bareWorkflow } from './bare-workflow.js';

export type Variant = 'governed' | 'bare';
export const VARIANTS: readonly Variant[] = ['governed', 'bare'];

/** One action's timings, in ms from just before submit. */
export interface ActionTiming {
  workflowId: string;
  /** Epoch ms (performance.timeOrigin + performance.now()), to line up with history event times. */
  submittedAt: number;
  /** Until the update result: the decision (governed) or the acceptance (bare). */
  decisionMs: number;
  /** Until the workflow result: dispatched and, for governed, both receipts on record. */
  doneMs: number;
}

export type SubmitAction = (request: ActionRequest) => Promise<ActionTiming>;

export function governedSubmitter(client: Client, taskQueue: string): SubmitAction {
  // The agent signs as it must in production (demo key of the sample principal agent-42).
  const gate = new ActionGateClient({ client, taskQueue, signer: demoSigner('agent-42') });
  return async (request) => {
    const started = performance.now();
    const { decision, result } = await gate.submit(request);
    const decided = performance.now();
    const final = await result();
    const done = performance.now();
    if (decision.outcome !== 'PERMIT' || final.dispatch.status !== 'succeeded') {
      throw new Error(`${request.idempotencyKey}: expected PERMIT and a dispatch, got ${decision.outcome} (${decision.reasons.join(', ')}), dispatch ${final.dispatch.status}`);
    }
    return timing(request, started, decided, done);
  };
}

export function bareSubmitter(client: Client, taskQueue: string): SubmitAction {
  return async (request) => {
    const started = performance.now();
    // The same start options ActionGateClient.submit uses.
    const startOperation = new WithStartWorkflowOperation<typeof bareWorkflow>(BARE_WORKFLOW_TYPE, {
      workflowId: request.idempotencyKey,
      taskQueue,
      args: [{ request }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowExecutionTimeout: WORKFLOW_EXECUTION_TIMEOUT,
      staticSummary: describeAction(request),
    });
    const accepted = await client.workflow.executeUpdateWithStart(acceptActionUpdate, {
      args: [request],
      startWorkflowOperation: startOperation,
    });
    const decided = performance.now();
    const handle = await startOperation.workflowHandle();
    await handle.result();
    const done = performance.now();
    if (!accepted.accepted) throw new Error(`${request.idempotencyKey}: bare update did not accept`);
    return timing(request, started, decided, done);
  };
}

function timing(request: ActionRequest, started: number, decided: number, done: number): ActionTiming {
  return {
    workflowId: request.idempotencyKey,
    submittedAt: performance.timeOrigin + started,
    decisionMs: decided - started,
    doneMs: done - started,
  };
}
