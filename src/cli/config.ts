import { resolve } from 'node:path';

/** Everything the CLI reads from the environment, resolved once and passed down. */
export interface ActionGateConfig {
  temporalAddress: string;
  /** True when TEMPORAL_ADDRESS was set: `start` then uses that server instead of starting one. */
  temporalAddressSet: boolean;
  temporalNamespace: string;
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
}

export const ENVIRONMENT_HELP = `Environment:
  TEMPORAL_ADDRESS               Temporal frontend (default localhost:7233)
  TEMPORAL_NAMESPACE             Temporal namespace (default default)
  DATABASE_URL                   Postgres connection string, e.g. postgres://user:pw@localhost:5432/actiongate
  ACTIONGATE_TASK_QUEUE          task queue of the governed-action workflow (default actiongate)
  ACTIONGATE_POLICIES            policy directory (default ./policies)
  ACTIONGATE_DATA_DIR            local state of \`actiongate start\` (default ./.actiongate)
  ACTIONGATE_BUNDLE_SIGNING_KEY  private key file \`policy build\` signs with when --key is not given
  ACTIONGATE_BUNDLE_KEYS         key set file (JSON) of the public keys trusted to sign policy bundles
  ACTIONGATE_RECEIPT_KEY         private key file the worker signs receipts with (signed, hash-chained log)`;

export function resolveConfig(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): ActionGateConfig {
  return {
    temporalAddress: nonEmpty(env.TEMPORAL_ADDRESS) ?? 'localhost:7233',
    temporalAddressSet: nonEmpty(env.TEMPORAL_ADDRESS) !== undefined,
    temporalNamespace: nonEmpty(env.TEMPORAL_NAMESPACE) ?? 'default',
    taskQueue: nonEmpty(env.ACTIONGATE_TASK_QUEUE) ?? 'actiongate',
    databaseUrl: nonEmpty(env.DATABASE_URL),
    policiesDir: resolve(cwd, nonEmpty(env.ACTIONGATE_POLICIES) ?? './policies'),
    dataDir: resolve(cwd, nonEmpty(env.ACTIONGATE_DATA_DIR) ?? './.actiongate'),
    bundleSigningKey: optionalPath(env.ACTIONGATE_BUNDLE_SIGNING_KEY, cwd),
    bundleKeys: optionalPath(env.ACTIONGATE_BUNDLE_KEYS, cwd),
    receiptSigningKey: optionalPath(env.ACTIONGATE_RECEIPT_KEY, cwd),
  };
}

function optionalPath(value: string | undefined, cwd: string): string | undefined {
  const path = nonEmpty(value);
  return path === undefined ? undefined : resolve(cwd, path);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
