import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

const BIN = join(REPO_ROOT, 'bin', 'actiongate.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `actiongate ARGS` as a user would (a child process), with only PATH and `env` set.
 * `bin`: another copy of the launcher (default the repository's bin/actiongate.js).
 */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd: string = REPO_ROOT, stdin = '', bin: string = BIN): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH, ...env }, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

export interface CliWorker {
  readonly process: ChildProcess;
  /** Everything the worker printed so far (stdout and stderr). */
  log(): string;
  /** What it printed on standard error alone (its log: one JSON object a line by default). */
  stderr(): string;
}

/**
 * Starts `actiongate worker` with only PATH and `env` set; resolves once it polls its task queue
 * (the message of its "worker polling task queue" event, in a JSON line or a pretty one).
 */
export async function startCliWorker(env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<CliWorker> {
  const child = spawn(process.execPath, [BIN, 'worker'], { env: { PATH: process.env.PATH, ...env }, cwd: REPO_ROOT });
  let output = '';
  let stderr = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => {
    output += d;
    stderr += d;
  });
  const deadline = Date.now() + timeoutMs;
  while (!output.includes('worker polling task queue')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`worker did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { process: child, log: () => output, stderr: () => stderr };
}

/** Stops a worker startCliWorker started, if it still runs: SIGTERM, then up to 15 s for it to drain and exit. */
export async function stopCliWorker(worker: CliWorker | undefined): Promise<void> {
  if (!worker || worker.process.exitCode !== null) return;
  const exited = new Promise((resolve) => worker.process.once('exit', resolve));
  worker.process.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
}
