import { resolve } from 'node:path';
import { readTemporalSettings, type TemporalConnectionSettings } from '../temporal/connection-config.js';

/** Everything the CLI reads from the environment, resolved once and passed down. */
export interface ActionGateConfig {
  temporalAddress: string;
  /** True when TEMPORAL_ADDRESS (or the Temporal profile's address) was set: `start` then uses that server instead of starting one. */
  temporalAddressSet: boolean;
  temporalNamespace: string;
  /**
   * TLS, API key and metadata for the server at `temporal.address`, read as Temporal's own tools read
   * them (TEMPORAL_* variables over the TOML profile). They apply only while `temporalAddress` is that
   * address: a config pointed at another server (the one `start` runs) connects without them.
   */
  temporal?: TemporalConnectionSettings;
  taskQueue: string;
  /** Undefined when DATABASE_URL is not set; commands that need it say so. */
  databaseUrl: string | undefined;
  policiesDir: string;
  /** Local state of `actiongate start` (Temporal SQLite file, Postgres data). */
  dataDir: string;
  /** Private key file `policy build` signs with when --key is not given. */
  bundleSigningKey?: string;
  /** Key set (JSON) of the public keys trusted to sign policy bundles. */
  bundleKeys?: string;
  /** Private key file workers sign receipts with (the signed, hash-chained log); unsigned without it. */
  receiptSigningKey?: string;
  /** The receipt log's name in its checkpoint notes (ACTIONGATE_LOG_ORIGIN); commands default it. */
  logOrigin?: string;
  /** Where the worker publishes each new checkpoint note (ACTIONGATE_CHECKPOINT_PUBLISH, as given: a file path or an http(s) URL); off when unset. */
  checkpointPublish?: string;
  /** The worker's HTTP port for /healthz and /readyz (ACTIONGATE_HTTP_PORT, as given); off when unset. */
  httpPort?: string;
  /** The worker's log level (ACTIONGATE_LOG_LEVEL, as given: trace, debug, info, warn, error or fatal; default info). */
  logLevel?: string;
  /** The worker's log format (ACTIONGATE_LOG_FORMAT, as given: json or pretty; default json). */
  logFormat?: string;
  /** `actiongate serve`: its configuration file (ACTIONGATE_API_CONFIG). */
  apiConfig?: string;
  /** `actiongate serve`: its port (ACTIONGATE_API_PORT, as given). */
  apiPort?: string;
  /** `actiongate mcp --api URL`: the bearer credential (JWT or API key) it calls the HTTP API with. */
  apiToken?: string;
  /** OpenTelemetry traces of the worker, from the standard OTEL_* variables; off by default. */
  tracing: TracingSettings;
}

/**
 * Traces on (OTLP/HTTP; the exporter reads OTEL_EXPORTER_OTLP_* itself), or off, with `ignored`
 * saying why when a variable asked for something else.
 */
export type TracingSettings = { enabled: true; serviceName: string } | { enabled: false; ignored?: string };

export const ENVIRONMENT_HELP = `Environment:
  TEMPORAL_ADDRESS               Temporal frontend (default localhost:7233)
  TEMPORAL_NAMESPACE             Temporal namespace (default default)
  TEMPORAL_API_KEY               API key, sent as \`authorization: Bearer\`; turns TLS on
  TEMPORAL_TLS                   true: TLS (also on when a TLS setting or an API key is set); false: plaintext
  TEMPORAL_TLS_SERVER_CA_CERT_PATH  the CA (PEM file) that issued the server certificate (default: system roots)
  TEMPORAL_TLS_SERVER_CA_CERT_DATA  the same, the PEM itself
  TEMPORAL_TLS_CA_PATH           alias of TEMPORAL_TLS_SERVER_CA_CERT_PATH (the \`temporal\` CLI does not read it)
  TEMPORAL_TLS_CA_DATA           alias of TEMPORAL_TLS_SERVER_CA_CERT_DATA
  TEMPORAL_TLS_CLIENT_CERT_PATH  client certificate (PEM file) for mTLS
  TEMPORAL_TLS_CLIENT_CERT_DATA  the same, the PEM itself
  TEMPORAL_TLS_CLIENT_KEY_PATH   its private key (PEM file)
  TEMPORAL_TLS_CLIENT_KEY_DATA   the same, the PEM itself
  TEMPORAL_TLS_SERVER_NAME       name the server certificate must carry (default: the address's host)
  TEMPORAL_TLS_DISABLE_HOST_VERIFICATION  refused: not supported by the Temporal TypeScript SDK
  TEMPORAL_GRPC_META_<NAME>      extra gRPC metadata
  TEMPORAL_CONFIG_FILE           Temporal client TOML file, as \`temporal\` reads it; variables win over it
  TEMPORAL_PROFILE               profile in that file (default default)
  XDG_CONFIG_HOME                with HOME (APPDATA on Windows): where the default TOML file is,
                                 <dir>/temporalio/temporal.toml (~/.config/temporalio/temporal.toml)
  HOME                           see XDG_CONFIG_HOME
  APPDATA                        see XDG_CONFIG_HOME
  DATABASE_URL                   Postgres connection string, e.g. postgres://user:pw@localhost:5432/actiongate
  ACTIONGATE_TASK_QUEUE          task queue of the governed-action workflow (default actiongate)
  ACTIONGATE_POLICIES            policy directory (default ./policies)
  ACTIONGATE_DATA_DIR            local state of \`actiongate start\` (default ./.actiongate)
  ACTIONGATE_BUNDLE_SIGNING_KEY  private key file \`policy build\` signs with when --key is not given
  ACTIONGATE_BUNDLE_KEYS         key set file (JSON) of the public keys trusted to sign policy bundles
  ACTIONGATE_RECEIPT_KEY         private key file the worker signs receipts with (signed, hash-chained log)
  ACTIONGATE_LOG_ORIGIN          the receipt log's name in its checkpoint notes (default actiongate/receipts)
  ACTIONGATE_CHECKPOINT_PUBLISH  file path or http(s) URL (PUT) the worker writes each new checkpoint note to (off when unset)
  ACTIONGATE_HTTP_PORT           port of the worker's /healthz and /readyz (off when unset)
  ACTIONGATE_LOG_LEVEL           the worker's log level: trace, debug, info, warn, error or fatal (default info)
  ACTIONGATE_LOG_FORMAT          the worker's log lines: json (one JSON object a line) or pretty (default json)
  ACTIONGATE_API_CONFIG          configuration file of \`actiongate serve\` (authentication, gateway key, limits)
  ACTIONGATE_API_PORT            port of \`actiongate serve\` and of the HTTP API of \`actiongate start\` (default 8080)
  ACTIONGATE_API_TOKEN           bearer JWT or API key \`actiongate mcp --api URL\` calls the HTTP API with
  OTEL_TRACES_EXPORTER           otlp: the worker exports OpenTelemetry traces over OTLP/HTTP; none: off (default off)
  OTEL_EXPORTER_OTLP_ENDPOINT    collector base URL (http://host:4318); setting it also turns traces on
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  the traces URL itself (http://host:4318/v1/traces); turns traces on too
  OTEL_SERVICE_NAME              service.name of the spans (default actiongate-worker)
  OTEL_SDK_DISABLED              true: no traces, whatever else is set`;

/** Groups of variables, for {@link environmentHelp}. */
export const ENVIRONMENT_GROUPS = {
  /** Where Temporal is and how to connect to it (the Temporal CLI's own variables and profile). */
  temporal: ['TEMPORAL_'] as readonly string[],
  database: ['DATABASE_URL'] as readonly string[],
  /** OpenTelemetry's standard variables (traces). */
  otel: ['OTEL_'] as readonly string[],
} as const;

/**
 * The environment section of one command's help: only the variables it reads. Each entry is a
 * variable name, or a group of {@link ENVIRONMENT_GROUPS} (`temporal` brings the TOML profile's
 * location variables with it).
 *
 * @example environmentHelp(['database', 'ACTIONGATE_BUNDLE_KEYS'])
 */
export function environmentHelp(reads: ReadonlyArray<keyof typeof ENVIRONMENT_GROUPS | string>): string {
  const prefixes = reads.flatMap((name) => (name in ENVIRONMENT_GROUPS ? [...ENVIRONMENT_GROUPS[name as keyof typeof ENVIRONMENT_GROUPS]] : [name]));
  const temporal = reads.includes('temporal');
  const [title, ...lines] = ENVIRONMENT_HELP.split('\n');
  const kept: string[] = [];
  let keep = false;
  for (const line of lines) {
    const name = /^  ([A-Z][A-Z0-9_<>]*)/.exec(line)?.[1];
    if (name !== undefined) {
      keep = prefixes.some((prefix) => (prefix.endsWith('_') ? name.startsWith(prefix) : name === prefix)) || (temporal && ['XDG_CONFIG_HOME', 'HOME', 'APPDATA'].includes(name));
    }
    if (keep) kept.push(line);
  }
  return kept.length === 0 ? 'Environment: none read.' : [title, ...kept].join('\n');
}

export function resolveConfig(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): ActionGateConfig {
  const temporal = readTemporalSettings(env, cwd);
  return {
    temporalAddress: temporal.address,
    temporalAddressSet: temporal.addressSet,
    temporalNamespace: temporal.namespace,
    temporal,
    taskQueue: nonEmpty(env.ACTIONGATE_TASK_QUEUE) ?? 'actiongate',
    databaseUrl: nonEmpty(env.DATABASE_URL),
    policiesDir: resolve(cwd, nonEmpty(env.ACTIONGATE_POLICIES) ?? './policies'),
    dataDir: resolve(cwd, nonEmpty(env.ACTIONGATE_DATA_DIR) ?? './.actiongate'),
    bundleSigningKey: optionalPath(env.ACTIONGATE_BUNDLE_SIGNING_KEY, cwd),
    bundleKeys: optionalPath(env.ACTIONGATE_BUNDLE_KEYS, cwd),
    receiptSigningKey: optionalPath(env.ACTIONGATE_RECEIPT_KEY, cwd),
    logOrigin: nonEmpty(env.ACTIONGATE_LOG_ORIGIN),
    checkpointPublish: nonEmpty(env.ACTIONGATE_CHECKPOINT_PUBLISH),
    httpPort: nonEmpty(env.ACTIONGATE_HTTP_PORT),
    logLevel: nonEmpty(env.ACTIONGATE_LOG_LEVEL),
    logFormat: nonEmpty(env.ACTIONGATE_LOG_FORMAT),
    apiConfig: nonEmpty(env.ACTIONGATE_API_CONFIG),
    apiPort: nonEmpty(env.ACTIONGATE_API_PORT),
    apiToken: nonEmpty(env.ACTIONGATE_API_TOKEN),
    tracing: readTracingSettings(env),
  };
}

/**
 * Traces follow OpenTelemetry's own variables: on with OTEL_TRACES_EXPORTER=otlp, or with an OTLP
 * endpoint and no exporter named; never with OTEL_SDK_DISABLED=true. Another exporter name is not
 * supported: traces stay off and `ignored` says so (the worker logs it), rather than failing
 * every command of a shell that sets it for other programs.
 */
function readTracingSettings(env: NodeJS.ProcessEnv): TracingSettings {
  // Every variable is read, whatever the first ones say: the list of variables read stays fixed.
  const disabled = nonEmpty(env.OTEL_SDK_DISABLED)?.toLowerCase() === 'true';
  const exporters = (nonEmpty(env.OTEL_TRACES_EXPORTER) ?? '').split(',').map((e) => e.trim().toLowerCase()).filter(Boolean);
  const endpoint = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const serviceName = nonEmpty(env.OTEL_SERVICE_NAME) ?? 'actiongate-worker';
  if (disabled) return { enabled: false };
  if (exporters.length === 0) return endpoint === undefined ? { enabled: false } : { enabled: true, serviceName };
  if (exporters.includes('none')) return { enabled: false };
  const unsupported = exporters.filter((e) => e !== 'otlp');
  if (unsupported.length > 0) return { enabled: false, ignored: `OTEL_TRACES_EXPORTER=${exporters.join(',')}: only otlp is supported, traces are off` };
  return { enabled: true, serviceName };
}

function optionalPath(value: string | undefined, cwd: string): string | undefined {
  const path = nonEmpty(value);
  return path === undefined ? undefined : resolve(cwd, path);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
