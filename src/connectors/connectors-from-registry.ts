import type { SurfaceRegistry } from '../policy/surface-registry.js';
import { ConnectorRegistry, defineConnector } from './connector.js';
import { resolveHeaders, type SecretSources } from './connector-secrets.js';
import { httpConnector } from './http-connector.js';
import { mcpConnector } from './mcp-connector.js';

/**
 * The connectors a surface registry asks for (`http`, `mcp`). One place to add a new connector
 * kind. Secrets the configuration refers to (header values from an environment variable or a
 * file) are resolved here, once: the registry config keeps the references, the connectors hold
 * the values.
 *
 * @throws ConnectorError `CONNECTOR_SECRET_UNAVAILABLE` naming the surface, header and variable or file.
 */
export function connectorsFromRegistry(registry: SurfaceRegistry, secrets: SecretSources = {}): ConnectorRegistry {
  const connectors = new ConnectorRegistry();
  for (const [surface, config] of Object.entries(registry.surfaces)) {
    switch (config.connector.kind) {
      case 'http': {
        const resolved = resolveHeaders(surface, config.connector.headers, secrets);
        connectors.register(
          defineConnector(
            surface,
            httpConnector({ url: config.connector.url, timeoutMs: config.connector.timeoutMs, headers: resolved.headers, secrets: resolved.secrets }),
          ),
        );
        break;
      }
      case 'mcp': {
        const { url, timeoutMs, headers, tools } = config.connector;
        const resolved = resolveHeaders(surface, headers, secrets);
        connectors.register(
          defineConnector(surface, mcpConnector({ url, timeoutMs, headers: resolved.headers, secrets: resolved.secrets, ...(tools ? { tools } : {}) })),
        );
        break;
      }
    }
  }
  return connectors;
}
