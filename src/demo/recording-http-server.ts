// A stand-in for the external systems ActionGate dispatches to (a payment API, say). It answers
// 200 by default and records every call with its Idempotency-Key, so the demo can show, and the
// tests can assert, that each action reached it exactly once.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCall {
  path: string;
  idempotencyKey: string | undefined;
  requestHash: string | undefined;
  body: unknown;
  /** Every request header, names in lower case (repeated ones joined with ", "). */
  headers: Record<string, string>;
}

/** What to answer a call: a status and body, after an optional delay; `reset` drops the connection instead of answering. */
export type Responder = (call: ReceivedCall, callNumberForKey: number) => { status: number; body?: unknown; delayMs?: number; reset?: boolean };

export interface RecordingHttpServer {
  url(path: string): string;
  readonly calls: ReceivedCall[];
  callsFor(idempotencyKey: string): ReceivedCall[];
  /** Replace how it answers (default: 200 with a running number). */
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

const acceptAll: Responder = (_call, n) => ({ status: 200, body: { accepted: true, n } });

/** @example const sink = await startRecordingHttpServer(); httpConnector({ url: sink.url('/payments') }) */
export async function startRecordingHttpServer(options: { port?: number } = {}): Promise<RecordingHttpServer> {
  const calls: ReceivedCall[] = [];
  let responder = acceptAll;
  const server = createServer(async (req, res) => {
    const call: ReceivedCall = {
      path: req.url ?? '/',
      idempotencyKey: header(req, 'idempotency-key'),
      requestHash: header(req, 'x-actiongate-request-hash'),
      body: await readBody(req),
      headers: allHeaders(req),
    };
    calls.push(call);
    const n = calls.filter((c) => c.idempotencyKey === call.idempotencyKey).length;
    const answer = responder(call, n);
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    if (answer.reset) {
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body ?? null));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path.startsWith('/') ? path : `/${path}`}`,
    calls,
    callsFor: (key) => calls.filter((c) => c.idempotencyKey === key),
    respondWith: (next) => {
      responder = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function allHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
