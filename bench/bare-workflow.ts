// Bare Temporal: a dispatch activity with the governed workflow's options and the same connector,
// with no gate and no receipts (the governed dispatch refuses without a recorded decision).
import { allHandlersFinished, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { BareActivities } from './bare-activities.js';
import { DISPATCH_ACTIVITY_OPTIONS } from '../workflows/dispatch-options.js';
import { acceptActionUpdate, type BareWorkflowInput } from './bare-contract.js';

// The governed workflow's own dispatch options: the comparison is only fair with equal options.
const external = proxyActivities<BareActivities>(DISPATCH_ACTIVITY_OPTIONS);

/** Accepts the update at once, dispatches, returns what dispatch returned. */
export async function bareWorkflow(input: BareWorkflowInput): Promise<{ resultHash: string }> {
  setHandler(acceptActionUpdate, () => ({ accepted: true }) as const);
  const out = await external.bareDispatch({ request: input.request });
  await condition(allHandlersFinished);
  return out;
}
