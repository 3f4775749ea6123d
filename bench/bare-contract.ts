// The bare variant's wire contract: an update that answers at once, so the agent talks to a bare
// workflow exactly as to a governed one (Update-With-Start, then the result) and only the gate differs.
import { defineUpdate } from '@temporalio/workflow';
import type { ActionRequest } from '../src/request/action-request.js';

export const BARE_WORKFLOW_TYPE = 'bareWorkflow';

export interface BareWorkflowInput {
  request: ActionRequest;
}

export interface BareAccepted {
  accepted: true;
}

/** Update-With-Start for the bare variant: returns `{ accepted: true }` without waiting for anything. */
export const acceptActionUpdate = defineUpdate<BareAccepted, [ActionRequest]>('bench-accept-action');
