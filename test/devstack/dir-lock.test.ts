import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withDirLock } from '../../src/devstack/dir-lock.js';

let scratch: string;
let lockDir: string;

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'actiongate-lock-'));
  lockDir = join(scratch, 'thing.lock');
});

afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('when several holders want the lock at once', () => {
  it('runs them one after the other', async () => {
    const events: string[] = [];
    await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        withDirLock(lockDir, async () => {
          events.push(`${name} in`);
          await sleep(50);
          events.push(`${name} out`);
        }),
      ),
    );
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]?.replace(' in', '')).toBe(events[i + 1]?.replace(' out', ''));
    }
    await expect(stat(lockDir)).rejects.toThrow(); // released
  });

  it('tells the waiter who holds it', async () => {
    const waits: string[] = [];
    await Promise.all([
      withDirLock(lockDir, () => sleep(100)),
      sleep(10).then(() => withDirLock(lockDir, async () => undefined, { onWait: (holder) => waits.push(holder) })),
    ]);
    expect(waits).toEqual([`pid ${process.pid} on ${hostname()}`]);
  });

  it('gives up after timeoutMs', async () => {
    await withDirLock(lockDir, async () => {
      await expect(withDirLock(lockDir, async () => 'never', { timeoutMs: 300 })).rejects.toThrow(/timed out/);
    });
  });
});

describe('when the holder died without releasing it', () => {
  it('takes the lock over', async () => {
    const dead = spawnSync('true').pid; // a pid that has certainly exited
    await mkdir(lockDir);
    await writeFile(join(lockDir, 'owner.json'), JSON.stringify({ pid: dead, host: hostname(), token: 'old' }));
    expect(await withDirLock(lockDir, async () => 'ran', { timeoutMs: 2000 })).toBe('ran');
  });

  it('takes over a lock without owner file once it is older than staleMs', async () => {
    await mkdir(lockDir);
    await sleep(50);
    expect(await withDirLock(lockDir, async () => 'ran', { timeoutMs: 2000, staleMs: 10 })).toBe('ran');
  });
});

describe('when fn throws', () => {
  it('releases the lock and passes the error on', async () => {
    await expect(withDirLock(lockDir, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(stat(lockDir)).rejects.toThrow();
  });
});
