// The CLI loads a command's modules only when that command runs: help and `verify` must not load
// the Temporal worker (native core bridge), Cedar (WebAssembly) or pg. Each run below records every
// module the process resolves through a module hook (test/support/module-trace/).
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/paths.js';
import { runCli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

const BIN = join(REPO_ROOT, 'bin', 'actiongate.js');
const TRACE_HOOK = join(REPO_ROOT, 'test', 'support', 'module-trace', 'register.mjs');
// OpenTelemetry too: only a worker with traces on loads it.
const HEAVY = ['@temporalio/worker', '@cedar-policy/cedar-wasm', 'pg', '@opentelemetry/api', '@temporalio/interceptors-opentelemetry'];

/** The packages (node_modules/<name>) a CLI run resolved. */
async function packagesLoaded(args: string[]): Promise<{ code: number | null; stdout: string; packages: string[] }> {
  const trace = join(await tempDir('ag-trace-'), 'modules.txt');
  const result = await runCli(args, { NODE_OPTIONS: `--import=${TRACE_HOOK}`, MODULE_TRACE_FILE: trace });
  const urls = (await readFile(trace, 'utf8')).split('\n').filter(Boolean);
  expect(urls.some((u) => u.endsWith('/dist/src/cli/main.js')), 'the trace hook saw the CLI load').toBe(true);
  const packages = new Set(urls.flatMap((u) => [...u.matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((m) => m[1] as string)));
  return { code: result.code, stdout: result.stdout, packages: [...packages].sort() };
}

describe('when the CLI only prints help or verifies', () => {
  it('`actiongate --help` loads no Temporal worker, Cedar or pg', async () => {
    const { code, stdout, packages } = await packagesLoaded(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: actiongate <command>/);
    for (const heavy of HEAVY) expect(packages).not.toContain(heavy);
  });

  it.each([['start'], ['worker'], ['submit'], ['db', 'migrate'], ['policy'], ['keys'], ['receipts'], ['verify'], ['approvals'], ['stats'], ['approve'], ['mcp'], ['serve']])(
    '`actiongate %s --help` loads none of them either',
    async (...command) => {
      const { code, stdout, packages } = await packagesLoaded([...command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(/Usage: actiongate/);
      for (const heavy of HEAVY) expect(packages, `${command.join(' ')} --help`).not.toContain(heavy);
    },
  );

  it('`actiongate verify` loads none of them', async () => {
    const { code, packages } = await packagesLoaded(['verify', '-']);
    expect(code).toBe(2); // no --keys: a usage error, after the verifier's modules were loaded
    expect(packages).toContain('@noble/ed25519');
    for (const heavy of HEAVY) expect(packages).not.toContain(heavy);
  });
});

describe('when the CLI has not been built', () => {
  it('says to run npm run build and exits 1, rather than running TypeScript', async () => {
    const dir = await tempDir('ag-nobuild-');
    await mkdir(join(dir, 'bin'));
    await copyFile(BIN, join(dir, 'bin', 'actiongate.js'));
    const { code, stdout, stderr } = await runCli(['--help'], {}, REPO_ROOT, '', join(dir, 'bin', 'actiongate.js'));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/run npm run build/);
  });
});
