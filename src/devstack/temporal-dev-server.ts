import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { DevStackError } from './devstack-error.js';
import { freePort, isPortFree } from './free-port.js';
import { OutputTail } from './output-tail.js';
import { killWhenParentDies, type Watchdog } from './parent-death-watchdog.js';

export interface StartTemporalDevServerOptions {
  /** Path to the Temporal CLI, usually from findOrInstallTemporalCli. */
  cliPath: string;
  /** Front-end gRPC port; 0 or undefined picks a free one. */
  port?: number;
  /** Web UI port; undefined picks a free one. Ignored when headless. */
  uiPort?: number;
  /** No Web UI (tests): faster start, one port fewer. */
  headless?: boolean;
  /** SQLite file that keeps workflow runs across restarts; in-memory when undefined. */
  dbFile?: string;
  /** Namespace to create at launch (default `default`, which always exists). */
  namespace?: string;
  log?: (line: string) => void;
  /** How long to wait for the server to answer (default 60 s). */
  startTimeoutMs?: number;
  /**
   * Standalone activities (`temporal activity execute`) are on by default in server 1.32, so
   * anyone on the namespace can run our activities without a workflow. `false` turns them off
   * (`activity.enableStandalone=false`), as a deployment should; the test suite keeps them on to
   * show the activities refuse such calls by themselves. Default: off (false).
   */
  standaloneActivities?: boolean;
}

export interface TemporalDevServer {
  /** `127.0.0.1:PORT`, for `Connection.connect({ address })`. */
  address: string;
  /** `http://127.0.0.1:PORT` of the Web UI, or null when headless. */
  uiUrl: string | null;
  namespace: string;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone and its ports are free. */
  stop(): Promise<void>;
  /** SIGKILL at once, as a crash would (the fault-injection suite); resolves once the process is gone. */
  kill(): Promise<void>;
}

/**
 * Dynamic config the gate relies on: Update-With-Start (ExecuteMultiOperation), workflow updates,
 * and search attributes that are visible right after they are registered (tests register them
 * and query at once). And one for latency: the dev server has a single history shard, whose
 * transfer queue is read at most `transferProcessorMaxPollRPS` (default 20) times a second, so every
 * workflow task waited for the next 50 ms slot; at 1,000 a task is picked up within about a
 * millisecond (docs/PERFORMANCE.md). A rate limit, not a polling rate: an idle server does no more work.
 */
const DYNAMIC_CONFIG = [
  'frontend.enableExecuteMultiOperation=true',
  'frontend.enableUpdateWorkflowExecution=true',
  'system.forceSearchAttributesCacheRefreshOnRead=true',
  'history.transferProcessorMaxPollRPS=1000',
];

const STOP_GRACE_MS = 10_000;
const START_ATTEMPTS = 3;

/**
 * Starts `temporal server start-dev` on 127.0.0.1 and resolves once it answers a
 * DescribeNamespace for `namespace`. The child does not keep Node alive on its own; it is
 * stopped when this process exits, and a watchdog stops it even if this process is killed.
 *
 * @throws DevStackError `TEMPORAL_START_FAILED` with the last lines the server printed.
 * @example
 * const server = await startTemporalDevServer({ cliPath, headless: true });
 * const connection = await Connection.connect({ address: server.address });
 * // ...
 * await connection.close();
 * await server.stop();
 */
export async function startTemporalDevServer(opts: StartTemporalDevServerOptions): Promise<TemporalDevServer> {
  const log = opts.log ?? (() => undefined);
  const namespace = opts.namespace ?? 'default';
  if (opts.dbFile) await mkdir(dirname(opts.dbFile), { recursive: true });
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      const server = await startOnce(opts, namespace);
      log(`Temporal dev server on ${server.address} (namespace ${namespace}${server.uiUrl ? `, UI ${server.uiUrl}` : ''}) ready in ${Date.now() - started} ms`);
      return server;
    } catch (err) {
      // A port picked by freePort() can be taken by someone else before the server binds it.
      const portRace = err instanceof DevStackError && /address already in use/i.test(err.message);
      if (!portRace || attempt >= START_ATTEMPTS) throw err;
      log(`Temporal dev server could not bind its ports (attempt ${attempt}), retrying with other ports`);
    }
  }
}

async function startOnce(opts: StartTemporalDevServerOptions, namespace: string): Promise<TemporalDevServer> {
  const port = opts.port ? opts.port : await freePort();
  if (opts.port && !(await isPortFree(port))) {
    // Without this check the readiness probe would happily talk to whatever server holds the port.
    throw new DevStackError('TEMPORAL_START_FAILED', `Cannot start the Temporal dev server: 127.0.0.1:${port} is already taken.`, {
      address: `127.0.0.1:${port}`,
    });
  }
  const uiPort = opts.headless ? null : (opts.uiPort ?? (await freePort()));
  const address = `127.0.0.1:${port}`;
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    // Pinned rather than left to the CLI so two servers on one machine never pick the same ones.
    '--http-port', String(await freePort()),
    '--metrics-port', String(await freePort()),
    ...(uiPort === null ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...(opts.dbFile ? ['--db-filename', opts.dbFile] : []),
    ...(namespace === 'default' ? [] : ['--namespace', namespace]),
    '--log-level', 'warn',
    ...DYNAMIC_CONFIG.flatMap((kv) => ['--dynamic-config-value', kv]),
    ...(opts.standaloneActivities === true ? [] : ['--dynamic-config-value', 'activity.enableStandalone=false']),
  ];

  const tail = new OutputTail(20);
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  tail.follow(child.stdout);
  tail.follow(child.stderr);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not be spawned: ${err.message}`));
    child.once('exit', (code, signal) => resolve(`exited with ${signal ?? `code ${code}`}`));
  });
  const watchdog: Watchdog | null = child.pid === undefined ? null : killWhenParentDies(child.pid, 'SIGTERM');
  void exited.then(() => watchdog?.disarm());
  // Sync only: 'exit' handlers cannot await. SIGTERM lets it flush the SQLite file; the watchdog SIGKILLs later if needed.
  const onExit = () => void child.kill('SIGTERM');
  process.once('exit', onExit);
  unrefChild(child);

  const stop = async () => {
    process.off('exit', onExit);
    await terminate(child, exited);
    watchdog?.disarm();
  };
  const kill = async () => {
    process.off('exit', onExit);
    child.kill('SIGKILL');
    await exited;
    watchdog?.disarm();
  };

  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const gaveUp = new AbortController();
  let outcome = await Promise.race([
    waitUntilServing(address, namespace, Date.now() + timeoutMs, gaveUp.signal).then((ok) =>
      ok ? null : `did not answer within ${timeoutMs} ms`,
    ),
    exited,
  ]);
  gaveUp.abort(); // stop polling a server that has already exited
  // Whoever answered, our process must still be alive for the answer to have been ours.
  if (outcome === null && (child.exitCode !== null || child.signalCode !== null)) outcome = await exited;
  if (outcome !== null) {
    await stop();
    throw new DevStackError(
      'TEMPORAL_START_FAILED',
      `Temporal dev server (${opts.cliPath} ${args.slice(0, 2).join(' ')} on ${address}) ${outcome}.\n` +
        `Last output:\n${tail.text() || '(none)'}`,
      { address, cliPath: opts.cliPath, args, output: tail.text() },
    );
  }

  let stopping: Promise<void> | null = null;
  return {
    address,
    uiUrl: uiPort === null ? null : `http://127.0.0.1:${uiPort}`,
    namespace,
    stop: () => (stopping ??= stop()),
    kill: () => (stopping ??= kill()),
  };
}

/** Polls a cheap TCP probe first: Connection.connect on a closed port waits out its whole timeout. */
async function waitUntilServing(address: string, namespace: string, deadline: number, signal: AbortSignal): Promise<boolean> {
  const [host, portText] = address.split(':') as [string, string];
  while (Date.now() < deadline && !signal.aborted) {
    if (await tcpOpen(host, Number(portText))) {
      let connection: Connection | null = null;
      try {
        connection = await Connection.connect({ address, connectTimeout: Math.max(1000, Math.min(5000, deadline - Date.now())) });
        await connection.workflowService.describeNamespace({ namespace });
        return true;
      } catch {
        // Frontend up but namespace not registered yet, or still starting: poll again.
      } finally {
        await connection?.close().catch(() => undefined);
      }
    }
    await sleep(100);
  }
  return false;
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    socket.setTimeout(1000);
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

async function terminate(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    // Hold the event loop open until it is gone, or `await stop()` as a script's last line would never return.
    child.ref();
    child.kill('SIGTERM');
    const escalate = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(escalate);
  }
  await exited;
}

/** The server lives as long as we do, not the other way round: a forgotten stop() must not hang Node. */
function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
}
