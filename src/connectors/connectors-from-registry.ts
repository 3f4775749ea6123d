import type { SurfaceRegistry } from '../policy/surface-registry.js';
import { ConnectorRegistry, defineConnector } from './connector.js';
import { httpConnector } from './http-connector.js';

/** The connectors a surface registry asks for. One place to add a new connector kind. */
export function connectorsFromRegistry(registry: SurfaceRegistry): ConnectorRegistry {
  const connectors = new ConnectorRegistry();
  for (const [surface, config] of Object.entries(registry.surfaces)) {
    switch (config.connector.kind) {
      case 'http':
        connectors.register(
          defineConnector(surface, httpConnector({ url: config.connector.url, timeoutMs: config.connector.timeoutMs })),
        );
        break;
    }
  }
  return connectors;
}
