import { createServer, type Server } from 'node:http';

/** One readiness check: true when ready; false or a throw (or no answer within the deadline) when not. */
export type ReadinessCheck = () => Promise<boolean>;

/** How long one readiness check may take before it counts as failed. */
export const CHECK_DEADLINE_MS = 1_000;

/**
 * A small HTTP server for orchestrators: `GET /healthz` answers 200 while the process runs;
 * `GET /readyz` runs every check (each within {@link CHECK_DEADLINE_MS}) and answers 200 when all
 * pass, 503 otherwise, with `{ ready, checks: { name: true|false } }`. Anything else is 404.
 * No request body is read; nothing secret is in the answers.
 *
 * @example const server = await startHealthServer({ port: 9464, checks: { postgres: () => pool.query('SELECT 1').then(() => true) } });
 */
export async function startHealthServer(options: {
  port: number;
  host?: string;
  checks: Record<string, ReadinessCheck>;
  /** Serves GET /metrics (Prometheus text format) when given. */
  metrics?: () => Promise<string>;
}): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/metrics' && options.metrics) {
      options.metrics().then(
        (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(err as Error).message}\n`),
      );
      return;
    }
    if (path === '/readyz') {
      void readiness(options.checks).then((checks) => {
        const ready = Object.values(checks).every(Boolean);
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify({ ready, checks })}\n`);
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

async function readiness(checks: Record<string, ReadinessCheck>): Promise<Record<string, boolean>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), CHECK_DEADLINE_MS);
      });
      try {
        return [name, await Promise.race([check().catch(() => false), deadline])] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}
