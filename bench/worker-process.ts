// Starts bench/bench-worker.ts as a child process and watches its resident memory from outside
// (/proc/<pid>/status), so the numbers include the native Temporal core and worker threads.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { processCpuMs } from './cpu-usage.js';
import type { StoreCall } from './timed-receipt-store.js';
import type { BenchWorkerConfig, FromWorker, ToWorker } from './worker-protocol.js';

const WORKER_ENTRY = fileURLToPath(new URL('./bench-worker.ts', import.meta.url));
const RSS_SAMPLE_MS = 200;

export interface WorkerMemory {
  /** RSS right after the worker was ready, before any load (bytes). */
  idleRss: number;
  /** Highest RSS sampled, or the kernel's high-water mark (VmHWM) when higher (bytes). */
  peakRss: number;
  /** RSS at the end of the load, before shutdown (bytes). */
  endRss: number;
}

export interface BenchWorkerProcess {
  pid: number;
  policyDigest: string;
  surfaces: string[];
  drainTimings(): Promise<Record<StoreCall, number[]>>;
  /** CPU time the child has used so far (user + system, all threads), ms; undefined without /proc. */
  cpuMs(): number | undefined;
  /** Memory so far; call before stop() for the end value. */
  memory(): WorkerMemory;
  stop(): Promise<void>;
}

export async function startBenchWorker(options: {
  config: BenchWorkerConfig;
  cwd: string;
  /** Extra node flags for the child, e.g. --cpu-prof. */
  nodeFlags?: string[];
}): Promise<BenchWorkerProcess> {
  const child = fork(WORKER_ENTRY, [], {
    cwd: options.cwd,
    execArgv: ['--import', 'tsx', ...(options.nodeFlags ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)));
  const stopOnExit = () => child.kill('SIGTERM');
  process.once('exit', stopOnExit);

  const ready = await new Promise<Extract<FromWorker, { type: 'ready' }>>((resolve, reject) => {
    child.on('message', (message: FromWorker) => {
      if (message.type === 'ready') resolve(message);
      if (message.type === 'failed') reject(new Error(`bench worker failed: ${message.message}`));
    });
    void exited.then((how) => reject(new Error(`bench worker exited (${how}) before it was ready`)));
    child.send({ type: 'start', config: options.config } satisfies ToWorker);
  });
  const pid = child.pid as number;

  const idleRss = readStatus(pid, 'VmRSS') ?? 0;
  let peakRss = idleRss;
  let lastRss = idleRss;
  const sampler = setInterval(() => {
    const rss = readStatus(pid, 'VmRSS');
    if (rss === undefined) return;
    lastRss = rss;
    peakRss = Math.max(peakRss, rss);
  }, RSS_SAMPLE_MS);
  sampler.unref();

  return {
    pid,
    policyDigest: ready.policyDigest,
    surfaces: ready.surfaces,
    cpuMs: () => processCpuMs(pid),
    drainTimings: () => request(child, { type: 'drain-timings' }).then((m) => m.timings),
    memory() {
      const now = readStatus(pid, 'VmRSS') ?? lastRss;
      return { idleRss, peakRss: Math.max(peakRss, now, readStatus(pid, 'VmHWM') ?? 0), endRss: now };
    },
    async stop() {
      clearInterval(sampler);
      if (child.connected) child.send({ type: 'stop' } satisfies ToWorker);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
      process.off('exit', stopOnExit);
    },
  };
}

function request(child: ChildProcess, message: ToWorker): Promise<Extract<FromWorker, { type: 'timings' }>> {
  return new Promise((resolve) => {
    const onMessage = (reply: FromWorker) => {
      if (reply.type !== 'timings') return;
      child.off('message', onMessage);
      resolve(reply);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

/** A `kB` field of /proc/<pid>/status, in bytes; undefined where there is no /proc. */
function readStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
