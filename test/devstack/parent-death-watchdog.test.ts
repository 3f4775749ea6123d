import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/devstack/process-alive.js';
import { REPO_ROOT } from '../support/paths.js';

const WATCHDOG_MODULE = join(REPO_ROOT, 'src', 'devstack', 'parent-death-watchdog.ts');

let scratch: string;
const leftovers: number[] = [];

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'actiongate-watchdog-'));
});

afterEach(async () => {
  for (const pid of leftovers.splice(0)) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  await rm(scratch, { recursive: true, force: true });
});

/**
 * Runs a Node "parent" that starts `sleep 60` under a watchdog (disarmed or not), prints the
 * sleep's pid, and then gets SIGKILLed: no exit handler of its own can run.
 */
async function parentKilledWhileGuarding(disarm: boolean): Promise<number> {
  const script = join(scratch, 'parent.mts');
  await writeFile(
    script,
    [
      "import { spawn } from 'node:child_process';",
      `import { killWhenParentDies } from ${JSON.stringify(WATCHDOG_MODULE)};`,
      "const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });",
      "const watchdog = killWhenParentDies(child.pid!, 'SIGTERM', 1);",
      disarm ? 'watchdog.disarm();' : '',
      'console.log(child.pid);',
      'setInterval(() => undefined, 1000);',
    ].join('\n'),
  );
  const parent = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = await new Promise<number>((resolve, reject) => {
    parent.stdout.setEncoding('utf8');
    parent.stdout.once('data', (text: string) => resolve(Number.parseInt(text, 10)));
    parent.once('exit', () => reject(new Error('parent exited early')));
  });
  leftovers.push(pid);
  parent.kill('SIGKILL');
  return pid;
}

async function waitUntilGone(pid: number, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(50)) if (!isProcessAlive(pid)) return true;
  return false;
}

describe('when the parent is SIGKILLed', () => {
  it('kills the guarded process', { timeout: 20_000 }, async () => {
    const pid = await parentKilledWhileGuarding(false);
    expect(await waitUntilGone(pid, 5000)).toBe(true);
  });
});

describe('when the watchdog was disarmed', () => {
  it('leaves the process alone', { timeout: 20_000 }, async () => {
    const pid = await parentKilledWhileGuarding(true);
    expect(await waitUntilGone(pid, 1000)).toBe(false);
  });
});
