import { spawn } from 'node:child_process';

export interface Watchdog {
  /** Stops watching (call once the child has been stopped or has exited by itself). */
  disarm(): void;
}

/**
 * Makes sure a server we started does not outlive us, even when we die by SIGKILL or a crash and
 * no `exit` handler runs. A tiny `sh` holds the read end of a pipe whose write end only this
 * process has; when this process dies for any reason the pipe closes, `read` returns, and the
 * shell sends `signal` to the server, then SIGKILL after `graceSeconds`.
 * Node has no PR_SET_PDEATHSIG, so this is the portable POSIX way. A no-op on Windows.
 *
 * @example
 * const child = spawn(cliPath, args);
 * const watchdog = killWhenParentDies(child.pid!, 'SIGTERM');
 * child.once('exit', () => watchdog.disarm());
 */
export function killWhenParentDies(pid: number, signal: NodeJS.Signals = 'SIGTERM', graceSeconds = 10): Watchdog {
  if (process.platform === 'win32') return { disarm: () => undefined };
  const script = [
    'read _ignored',
    'kill -s "$2" "$1" 2>/dev/null || exit 0',
    'i=0',
    'while [ "$i" -lt "$3" ] && kill -0 "$1" 2>/dev/null; do sleep 1; i=$((i+1)); done',
    'kill -s KILL "$1" 2>/dev/null',
  ].join('\n');
  const dog = spawn('/bin/sh', ['-c', script, 'actiongate-watchdog', String(pid), signal.replace(/^SIG/, ''), String(graceSeconds)], {
    // Own process group: a Ctrl-C meant for us must not kill the watchdog before it has done its job.
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  dog.on('error', () => undefined); // no /bin/sh: we simply lose the crash guard
  dog.stdin?.on('error', () => undefined);
  dog.unref();
  let armed = true;
  return {
    disarm() {
      if (!armed) return;
      armed = false;
      // Kill before closing the pipe: closing it first would fire the watchdog.
      dog.kill('SIGKILL');
      dog.stdin?.destroy();
    },
  };
}
