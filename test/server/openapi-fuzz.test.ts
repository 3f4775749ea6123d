// OpenAPI-driven fuzzing of `actiongate serve` with Schemathesis (PyPI, .tools/schemathesis): requests
// generated from /openapi.json, valid and invalid, against the real stack (Temporal, Postgres, Cedar,
// a worker). Every check that applies runs: no 5xx, status codes, content types, headers and bodies as
// documented, invalid requests refused and valid ones accepted, 405 with Allow for undeclared methods,
// no answer without credentials. openapi-fuzz-hooks.py states what OpenAPI cannot (the Idempotency-Key
// header equals the body's key) and lists the findings still open.
// A longer hunt: ACTIONGATE_FUZZ_EXAMPLES=300 ACTIONGATE_FUZZ_SEED=<n> npx vitest run test/server/openapi-fuzz.test.ts
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOrInstallSchemathesis, type PythonTools } from '../../src/devstack/schemathesis.js';
import { startApiStack, type ApiStack } from '../support/api-server.js';
import { REPO_ROOT } from '../support/paths.js';
import { tempDir } from '../support/temp-dir.js';

const HOOKS = join(REPO_ROOT, 'test', 'server', 'openapi-fuzz-hooks.py');
const EXAMPLES = process.env.ACTIONGATE_FUZZ_EXAMPLES ?? '40';
const SEED = process.env.ACTIONGATE_FUZZ_SEED ?? '20261124';

let stack: ApiStack;
let tools: PythonTools;

beforeAll(async () => {
  [stack, tools] = await Promise.all([startApiStack(), findOrInstallSchemathesis({ toolsDir: join(REPO_ROOT, '.tools') })]);
});

afterAll(async () => {
  await stack?.stop();
});

describe('when Schemathesis fuzzes every operation of the OpenAPI document', () => {
  it('finds no server error and no response the document does not describe', async () => {
    // A rate limit the fuzzer does not reach: 429s would hide the rest (the limit has its own tests).
    const server = await stack.another({ limits: { perPrincipalPerMinute: 1_000_000 } });
    // Its reports and its cache (.schemathesis/, in the working directory) stay out of the checkout.
    const work = await tempDir('actiongate-fuzz-');
    const args = [
      ...tools.schemathesis.args,
      'run',
      `${server.url}/openapi.json`,
      '--checks',
      'all',
      '--max-examples',
      EXAMPLES,
      '--seed',
      SEED,
      // One worker: with two threads, CPython 3.11's ast module (which Hypothesis uses to describe its
      // filters) can fail with "AST constructor recursion depth mismatch": its depth counter is shared.
      '--workers',
      '1',
      '--request-timeout',
      '20',
      '--continue-on-failure',
      '-H',
      `Authorization: Bearer ${await stack.token('agent-42')}`,
      '--report-dir',
      join(work, 'reports'),
      // The token is a test token of this run; the failures are easier to read whole.
      '--output-sanitize',
      'false',
      '--no-color',
    ];
    const env = { ...tools.schemathesis.env, SCHEMATHESIS_HOOKS: HOOKS, NO_COLOR: '1', COLUMNS: '120' };
    const { code, output } = await run(tools.schemathesis.command, args, env, work, 170_000);
    if (code !== 0) console.error(output);
    expect(code, 'schemathesis exit code (its report is above)').toBe(0);
    expect(output).toMatch(/No issues found/);
  }, 180_000);
});

/** Runs a command to its end with all its output (Schemathesis reports each failure at length). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}
