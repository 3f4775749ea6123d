import { readFileSync } from 'node:fs';
import type { HeaderValue } from '../policy/surface-registry.js';
import { ConnectorError } from './connector.js';

/** Where secrets are read from; tests pass their own. */
export interface SecretSources {
  /** Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default: fs.readFileSync. Only the thrown error's `code` is used. */
  readFile?: (path: string) => Buffer | string;
}

export interface ResolvedHeaders {
  /** Header name to the value to send. */
  headers: Record<string, string>;
  /** The secret values alone (without prefix), for the connector to keep out of its error messages. */
  secrets: string[];
}

/** The largest header value a secret may resolve to (most servers refuse headers over 8 KiB). */
const MAX_SECRET_BYTES = 8_192;

/**
 * Resolves a surface's configured headers to the values to send: literals as they are, `{ env }`
 * from the environment, `{ file }` from the file's content (one trailing newline removed), each
 * after its `prefix`. Runs when a policy set is loaded, so a missing secret shows up then.
 *
 * Errors name the surface, the header and the variable or file, never a value (not even part of
 * one), so they are safe to log, store in a receipt or put into workflow history.
 *
 * @throws ConnectorError `CONNECTOR_SECRET_UNAVAILABLE`: a variable unset or empty, a file
 *   unreadable or empty, or a value that cannot be sent as a header (a line break, say).
 * @example resolveHeaders('payments', { Authorization: { env: 'PAYMENTS_API_TOKEN', prefix: 'Bearer ' } })
 */
export function resolveHeaders(
  surface: string,
  headers: Readonly<Record<string, HeaderValue>> | undefined,
  sources: SecretSources = {},
  /** Who the headers belong to, in messages; the MCP gateway names its upstreams (`upstream ledger`). */
  owner = `surface ${surface}`,
): ResolvedHeaders {
  const env = sources.env ?? process.env;
  const readFile = sources.readFile ?? readFileSync;
  const resolved: Record<string, string> = {};
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value === 'string') {
      resolved[name] = value;
      continue;
    }
    const where = 'env' in value ? `environment variable ${value.env}` : `file ${value.file}`;
    const fail = (problem: string, extra: Record<string, unknown> = {}): never => {
      throw new ConnectorError('CONNECTOR_SECRET_UNAVAILABLE', `${owner}: header ${name}: ${where} ${problem}`, {
        surface,
        header: name,
        ...('env' in value ? { env: value.env } : { file: value.file }),
        ...extra,
      });
    };
    let secret: string;
    if ('env' in value) {
      const got = env[value.env];
      if (got === undefined) return fail('is not set');
      secret = got;
    } else {
      let content: Buffer | string;
      try {
        content = readFile(value.file);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'ERROR';
        return fail(`cannot be read (${code})`, { errno: code });
      }
      secret = (typeof content === 'string' ? content : content.toString('utf8')).replace(/\r?\n$/, '');
      // Connectors send tokens, never private keys: a bundle naming the worker's receipt key (or a
      // TLS key) as a header file would otherwise send it to the URL the bundle also chose.
      if (/PRIVATE KEY|"privateKey"/.test(secret)) fail('holds a private key; a connector header is never a private key');
    }
    if (secret === '') fail('is empty');
    if (Buffer.byteLength(secret) > MAX_SECRET_BYTES) fail(`is longer than ${MAX_SECRET_BYTES} bytes`);
    // What fetch would refuse, with an error that quotes the value: check first, name only where it came from.
    if (!/^[\x21-\x7E](?:[\x20-\x7E\t]*[\x21-\x7E])?$/.test(secret)) {
      fail('holds characters a header value cannot (a line break, a control or non-ASCII character, or leading or trailing blanks)');
    }
    resolved[name] = `${value.prefix ?? ''}${secret}`;
    secrets.push(secret);
  }
  return { headers: resolved, secrets };
}
