import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: the OS picks it, we close it again.
 * Another process may still take it before the caller binds it, so callers that can retry should.
 *
 * @example
 * const port = await freePort();
 * spawn('temporal', ['server', 'start-dev', '--port', String(port)]);
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((err) => (err ? reject(err) : port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/**
 * Whether nothing listens on 127.0.0.1:`port` right now. Checked before starting a server on a
 * port the caller chose: otherwise a readiness probe could be answered by whoever holds it.
 *
 * @example
 * if (!(await isPortFree(7233))) throw new Error('7233 is taken');
 */
export async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
