// The bench's baseline dispatch: the connector call alone, as bare Temporal would make it. Bench
// workers only; it has none of the governed dispatch's checks, so it is never on a real worker.
import { Context } from '@temporalio/activity';
import type { ConnectorRegistry } from '../src/connectors/connector.js';
import { digestJson } from '../src/request/digest.js';
import type { ActionRequest } from '../src/request/action-request.js';
import { requestHash } from '../src/request/request-hash.js';

export function createBareActivities(connectors: ConnectorRegistry) {
  return {
    async bareDispatch(input: { request: ActionRequest }): Promise<{ resultHash: string }> {
      const ctx = Context.current();
      const result = await connectors.get(input.request.surface).handler({
        idempotencyKey: input.request.idempotencyKey,
        // The connector receives the request hash as part of its input; computing it is not gating.
        requestHash: requestHash(input.request),
        request: input.request,
        attempt: ctx.info.attempt,
        signal: ctx.cancellationSignal,
      });
      return { resultHash: digestJson(result ?? null) };
    },
  };
}

export type BareActivities = ReturnType<typeof createBareActivities>;
