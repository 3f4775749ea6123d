// Bare Temporal: the same dispatch activity as the governed workflow (same options), no gate, no receipts.
import { allHandlersFinished, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities, DispatchOutput } from '../activities/index.js';
import { requestHash } from '../src/request/request-hash.js';
import { DISPATCH_ACTIVITY_OPTIONS } from '../workflows/dispatch-options.js';
import { acceptActionUpdate, type BareWorkflowInput } from './bare-contract.js';

// The governed workflow's own dispatch options: the comparison is only fair with equal options.
const external = proxyActivities<Activities>(DISPATCH_ACTIVITY_OPTIONS);

/** Accepts the update at once, dispatches, returns what dispatch returned. */
export async function bareWorkflow(input: BareWorkflowInput): Promise<DispatchOutput> {
  setHandler(acceptActionUpdate, () => ({ accepted: true }) as const);
  // The connector receives the request hash as part of its input; computing it is not gating.
  const out = await external.dispatch({ request: input.request, requestHash: requestHash(input.request), policyDigest: null });
  await condition(allHandlersFinished);
  return out;
}
