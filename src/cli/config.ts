import { resolve } from 'node:path';

/** Everything the CLI reads from the environment, resolved once and passed down. */
export interface ActionGateConfig {
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  /** Undefined when DATABASE_URL is not set; commands that need it say so. */
  databaseUrl: string | undefined;
  policiesDir: string;
}

export const ENVIRONMENT_HELP = `Environment:
  TEMPORAL_ADDRESS       Temporal frontend (default localhost:7233)
  TEMPORAL_NAMESPACE     Temporal namespace (default default)
  DATABASE_URL           Postgres connection string, e.g. postgres://user:pw@localhost:5432/actiongate
  ACTIONGATE_TASK_QUEUE  task queue of the governed-action workflow (default actiongate)
  ACTIONGATE_POLICIES    policy directory (default ./policies)`;

export function resolveConfig(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): ActionGateConfig {
  return {
    temporalAddress: nonEmpty(env.TEMPORAL_ADDRESS) ?? 'localhost:7233',
    temporalNamespace: nonEmpty(env.TEMPORAL_NAMESPACE) ?? 'default',
    taskQueue: nonEmpty(env.ACTIONGATE_TASK_QUEUE) ?? 'actiongate',
    databaseUrl: nonEmpty(env.DATABASE_URL),
    policiesDir: resolve(cwd, nonEmpty(env.ACTIONGATE_POLICIES) ?? './policies'),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
