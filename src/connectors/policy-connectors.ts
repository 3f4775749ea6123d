import type { CompiledPolicySet } from '../policy/policy-set.js';
import type { Digest } from '../request/digest.js';
import { ConnectorError, ConnectorRegistry, type Connector } from './connector.js';
import type { SecretSources } from './connector-secrets.js';
import { connectorsFromRegistry } from './connectors-from-registry.js';

/**
 * Connectors that follow the policy bundles: each dispatch resolves its surface's connector from
 * a bundle's surfaces.json, so an activation that moves a surface to another system takes
 * effect without a restart. Registries are built once per bundle digest (bundles never change).
 *
 * `get(surface)` (what the dispatch activity calls today) uses the latest active bundle that
 * verified. `forPolicy(digest)` uses the bundle an action was pinned to, the one that permitted
 * it; a dispatch that knows its digest should use that.
 *
 * @example
 * const connectors = new PolicyConnectors({ current: () => source.lastVerifiedActive(), pinned: (d) => source.pinned(d) });
 * await createActionGateWorker({ policies: source, connectors, ... });
 */
export class PolicyConnectors extends ConnectorRegistry {
  private readonly byDigest = new Map<Digest, ConnectorRegistry>();

  constructor(
    private readonly sets: {
      current: () => CompiledPolicySet | undefined;
      pinned: (digest: Digest) => Promise<CompiledPolicySet | undefined>;
    },
    private readonly secrets: SecretSources = {},
  ) {
    super();
  }

  /**
   * Builds the connectors of a set now, resolving the secrets its surfaces.json names. Give it to
   * the policy source as its `accept` check, so a bundle whose secrets are missing is rejected
   * when it is loaded (like a bundle that does not verify) instead of failing its dispatches.
   *
   * @throws ConnectorError `CONNECTOR_SECRET_UNAVAILABLE` naming the surface, header and variable or file.
   */
  prepare(set: CompiledPolicySet): void {
    this.registryOf(set);
  }

  override register(connector: Connector): void {
    throw new ConnectorError('NO_CONNECTOR', `connectors come from the policy bundle's surfaces.json; cannot register one for ${connector.surface}`);
  }

  override get(surface: string): Connector {
    const set = this.sets.current();
    if (!set) throw new ConnectorError('NO_CONNECTOR', `no verified policy bundle is active, so surface ${surface} has no connector`, { surface });
    return this.registryOf(set).get(surface);
  }

  override surfaces(): string[] {
    const set = this.sets.current();
    return set ? this.registryOf(set).surfaces() : [];
  }

  /** The connectors of the bundle with this digest, or undefined if it cannot be loaded. */
  override async forPolicy(digest: Digest): Promise<ConnectorRegistry | undefined> {
    const set = await this.sets.pinned(digest);
    return set ? this.registryOf(set) : undefined;
  }

  private registryOf(set: CompiledPolicySet): ConnectorRegistry {
    let registry = this.byDigest.get(set.digest);
    if (!registry) {
      registry = connectorsFromRegistry(set.registry, this.secrets);
      this.byDigest.set(set.digest, registry);
    }
    return registry;
  }
}
