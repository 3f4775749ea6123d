// examples/python/submit_action.py, run with Python and `requests` (from .tools/schemathesis) against a
// real `actiongate serve` stack, authenticated with agent-analyst's API key: what a Python agent sees.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOrInstallSchemathesis, type PythonTools } from '../../src/devstack/schemathesis.js';
import { startApiStack, TEST_API_KEYS, type ApiStack } from '../support/api-server.js';
import { uniqueId } from '../support/harness.js';
import { REPO_ROOT } from '../support/paths.js';
import { tempDir } from '../support/temp-dir.js';

const SCRIPT = join(REPO_ROOT, 'examples', 'python', 'submit_action.py');

let stack: ApiStack;
let tools: PythonTools;
let dir: string;

beforeAll(async () => {
  [stack, tools, dir] = await Promise.all([startApiStack(), findOrInstallSchemathesis({ toolsDir: join(REPO_ROOT, '.tools') }), tempDir('actiongate-py-')]);
});

afterAll(async () => {
  await stack?.stop();
});

/** examples/data-exports-internal.json under a fresh key, with `changes` applied. */
async function exportRequest(changes: Record<string, unknown> = {}): Promise<{ file: string; key: string }> {
  const request = { ...JSON.parse(await readFile(join(REPO_ROOT, 'examples', 'data-exports-internal.json'), 'utf8')), idempotencyKey: uniqueId('py-export'), ...changes };
  const file = join(dir, `${request.idempotencyKey}.json`);
  await writeFile(file, JSON.stringify(request));
  return { file, key: request.idempotencyKey };
}

function runExample(file: string, apiKey: string = TEST_API_KEYS['agent-analyst']): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...tools.python.env, ACTIONGATE_URL: stack.url, ACTIONGATE_API_KEY: apiKey };
    const child = spawn(tools.python.command, [SCRIPT, file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function receiptIds(key: string): Promise<string[]> {
  const { rows } = await stack.pool.query<{ receipt_id: string }>('SELECT receipt_id FROM receipts WHERE idempotency_key = $1 ORDER BY seq', [key]);
  return rows.map((row) => row.receipt_id);
}

describe('when the Python example submits an export the policies permit', () => {
  it('prints PERMIT, the dispatch and both receipt ids, exits 0; again: the same, and one dispatch', async () => {
    const { file, key } = await exportRequest();
    const first = await runExample(file);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^outcome\s+PERMIT$/m);
    expect(first.stdout).toMatch(/^reasons\s+data-exports\.permit-export$/m);
    expect(first.stdout).toMatch(/^dispatch\s+succeeded$/m);
    const ids = await receiptIds(key);
    expect(ids).toHaveLength(2);
    expect(first.stdout).toContain(`receipt   decision  ${ids[0]}`);
    expect(first.stdout).toContain(`receipt   outcome   ${ids[1]}`);

    const again = await runExample(file);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`receipt   decision  ${ids[0]}`);
    expect(stack.fake.callsFor(key)).toHaveLength(1);
  });
});

describe('when the policies refuse it', () => {
  it('prints DENY with the policies and exits 3; nothing is dispatched', async () => {
    const { file, key } = await exportRequest({ context: { classification: 'restricted', destination: 'partner' } });
    const { code, stdout } = await runExample(file);
    expect(code).toBe(3);
    expect(stdout).toMatch(/^outcome\s+DENY$/m);
    expect(stdout).toMatch(/data-exports\.forbid-restricted/);
    expect(stack.fake.callsFor(key)).toHaveLength(0);
  });
});

describe('when the API refuses the request', () => {
  it('prints the problem and every bad field, and exits 1', async () => {
    const { file } = await exportRequest({ surface: 'Data Exports', context: { gate: 'mine' } });
    const { code, stdout, stderr } = await runExample(file);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error\s+400 INVALID_REQUEST/m);
    expect(stderr).toMatch(/^ {2}- surface: /m);
    expect(stderr).toMatch(/^ {2}- context\.gate: /m);
  });

  it('a wrong API key: 401 UNAUTHENTICATED, exits 1', async () => {
    const { file } = await exportRequest();
    const { code, stderr } = await runExample(file, 'agk_not_a_key');
    expect(code).toBe(1);
    expect(stderr).toMatch(/401 UNAUTHENTICATED/);
  });
});
