import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ActionRequest } from '../src/request/action-request.js';
import { digestJson, type Digest } from '../src/request/digest.js';
import { ConnectorError, type ConnectorRegistry } from '../src/connectors/connector.js';

export interface DispatchInput {
  request: ActionRequest;
  requestHash: Digest;
  /** The policy set the action was pinned to: its connectors perform the dispatch. */
  policyDigest: Digest | null;
}

export interface DispatchOutput {
  /** sha256 over the canonical JSON of what the connector returned (the content itself is not kept). */
  resultHash: Digest;
}

/**
 * Performs the side effect through the surface's connector, passing the idempotency key along.
 * Passing faults are thrown as retryable; refusals as non-retryable failures carrying the code.
 */
export async function dispatch(deps: { connectors: ConnectorRegistry }, input: DispatchInput): Promise<DispatchOutput> {
  const ctx = Context.current();
  try {
    const registry = input.policyDigest === null ? deps.connectors : await deps.connectors.forPolicy(input.policyDigest);
    if (!registry) {
      throw new ConnectorError('NO_CONNECTOR', `the connectors of policy set ${input.policyDigest} cannot be loaded`, { policyDigest: input.policyDigest });
    }
    const connector = registry.get(input.request.surface);
    const result = await connector.handler({
      idempotencyKey: input.request.idempotencyKey,
      requestHash: input.requestHash,
      request: input.request,
      attempt: ctx.info.attempt,
      signal: ctx.cancellationSignal,
    });
    return { resultHash: digestJson(result ?? null) };
  } catch (err) {
    if (err instanceof ConnectorError) {
      throw ApplicationFailure.create({
        type: err.code,
        message: err.message,
        nonRetryable: !err.retryable,
        details: err.details === undefined ? [] : [err.details],
      });
    }
    throw err;
  }
}
