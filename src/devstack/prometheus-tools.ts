import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { DevStackError } from './devstack-error.js';
import { withDirLock } from './dir-lock.js';

const execFileAsync = promisify(execFile);

/** The Debian package that ships both binaries (2.42 in bookworm). */
export const PROMETHEUS_DEB = 'prometheus';

/** Where apt keeps its package lists: without `*_Packages*` files there, `apt-get download` knows no package. */
export const APT_LISTS_DIR = '/var/lib/apt/lists';

export interface PrometheusTools {
  /** `promtool`, for `check rules` and `test rules`. */
  promtool: string;
  /** The `prometheus` server binary. */
  prometheus: string;
  /** `promtool --version`'s first line, e.g. `promtool, version 2.42.0+ds (...)`. */
  version: string;
}

export interface FindPrometheusToolsOptions {
  /** A package we unpack lands in `<toolsDir>/prometheus` (binaries in `usr/bin/`). */
  toolsDir: string;
  /** PATH is read from here. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Download and unpack the Debian package when the tools are not found (default true). */
  install?: boolean;
  /** Where apt's package lists are looked for when the download fails (default /var/lib/apt/lists). */
  aptListsDir?: string;
}

/**
 * Finds `promtool` and `prometheus`: both on PATH, else in `<toolsDir>/prometheus/usr/bin/`, else
 * fetches Debian's `prometheus` package with `apt-get download` (no root: it only writes the .deb
 * into a temporary folder) and unpacks it with `dpkg -x` into `<toolsDir>/prometheus`, under a lock
 * so concurrent test runs install once. No service is installed or started.
 *
 * @throws DevStackError `PROMETHEUS_TOOLS_MISSING`, whose message says why and how to fix it.
 * @example
 * const { promtool } = await findOrInstallPrometheusTools({ toolsDir: join(repoRoot, '.tools'), log: console.error });
 */
export async function findOrInstallPrometheusTools(opts: FindPrometheusToolsOptions): Promise<PrometheusTools> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const folder = join(opts.toolsDir, 'prometheus');
  const unpacked = { promtool: join(folder, 'usr', 'bin', 'promtool'), prometheus: join(folder, 'usr', 'bin', 'prometheus') };
  const problems: string[] = [];

  const onPath = { promtool: await findOnPath('promtool', env.PATH), prometheus: await findOnPath('prometheus', env.PATH) };
  for (const candidate of [onPath, unpacked]) {
    if (candidate.promtool === null || candidate.prometheus === null) continue;
    const found = await check({ promtool: candidate.promtool, prometheus: candidate.prometheus }, env);
    if (found.ok) {
      log(`using ${found.tools.version.split(' (')[0]}: ${found.tools.promtool}, ${found.tools.prometheus}`);
      return found.tools;
    }
    problems.push(found.problem);
  }

  if (opts.install === false) {
    problems.push('installing was not allowed (install: false)');
  } else {
    try {
      await withDirLock(
        join(opts.toolsDir, 'prometheus.lock'),
        async () => {
          // Another process may have unpacked it while we waited for the lock.
          if ((await check(unpacked, env)).ok) return;
          await unpackDebianPackage(opts.toolsDir, folder, env, opts.aptListsDir ?? APT_LISTS_DIR, log);
        },
        { onWait: (holder) => log(`waiting for ${holder} to finish installing Prometheus`) },
      );
      const found = await check(unpacked, env);
      if (found.ok) {
        log(`using ${found.tools.version.split(' (')[0]}: ${found.tools.promtool}`);
        return found.tools;
      }
      problems.push(`after unpacking: ${found.problem}`);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }

  throw new DevStackError(
    'PROMETHEUS_TOOLS_MISSING',
    [
      'No runnable promtool and prometheus found, and none could be installed.',
      ...problems.map((p) => `  - ${p}`),
      'Do one of:',
      `  1. (cd $(mktemp -d) && apt-get download ${PROMETHEUS_DEB} && dpkg -x ${PROMETHEUS_DEB}_*.deb ${folder})`,
      '  2. put promtool and prometheus (2.x) on PATH',
    ].join('\n'),
    { toolsDir: opts.toolsDir, problems },
  );
}

async function unpackDebianPackage(toolsDir: string, folder: string, env: NodeJS.ProcessEnv, aptListsDir: string, log: (line: string) => void): Promise<void> {
  await mkdir(toolsDir, { recursive: true });
  const download = await mkdtemp(join(tmpdir(), 'actiongate-prometheus-deb-'));
  const staging = `${folder}.partial-${process.pid}`;
  try {
    const started = Date.now();
    log(`downloading Debian's ${PROMETHEUS_DEB} package (apt-get download, no root) into ${download}`);
    const fetchDeb = () => execFileAsync('apt-get', ['download', PROMETHEUS_DEB], { cwd: download, env, timeout: 10 * 60_000, maxBuffer: 16 * 1024 * 1024 });
    try {
      await fetchDeb();
    } catch (err) {
      const why = await whyDownloadFailed(err as Error & { code?: unknown; stderr?: string }, aptListsDir);
      // A fresh machine (CI) may have no package lists yet; as root, fetch them once and try again.
      if (!why.includes('no package lists') || process.getuid?.() !== 0) throw new Error(why);
      log('apt has no package lists: running apt-get update once (as root)');
      try {
        await execFileAsync('apt-get', ['update'], { env, timeout: 10 * 60_000, maxBuffer: 16 * 1024 * 1024 });
        await fetchDeb();
      } catch (again) {
        throw new Error(`${why}; apt-get update and a second download failed too: ${lastLine((again as Error & { stderr?: string }).stderr ?? (again as Error).message)}`);
      }
    }
    const deb = (await readdir(download)).find((name) => name.startsWith(`${PROMETHEUS_DEB}_`) && name.endsWith('.deb'));
    if (deb === undefined) throw new Error(`apt-get download ${PROMETHEUS_DEB} succeeded but left no ${PROMETHEUS_DEB}_*.deb in ${download}`);
    await rm(staging, { recursive: true, force: true });
    try {
      await execFileAsync('dpkg', ['-x', join(download, deb), staging], { env, timeout: 5 * 60_000 });
    } catch (err) {
      const e = err as Error & { code?: unknown; stderr?: string };
      throw new Error(e.code === 'ENOENT' ? 'dpkg is not installed: cannot unpack the package' : `dpkg -x ${deb} failed: ${lastLine(e.stderr ?? e.message)}`);
    }
    await rm(folder, { recursive: true, force: true });
    await rename(staging, folder);
    log(`installed ${deb} into ${folder} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await rm(download, { recursive: true, force: true });
    await rm(staging, { recursive: true, force: true });
  }
}

/** Turns apt-get's failure into the reason an operator can act on: no apt, no lists, or no such package. */
async function whyDownloadFailed(err: Error & { code?: unknown; stderr?: string }, aptListsDir: string): Promise<string> {
  if (err.code === 'ENOENT') return 'apt-get is not installed (not a Debian or Ubuntu machine): cannot download the prometheus package';
  const stderr = err.stderr ?? err.message;
  const lists = await readdir(aptListsDir).catch(() => [] as string[]);
  if (!lists.some((name) => name.includes('_Packages'))) {
    return `apt-get download ${PROMETHEUS_DEB} failed and apt has no package lists (no *_Packages files in ${aptListsDir}): run \`apt-get update\` as root once, then again. apt said: ${lastLine(stderr)}`;
  }
  if (/Unable to locate package|has no installation candidate/i.test(stderr)) {
    return `apt's package lists in ${aptListsDir} have no ${PROMETHEUS_DEB} package (is Debian's main component in sources.list?): ${lastLine(stderr)}`;
  }
  return `apt-get download ${PROMETHEUS_DEB} failed: ${lastLine(stderr)}`;
}

type Checked = { ok: true; tools: PrometheusTools } | { ok: false; problem: string };

/** Both binaries must answer `--version` as themselves; another `promtool` on PATH is not taken. */
async function check(paths: { promtool: string; prometheus: string }, env: NodeJS.ProcessEnv): Promise<Checked> {
  let version = '';
  for (const [name, path] of Object.entries(paths)) {
    try {
      const { stdout, stderr } = await execFileAsync(path, ['--version'], { env, timeout: 30_000 });
      // Prometheus 2.x prints its version on stderr, some builds on stdout.
      const first = `${stdout}${stderr}`.trim().split('\n')[0] ?? '';
      if (!first.startsWith(`${name}, version `)) return { ok: false, problem: `${path} does not answer --version as ${name}: ${first}` };
      if (name === 'promtool') version = first;
    } catch (err) {
      return { ok: false, problem: `${path} does not run: ${lastLine((err as Error).message)}` };
    }
  }
  return { ok: true, tools: { ...paths, version } };
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter((line) => !line.startsWith('W: ')).at(-1) ?? text.trim();
}

async function findOnPath(name: string, pathVar: string | undefined): Promise<string | null> {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (dir === '') continue; // an empty entry means "current directory": never pick that up silently
    const candidate = join(dir, name);
    try {
      if (!(await stat(candidate)).isFile()) continue;
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}
