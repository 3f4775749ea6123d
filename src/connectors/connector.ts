import { ActionGateError } from '../errors.js';
import type { ActionRequest } from '../request/action-request.js';
import type { Digest } from '../request/digest.js';

export type ConnectorErrorCode =
  /** The external system refused for good (e.g. HTTP 4xx): retrying cannot help. */
  | 'CONNECTOR_REJECTED'
  /** A passing fault (5xx, network, timeout): the dispatch is retried with backoff. */
  | 'CONNECTOR_UNAVAILABLE'
  /** No connector is registered for the surface. */
  | 'NO_CONNECTOR'
  /**
   * A secret a connector's configuration names (an environment variable or a file) cannot be
   * resolved. Found when the policy set is loaded: the worker does not start, or the bundle is refused.
   */
  | 'CONNECTOR_SECRET_UNAVAILABLE';

export class ConnectorError extends ActionGateError<ConnectorErrorCode> {
  get retryable(): boolean {
    return this.code === 'CONNECTOR_UNAVAILABLE';
  }
}

/** What a connector gets: the request, and the idempotency key it must pass on to the external system. */
export interface DispatchContext {
  idempotencyKey: string;
  requestHash: Digest;
  request: ActionRequest;
  /** 1 on the first try; the external system may see the same key several times, never two effects. */
  attempt: number;
  signal: AbortSignal;
}

/** Performs the side effect. Returns a JSON description of what the external system answered. */
export type ConnectorHandler = (ctx: DispatchContext) => Promise<unknown>;

export interface Connector {
  readonly surface: string;
  readonly handler: ConnectorHandler;
}

/**
 * Binds a handler to a surface.
 *
 * @example defineConnector('payments', httpConnector({ url: 'https://pay.internal/transfers' }))
 */
export function defineConnector(surface: string, handler: ConnectorHandler): Connector {
  return { surface, handler };
}

/** Which connector performs each surface's side effect. One connector per surface. */
export class ConnectorRegistry {
  private readonly bySurface = new Map<string, Connector>();

  constructor(connectors: Iterable<Connector> = []) {
    for (const connector of connectors) this.register(connector);
  }

  register(connector: Connector): void {
    if (this.bySurface.has(connector.surface)) {
      throw new ConnectorError('NO_CONNECTOR', `surface ${connector.surface} already has a connector`);
    }
    this.bySurface.set(connector.surface, connector);
  }

  get(surface: string): Connector {
    const connector = this.bySurface.get(surface);
    if (!connector) {
      throw new ConnectorError('NO_CONNECTOR', `no connector is registered for surface ${surface}`, { surface });
    }
    return connector;
  }

  surfaces(): string[] {
    return [...this.bySurface.keys()].sort();
  }

  /**
   * The connectors of the policy set an action was pinned to. A fixed registry serves every
   * policy set; registries that follow policy bundles answer with that bundle's connectors, or
   * undefined when it cannot be loaded.
   */
  async forPolicy(_digest: Digest): Promise<ConnectorRegistry | undefined> {
    return this;
  }
}
