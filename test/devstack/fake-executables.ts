// Tiny shell scripts that stand in for the Temporal CLI and pip, so lookup and install logic can be
// tested without a network or a 150 MB binary.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { DevStackError, type DevStackErrorCode } from '../../src/devstack/devstack-error.js';

/** Writes an executable `#!/bin/sh` script (creating its folder) and returns its path. */
export async function writeScript(path: string, body: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

/** A `temporal` that answers `--version` like the real one. */
export function writeFakeTemporal(dir: string, version = '0.0.0-fake'): Promise<string> {
  return writeScript(join(dir, 'temporal'), `echo "temporal version ${version} (Server 0.0.0, UI 0.0.0)"`);
}

/**
 * A fake `python3`/`pip3` that "installs" a fake temporal into --target, after `delaySeconds`,
 * and appends a line to `callLog` each time it runs.
 */
export function writeFakePip(dir: string, name: string, callLog: string, delaySeconds = 0): Promise<string> {
  return writeScript(
    join(dir, name),
    [
      'export PATH=/usr/bin:/bin',
      `echo "${name} $*" >> '${callLog}'`,
      `sleep ${delaySeconds}`,
      'while [ $# -gt 0 ]; do [ "$1" = "--target" ] && target="$2"; shift; done',
      'mkdir -p "$target/bin"',
      `printf '#!/bin/sh\\necho "temporal version 1.9.1 (fake from ${name})"\\n' > "$target/bin/temporal"`,
    ].join('\n'),
  );
}

/** A fake pip that fails like one without network. */
export function writeFailingPip(dir: string, name: string, callLog: string): Promise<string> {
  return writeScript(join(dir, name), `echo "${name} $*" >> '${callLog}'\necho "ERROR: No matching distribution found" >&2\nexit 1`);
}

/** Awaits a promise that must reject with a DevStackError of this code, and returns that error. */
export async function devStackRejection(promise: Promise<unknown>, code: DevStackErrorCode): Promise<DevStackError> {
  const err: unknown = await promise.then(
    () => expect.unreachable('expected a DevStackError'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DevStackError);
  expect((err as DevStackError).code).toBe(code);
  return err as DevStackError;
}
