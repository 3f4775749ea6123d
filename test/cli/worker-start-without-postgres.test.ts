// A worker started before its Postgres waits for it (a line per attempt) instead of exiting in a
// supervisor's restart loop; a stop signal ends the wait at once. Other commands still fail fast.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/devstack/free-port.js';
import { testEnv, uniqueId } from '../support/harness.js';
import { POLICIES_DIR, REPO_ROOT } from '../support/paths.js';
import { runCli } from '../support/run-cli.js';

const BIN = join(REPO_ROOT, 'bin', 'actiongate.js');

interface WorkerProcess {
  child: ChildProcess;
  log(): string;
  /** Resolves with the log once `pattern` appears; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends `signal` and resolves with the exit code and how long the exit took. */
  stop(signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

const started: WorkerProcess[] = [];
const servers: Server[] = [];

afterEach(async () => {
  for (const worker of started.splice(0)) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function startWorker(databaseUrl: string): WorkerProcess {
  const t = testEnv();
  const child = spawn(process.execPath, [BIN, 'worker'], {
    env: {
      PATH: process.env.PATH,
      TEMPORAL_ADDRESS: t.temporalAddress,
      TEMPORAL_NAMESPACE: t.namespace,
      DATABASE_URL: databaseUrl,
      ACTIONGATE_TASK_QUEUE: uniqueId('no-pg'),
      ACTIONGATE_POLICIES: POLICIES_DIR,
    },
    cwd: REPO_ROOT,
  });
  let log = '';
  child.stdout?.on('data', (d) => (log += d));
  child.stderr?.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const worker: WorkerProcess = {
    child,
    log: () => log,
    async waitFor(pattern, timeoutMs = 30_000) {
      for (const deadline = Date.now() + timeoutMs; !pattern.test(log); await new Promise((r) => setTimeout(r, 50))) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the worker exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${log}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${log}`);
      }
      return log;
    },
    async stop(signal) {
      const at = Date.now();
      child.kill(signal);
      const code = await exited;
      return { code, ms: Date.now() - at };
    },
  };
  started.push(worker);
  return worker;
}

/** The test database's URL with another host port (where nothing, or a proxy, listens). */
function urlOnPort(port: number): string {
  const url = new URL(testEnv().databaseUrl);
  url.host = `127.0.0.1:${port}`;
  return url.toString();
}

/** A TCP proxy on `port` to the test Postgres: "Postgres appears" at that port. */
async function proxyTo(port: number): Promise<void> {
  const target = new URL(testEnv().databaseUrl);
  const server = createServer((incoming: Socket) => {
    const outgoing = connect(Number(target.port), target.hostname);
    incoming.pipe(outgoing).pipe(incoming);
    incoming.on('error', () => outgoing.destroy());
    outgoing.on('error', () => incoming.destroy());
  });
  servers.push(server);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
}

describe('when Postgres is not reachable at start', () => {
  it('keeps waiting with a line per attempt, the password redacted, and exits 0 promptly on SIGTERM', async () => {
    const port = await freePort();
    const worker = startWorker(urlOnPort(port));
    const log = await worker.waitFor(/attempt 2, next in 2s\)/, 15_000);
    // One JSON event a line: the message is the human line.
    const lines = log.split('\n').filter((l) => l.includes('waiting for Postgres')).map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(lines[0]).toMatch(new RegExp(`^waiting for Postgres at postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${port}/[^:]+: .*ECONNREFUSED.* \\(attempt 1, next in 1s\\)$`));
    expect(lines[1]).toMatch(/\(attempt 2, next in 2s\)$/);
    expect(log).not.toContain(new URL(testEnv().databaseUrl).password);
    const { code, ms } = await worker.stop('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(3_000);
    expect(worker.log()).toContain('stopped before the worker started');
  });

  it('exits 0 on SIGINT as well', async () => {
    const worker = startWorker(urlOnPort(await freePort()));
    await worker.waitFor(/attempt 1, next in 1s\)/, 15_000);
    expect((await worker.stop('SIGINT')).code).toBe(0);
  });

  it('starts once Postgres answers', async () => {
    const port = await freePort();
    const worker = startWorker(urlOnPort(port));
    await worker.waitFor(/attempt 1, next in 1s\)/, 15_000);
    await proxyTo(port);
    await worker.waitFor(/worker polling task queue/, 90_000);
    const { code } = await worker.stop('SIGTERM');
    expect(code).toBe(0);
    expect(worker.log()).toContain('worker stopped');
  }, 120_000);

  it('does not wait out a database that Postgres says does not exist: exit 1, naming it', async () => {
    const url = new URL(testEnv().databaseUrl);
    url.pathname = `/${uniqueId('missing').replaceAll('-', '_')}`;
    const worker = startWorker(url.toString());
    const exited = await new Promise<number | null>((resolve) => worker.child.once('exit', (code) => resolve(code)));
    expect(exited).toBe(1);
    expect(worker.log()).toContain('cannot reach Postgres at');
    expect(worker.log()).toContain('does not exist');
    expect(worker.log()).not.toContain('waiting for Postgres');
  });

  it('db migrate still fails fast (exit 1, cannot reach Postgres)', async () => {
    const port = await freePort();
    const at = Date.now();
    const ran = await runCli(['db', 'migrate'], { DATABASE_URL: urlOnPort(port) });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(`cannot reach Postgres at postgres://postgres:***@127.0.0.1:${port}/`);
    expect(Date.now() - at).toBeLessThan(15_000);
  });
});
