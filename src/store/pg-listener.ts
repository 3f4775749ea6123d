import pg from 'pg';

/**
 * Opens a dedicated, connected client for LISTEN (a pooled client cannot hold a LISTEN), as the
 * bundle policy source asks for one again after its connection drops.
 *
 * @example new BundleStorePolicySource({ ..., connectListener: pgListenerFactory(databaseUrl) })
 */
export function pgListenerFactory(connectionString: string, connectionTimeoutMillis = 5_000): () => Promise<pg.Client> {
  return async () => {
    const client = new pg.Client({ connectionString, connectionTimeoutMillis, keepAlive: true });
    // Never unhandled, even before the caller attaches its own listener (its 'end' listener is
    // what reconnects): an 'error' with no listener would take the process down.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return client;
  };
}
