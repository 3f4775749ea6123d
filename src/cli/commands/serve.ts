import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import { environmentHelp, type ActionGateConfig } from '../config.js';
import { parseCommandArgs } from '../parse-command-args.js';

// The server, Temporal client and pg are loaded when the server starts: `serve --help` loads none.

export const SERVE_HELP = `Usage: actiongate serve [--config FILE] [--port N] [--host HOST]
       actiongate serve --hash-api-key < KEYFILE

Serves the HTTP API for agents (docs/API.md) until SIGINT or SIGTERM:
  POST /v1/actions          submit an ActionRequest (Idempotency-Key header = its key); the answer
                            comes once the decision is on record: 200 when it ends the action,
                            202 + Location while dispatch or operators are pending;
                            Prefer: wait=N waits up to N s for the result
  GET  /v1/actions/{key}    decision, receipts and dispatch status
  GET  /v1/receipts/{id}    one receipt with its signed envelope
  GET  /v1/keys             public keys for verifiers (no credentials needed)
  GET  /openapi.json        the OpenAPI 3.1 document; GET /healthz, GET /readyz
Callers authenticate with a bearer JWT, an API key or a client certificate, as the configuration
file says; a request whose actor is not the authenticated principal is refused (403). Requests
without the agent's own signature are attested with the gateway key, when one is configured.

Options:
  --config FILE     the API configuration (JSON; docs/API.md): default ACTIONGATE_API_CONFIG
  --port N          port to listen on (default ACTIONGATE_API_PORT, else 8080)
  --host HOST       interface to listen on (default 127.0.0.1; 0.0.0.0 for all)
  --hash-api-key    print the sha256 of the API key read from standard input (for "apiKeys")

${environmentHelp(['temporal', 'database', 'ACTIONGATE_TASK_QUEUE', 'ACTIONGATE_API_CONFIG', 'ACTIONGATE_API_PORT'])}`;

/** `actiongate serve`. */
export async function serveCommand(config: ActionGateConfig, args: string[], io: CommandIo & { stdin: NodeJS.ReadableStream }): Promise<number> {
  const { values } = parseCommandArgs('serve', args, {
    config: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'hash-api-key': { type: 'boolean' },
  });
  if (values.help) {
    io.out(SERVE_HELP);
    return 0;
  }
  if (values['hash-api-key']) {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Buffer));
    const key = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    if (key.length < 24) throw new CliError('USAGE', '--hash-api-key: the key on standard input must be at least 24 characters');
    // The same hash as the server's hashApiKey (src/server/authenticate.ts), without loading the server.
    io.out(createHash('sha256').update(key, 'utf8').digest('hex'));
    return 0;
  }
  const file = (values.config as string | undefined) ?? config.apiConfig;
  if (!file) throw new CliError('USAGE', 'serve needs --config FILE (or ACTIONGATE_API_CONFIG): how callers authenticate');
  const portText = (values.port as string | undefined) ?? config.apiPort ?? '8080';
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65_535) throw new CliError('USAGE', `--port ${JSON.stringify(portText)}: a port number, 0 to 65535`);
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  const { ApiConfigError, loadApiConfig } = await import('../../server/api-config.js');
  const loaded = await loadApiConfig(file).catch((error: unknown) => {
    // A bad configuration is the operator's input: exit 2, naming the field.
    throw error instanceof ApiConfigError ? new CliError('INVALID_INPUT', error.message) : error;
  });
  if (!config.databaseUrl) throw new CliError('USAGE', 'serve needs DATABASE_URL: it reads receipts (never writes)');

  const { connectClient, connectDatabase } = await import('../connect.js');
  const { createApiServer } = await import('../../server/http-api.js');
  const { client, connection } = await connectClient(config);
  const pool = await connectDatabase(config);
  const app = await createApiServer({ loaded, client, taskQueue: config.taskQueue, pool, log: (line) => io.log(line) });
  try {
    await app.listen({ port, host });
    const address = app.server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    io.log(`serving the HTTP API on ${loaded.tls ? 'https' : 'http'}://${host}:${bound} (OpenAPI at /openapi.json; task queue ${config.taskQueue})`);
    const signal = await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
    io.log(`stopping (${String(signal[0] ?? 'signal')}): finishing requests in flight`);
  } finally {
    await app.close();
    await pool.end();
    await connection.close();
  }
  return 0;
}
