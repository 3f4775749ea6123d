// How ActionGate connects to Temporal: read the way Temporal's own tools read it (the `temporal`
// CLI and the SDKs' environment configuration), so one configuration serves both.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import tls from 'node:tls';
import type { ConnectionOptions } from '@temporalio/client';
import { loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

export type TLSConfig = Exclude<NonNullable<ConnectionOptions['tls']>, boolean>;

/** A PEM source: a file, or the PEM itself, with what set it (for messages). */
export type PemSource = { path: string; what: string } | { data: string | Uint8Array; what: string };

export interface TemporalTlsSettings {
  /** Root CA the server certificate must chain to; the system roots when absent. */
  serverCa?: PemSource;
  /** Client certificate and key (mTLS); both or neither. */
  clientCert?: PemSource;
  clientKey?: PemSource;
  /** Name the server certificate is checked against (and sent as SNI) instead of the address's host. */
  serverName?: string;
}

/**
 * Everything needed to connect to Temporal, from TEMPORAL_* environment variables over the TOML
 * profile (TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml; profile TEMPORAL_PROFILE,
 * else `default`). Certificate files are read when connecting, not here.
 */
export interface TemporalConnectionSettings {
  address: string;
  /** True when the address was configured (environment or profile), not the default. */
  addressSet: boolean;
  namespace: string;
  /** Undefined: plaintext. */
  tls?: TemporalTlsSettings;
  /** Sent as `authorization: Bearer <key>` on every call; turns TLS on unless TLS is disabled explicitly. */
  apiKey?: string;
  /** Extra gRPC metadata (TEMPORAL_GRPC_META_*, profile grpc_meta). */
  metadata?: Record<string, string>;
  /** The TOML file and profile read, when there was one: for messages. */
  profile?: { file: string; name: string };
  /** A configuration that cannot be used (unreadable TOML, unknown profile, ...): connecting reports it. */
  problem?: string;
}

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';
const DEFAULT_NAMESPACE = 'default';

/**
 * Variables that are not Temporal's names but that people set by analogy (and that older guides
 * use): read as the standard ones when those are not set.
 */
const ALIASES: Record<string, string> = {
  TEMPORAL_TLS_CA_PATH: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  TEMPORAL_TLS_CA_DATA: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
};

/**
 * Reads the Temporal connection settings from `env` (and the TOML file it points to). Never throws:
 * a configuration that cannot be used is returned with `problem` set, so that commands that do not
 * talk to Temporal are not stopped by it.
 */
export function readTemporalSettings(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): TemporalConnectionSettings {
  const vars = temporalEnv(env);
  const fallback: TemporalConnectionSettings = {
    address: vars.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS,
    addressSet: vars.TEMPORAL_ADDRESS !== undefined,
    namespace: vars.TEMPORAL_NAMESPACE ?? DEFAULT_NAMESPACE,
  };
  const configFile = configFileOf(vars, cwd);
  if (vars.TEMPORAL_CONFIG_FILE !== undefined && !existsSync(resolve(cwd, vars.TEMPORAL_CONFIG_FILE))) {
    return { ...fallback, problem: `TEMPORAL_CONFIG_FILE=${vars.TEMPORAL_CONFIG_FILE}: no such file` };
  }
  if (truthy(vars.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION)) {
    return {
      ...fallback,
      problem:
        'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION is not supported by the Temporal TypeScript SDK; ' +
        'set TEMPORAL_TLS_SERVER_NAME to a name in the server certificate instead',
    };
  }
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({
      overrideEnvVars: vars,
      ...(vars.TEMPORAL_CONFIG_FILE !== undefined ? { configSource: { path: resolve(cwd, vars.TEMPORAL_CONFIG_FILE) } } : {}),
    });
  } catch (err) {
    const where = configFile ? ` (${configFile}${vars.TEMPORAL_PROFILE ? `, profile ${vars.TEMPORAL_PROFILE}` : ''})` : '';
    return { ...fallback, problem: `cannot read the Temporal client configuration${where}: ${(err as Error).message.split('\n')[0]}` };
  }

  const settings: TemporalConnectionSettings = {
    address: nonEmpty(profile.address) ?? DEFAULT_TEMPORAL_ADDRESS,
    addressSet: nonEmpty(profile.address) !== undefined,
    namespace: nonEmpty(profile.namespace) ?? DEFAULT_NAMESPACE,
  };
  if (configFile && existsSync(configFile)) settings.profile = { file: configFile, name: vars.TEMPORAL_PROFILE ?? 'default' };
  const apiKey = nonEmpty(profile.apiKey);
  if (apiKey !== undefined) settings.apiKey = apiKey;
  if (profile.grpcMeta && Object.keys(profile.grpcMeta).length > 0) settings.metadata = profile.grpcMeta;

  // TLS as the SDKs decide it: on when any TLS setting is there or an API key is set, unless disabled.
  const tls = profile.tls;
  if (tls?.disabled === true) return settings;
  if (tls === undefined && apiKey === undefined) return settings;
  settings.tls = {};
  if (tls?.serverCACert) settings.tls.serverCa = pemSource(tls.serverCACert, 'server CA certificate (TEMPORAL_TLS_SERVER_CA_CERT_PATH/_DATA, tls.server_ca_cert_path/_data)', cwd);
  if (tls?.clientCert) settings.tls.clientCert = pemSource(tls.clientCert, 'client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH/_DATA, tls.client_cert_path/_data)', cwd);
  if (tls?.clientKey) settings.tls.clientKey = pemSource(tls.clientKey, 'client key (TEMPORAL_TLS_CLIENT_KEY_PATH/_DATA, tls.client_key_path/_data)', cwd);
  if (nonEmpty(tls?.serverName) !== undefined) settings.tls.serverName = nonEmpty(tls?.serverName);
  if ((settings.tls.clientCert === undefined) !== (settings.tls.clientKey === undefined)) {
    settings.problem = settings.tls.clientCert
      ? 'a TLS client certificate is set but no client key: set TEMPORAL_TLS_CLIENT_KEY_PATH (or tls.client_key_path) too'
      : 'a TLS client key is set but no client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH (or tls.client_cert_path) too';
  }
  return settings;
}

/** A TemporalConfigError: the configuration cannot be used as it is (a file that cannot be read, ...). */
export class TemporalConfigError extends Error {
  override name = 'TemporalConfigError';
}

/**
 * The options for `Connection.connect` (client) and `NativeConnection.connect` (worker): the same
 * address, TLS (certificate files read now), API key and metadata for both.
 *
 * @throws TemporalConfigError when the settings have a problem or a certificate cannot be read.
 */
export async function temporalConnectionOptions(settings: TemporalConnectionSettings): Promise<{
  client: ConnectionOptions;
  worker: NativeConnectionOptions;
}> {
  if (settings.problem) throw new TemporalConfigError(settings.problem);
  const tls = settings.tls === undefined ? undefined : await loadTls(settings.tls);
  const common = {
    address: settings.address,
    // Explicit false: the SDKs turn TLS on for an API key unless told otherwise (TEMPORAL_TLS=false).
    tls: tls ?? false,
    ...(settings.apiKey !== undefined ? { apiKey: settings.apiKey } : {}),
    ...(settings.metadata !== undefined ? { metadata: { ...settings.metadata } } : {}),
  };
  return { client: { ...common }, worker: { ...common } };
}

async function loadTls(settings: TemporalTlsSettings): Promise<TLSConfig> {
  const [ca, crt, key] = await Promise.all([readPem(settings.serverCa), readPem(settings.clientCert), readPem(settings.clientKey)]);
  return {
    ...(settings.serverName !== undefined ? { serverNameOverride: settings.serverName } : {}),
    ...(ca !== undefined ? { serverRootCACertificate: ca } : {}),
    ...(crt !== undefined && key !== undefined ? { clientCertPair: { crt, key } } : {}),
  };
}

async function readPem(source: PemSource | undefined): Promise<Buffer | undefined> {
  if (source === undefined) return undefined;
  let pem: Buffer;
  if ('path' in source) {
    try {
      pem = await readFile(source.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
      throw new TemporalConfigError(`cannot read the TLS ${source.what} ${source.path}: ${reason}`);
    }
  } else {
    pem = Buffer.from(source.data);
  }
  if (!pem.toString('utf8').includes('-----BEGIN ')) {
    const where = 'path' in source ? ` ${source.path}` : '';
    throw new TemporalConfigError(`the TLS ${source.what}${where} is not PEM (no -----BEGIN line)`);
  }
  return pem;
}

/** One line on how ActionGate connects: `127.0.0.1:7233 (TLS with client certificate, API key)`. */
export function describeTemporalConnection(settings: TemporalConnectionSettings): string {
  const parts: string[] = [];
  if (settings.tls) parts.push(settings.tls.clientCert ? 'mTLS' : 'TLS');
  else parts.push('plaintext');
  if (settings.apiKey !== undefined) parts.push('API key');
  if (settings.profile) parts.push(`profile ${settings.profile.name} of ${settings.profile.file}`);
  return `${settings.address} (${parts.join(', ')})`;
}

/**
 * Why a connection attempt failed, in words that say what to check. `probe` is what a plain TLS
 * handshake with the same settings reported ({@link probeTls}): the SDK's own errors often do not
 * say (grpc-js only times out), and Temporal core words them differently.
 */
export function explainConnectFailure(err: unknown, settings: TemporalConnectionSettings, probe?: string): { reason: string; hint: string } {
  const text = collectMessages(err);
  const first = text[0]?.split('\n')[0] ?? String(err);
  const all = [probe ?? '', ...text].join(' | ');
  const detail = probe ?? first;
  if (settings.tls) {
    if (/certificate ?required|alert number 116/i.test(all)) {
      return {
        reason: `TLS handshake failed: the server requires a client certificate (mTLS) (${detail})`,
        hint: 'Set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH to a certificate the server trusts.',
      };
    }
    if (/unknown ca|bad certificate|certificate unknown|certificate revoked|certificate expired|alert number 4[2-8]/i.test(all)) {
      return {
        reason: `TLS handshake failed: the server rejected the client certificate (${detail})`,
        hint: 'Check TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH: the server must trust the CA that issued them.',
      };
    }
    if (probe === CLOSED_AFTER_HANDSHAKE) {
      return settings.tls.clientCert
        ? {
            reason: `TLS handshake failed: ${probe}, which is how a server refuses a client certificate it does not trust`,
            hint: 'Check TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH: the server must trust the CA that issued them.',
          }
        : {
            reason: `TLS handshake failed: ${probe}, which is how a server that requires a client certificate (mTLS) refuses a connection without one`,
            hint: 'Set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH to a certificate the server trusts.',
          };
    }
    if (/altnames|NotValidForName|does not match|hostname/i.test(all)) {
      return {
        reason: `TLS handshake failed: the server certificate is not valid for this name (${detail})`,
        hint: 'Set TEMPORAL_TLS_SERVER_NAME to a name in the server certificate, or connect by that name.',
      };
    }
    if (/certificate|self[- ]signed|UnknownIssuer|unable to (get|verify)|issuer|x509|CERT_/i.test(all)) {
      return {
        reason: `TLS handshake failed: the server certificate is not trusted (${detail})`,
        hint: 'Set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that issued the server certificate.',
      };
    }
    if (/tls|ssl|handshake|wrong version number|packet length too long|InvalidContentType|InvalidMessage|corrupt message/i.test(all)) {
      return {
        reason: `TLS connection failed (${detail})`,
        hint: 'Check that the server speaks TLS at this address (TEMPORAL_TLS=false for a plaintext server).',
      };
    }
  }
  return {
    reason: first,
    hint: settings.addressSet
      ? 'Check TEMPORAL_ADDRESS (or the profile address) and that the server is running; for a server that requires TLS, set TEMPORAL_TLS=true (and TEMPORAL_TLS_SERVER_CA_CERT_PATH for a private CA).'
      : 'Start one (`npm start` runs a local one, or `temporal server start-dev`) or set TEMPORAL_ADDRESS.',
  };
}

/**
 * A TLS handshake with the connection's settings, then an HTTP/2 preface, for diagnosis: resolves
 * with what went wrong (the TLS error, with alerts the server sent), or undefined when the server
 * accepted it. Never rejects; gives up after `timeoutMs`.
 */
export function probeTls(address: string, tlsConfig: TLSConfig, timeoutMs = 3_000): Promise<string | undefined> {
  const { host, port } = splitHostPort(address);
  const servername = tlsConfig.serverNameOverride ?? (isIP(host) ? undefined : host);
  return new Promise((resolvePromise) => {
    let settled = false;
    const done = (outcome: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolvePromise(outcome);
    };
    const socket = tls.connect({
      host,
      port,
      ALPNProtocols: ['h2'],
      ...(servername !== undefined ? { servername } : {}),
      ...(tlsConfig.serverRootCACertificate ? { ca: Buffer.from(tlsConfig.serverRootCACertificate) } : {}),
      ...(tlsConfig.clientCertPair ? { cert: Buffer.from(tlsConfig.clientCertPair.crt), key: Buffer.from(tlsConfig.clientCertPair.key) } : {}),
      // The name to check is the override when there is one (Temporal's tools do the same).
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity(servername ?? host, cert),
    });
    const timer = setTimeout(() => done(undefined), timeoutMs);
    // OpenSSL's messages carry file names and codes; its `reason` is the readable part.
    socket.on('error', (err: NodeJS.ErrnoException & { reason?: string }) => done(`${err.reason ?? err.message.split('\n')[0]}${err.code ? ` [${err.code}]` : ''}`));
    socket.on('secureConnect', () => {
      // TLS 1.3: the server judges the client certificate after this; its answer to the preface tells.
      socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
    });
    socket.on('data', () => done(undefined));
    socket.on('end', () => done(CLOSED_AFTER_HANDSHAKE));
    socket.on('close', () => done(CLOSED_AFTER_HANDSHAKE));
  });
}

const CLOSED_AFTER_HANDSHAKE = 'the server closed the connection right after the TLS handshake';

function splitHostPort(address: string): { host: string; port: number } {
  const match = /^\[(.+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
  if (match) return { host: match[1] as string, port: Number(match[2]) };
  return { host: address.replace(/^\[|\]$/g, ''), port: 7233 };
}

function collectMessages(err: unknown): string[] {
  const out: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof Error) {
      out.push(e.message);
      e = (e as Error & { cause?: unknown }).cause;
    } else {
      out.push(String(e));
      break;
    }
  }
  return out;
}

/** Every variable read (by name, so that what is read can be listed): Temporal's, then where the default TOML file is. */
export const TEMPORAL_VARIABLES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_CA_PATH',
  'TEMPORAL_TLS_CA_DATA',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
  'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_PROFILE',
] as const;
const CONFIG_DIR_VARIABLES = ['XDG_CONFIG_HOME', 'HOME', 'APPDATA'] as const;

/** The variables that matter here, blank ones dropped (as unset), aliases applied. */
function temporalEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const name of [...TEMPORAL_VARIABLES, ...CONFIG_DIR_VARIABLES]) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') vars[name] = value;
  }
  // An empty TEMPORAL_GRPC_META_X removes X from the profile: kept as it is.
  for (const name of Object.keys(env)) {
    const value = env[name];
    if (name.startsWith('TEMPORAL_GRPC_META_') && value !== undefined) vars[name] = value;
  }
  for (const [alias, standard] of Object.entries(ALIASES)) {
    if (vars[alias] !== undefined && vars[standard] === undefined) vars[standard] = vars[alias];
  }
  return vars;
}

/** The TOML file the SDK reads: TEMPORAL_CONFIG_FILE, else the user config dir's temporalio/temporal.toml. */
function configFileOf(vars: Record<string, string>, cwd: string): string | undefined {
  if (vars.TEMPORAL_CONFIG_FILE !== undefined) return resolve(cwd, vars.TEMPORAL_CONFIG_FILE);
  if (process.platform === 'win32') return vars.APPDATA ? resolve(vars.APPDATA, 'temporalio', 'temporal.toml') : undefined;
  if (process.platform === 'darwin') return vars.HOME ? resolve(vars.HOME, 'Library', 'Application Support', 'temporalio', 'temporal.toml') : undefined;
  const base = vars.XDG_CONFIG_HOME ?? (vars.HOME ? resolve(vars.HOME, '.config') : undefined);
  return base ? resolve(base, 'temporalio', 'temporal.toml') : undefined;
}

function pemSource(source: ConfigDataSource, what: string, cwd: string): PemSource {
  return 'path' in source ? { path: resolve(cwd, source.path), what } : { data: source.data, what };
}

function truthy(value: string | undefined): boolean {
  return value === '1' || value === 'true';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
