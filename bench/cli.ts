// npm run bench:cli: how fast the CLI and the worker start, from the build (dist/). Prints a
// markdown section and writes it into docs/PERFORMANCE.md between the cli-bench markers (npm run
// bench keeps that section). Needs `npm run build` first and the Temporal CLI (.tools/).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleWorkflowCode } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { ActionGateClient } from '../src/client/actiongate-client.js';
import { demoPrivateKeyFile, demoSigner } from '../src/demo/demo-keys.js';
import { startLocalStack } from '../src/devstack/local-stack.js';
import { writePrivateKeyFile } from '../src/keys/private-key-file.js';
import { WORKFLOWS_PATH } from '../src/worker/actiongate-worker.js';
import { CLI_BENCH_END, CLI_BENCH_START } from './cli-bench-markers.js';
import { benchRequest } from './load-driver.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const BIN = join(REPO_ROOT, 'bin', 'actiongate.js');

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '10' }, out: { type: 'string', default: 'docs/PERFORMANCE.md' } } });
const RUNS = Number(args.runs);
const log = (line: string) => process.stderr.write(`bench:cli: ${line}\n`);

function timed(argv: string[], env: NodeJS.ProcessEnv, until?: string, stdin = ''): Promise<{ ms: number; code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, argv, { env: { PATH: process.env.PATH, ...env }, cwd: REPO_ROOT });
    let output = '';
    const onData = (d: Buffer) => {
      output += d;
      if (until && output.includes(until)) {
        const ms = performance.now() - started;
        child.kill('SIGTERM');
        child.once('close', (code) => done({ ms, code, output }));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', fail);
    if (!until) child.on('close', (code) => done({ ms: performance.now() - started, code, output }));
    child.stdin.end(stdin);
  });
}

async function median(n: number, f: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(await f());
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)] as number;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rows: Array<[string, string, string]> = [];

// 1. --help: the build, and (for comparison) the sources through tsx with every command module
// loaded up front, as bin/actiongate.js did before the build (the TypeScript CLI, imported eagerly).
const eagerTsx = `import { register } from 'tsx/esm/api'; register();
for (const m of ['start', 'worker', 'submit', 'db-migrate', 'policy', 'keys', 'replay', 'receipts', 'verify', 'approvals', 'approve'])
  await import('./src/cli/commands/' + m + '.ts');
const { run } = await import('./src/cli/main.ts'); await run(['--help'], process.env);`;
const helpBuilt = await median(RUNS, async () => (await timed([BIN, '--help'], {})).ms);
const helpTsx = await median(Math.min(RUNS, 3), async () => (await timed(['--input-type=module', '-e', eagerTsx], {})).ms);
rows.push(['`actiongate --help`', s(helpBuilt), `${s(helpTsx)} before (tsx, every command loaded); target ≤ 0.3 s`]);
const submitHelp = await median(RUNS, async () => (await timed([BIN, 'submit', '--help'], {})).ms);
rows.push(['`actiongate submit --help`', s(submitHelp), '']);
log(`--help ${s(helpBuilt)} (tsx eager ${s(helpTsx)})`);

// 2. The worker and submit, against a local stack.
const dataDir = await mkdtemp(join(tmpdir(), 'ag-bench-cli-'));
const stack = await startLocalStack({ dataDir, toolsDir: join(REPO_ROOT, '.tools'), namespace: 'default', log: () => undefined });
try {
  const env = { TEMPORAL_ADDRESS: stack.temporalAddress, DATABASE_URL: stack.databaseUrl, ACTIONGATE_POLICIES: join(REPO_ROOT, 'policies'), ACTIONGATE_TASK_QUEUE: 'bench-cli' };
  // First start migrates and registers search attributes; measure the starts after it.
  await timed([BIN, 'worker'], env, 'worker polling task queue');
  const workerReady = await median(Math.min(RUNS, 5), async () => (await timed([BIN, 'worker'], env, 'worker polling task queue')).ms);
  const bundleStarted = performance.now();
  await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
  const bundleMs = performance.now() - bundleStarted;
  rows.push(['`actiongate worker`: start to first poll', s(workerReady), `prebuilt workflow bundle; bundling at start instead costs ${s(bundleMs)} more; target ≤ 3 s`]);
  log(`worker ready ${s(workerReady)}, bundling ${s(bundleMs)}`);

  // submit: the CLI's wall time against the same request through an in-process client.
  const worker = spawn(process.execPath, [BIN, 'worker'], { env: { PATH: process.env.PATH, ...env }, cwd: REPO_ROOT, stdio: 'ignore' });
  try {
    const keyFile = join(dataDir, 'agent-42.key.json');
    await writePrivateKeyFile(keyFile, demoPrivateKeyFile('agent-42'));
    // A permitted payment under a fresh key each time.
    const request = () => benchRequest('governed', `cli-${process.pid}`);
    const connection = await Connection.connect({ address: stack.temporalAddress });
    const gate = new ActionGateClient({ client: new Client({ connection }), taskQueue: 'bench-cli', signer: demoSigner('agent-42') });
    // Decisions only (submit --no-wait): the sample connectors point at 127.0.0.1:8787, which is
    // not running here, so dispatch would retry.
    await gate.submit(request()); // warm: the worker's first task
    const inProcess = await median(RUNS, async () => {
      const t = performance.now();
      await gate.submit(request());
      return performance.now() - t;
    });
    const cli = await median(RUNS, async () => {
      const r = await timed([BIN, 'submit', '--no-wait', '--key', keyFile, '-'], env, undefined, JSON.stringify(request()));
      if (r.code !== 0) throw new Error(`submit failed:\n${r.output}`);
      return r.ms;
    });
    await connection.close();
    rows.push(['`actiongate submit --no-wait` (PERMIT decision)', s(cli), `the same decision through an in-process client: ${s(inProcess)}; CLI overhead ${s(cli - inProcess)}`]);
    log(`submit ${s(cli)} vs in-process ${s(inProcess)}`);
  } finally {
    worker.kill('SIGTERM');
  }
} finally {
  await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
}

const section = [
  CLI_BENCH_START,
  '## CLI and worker start',
  '',
  `Measured by \`npm run bench:cli\` (bench/cli.ts) on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}: medians of ${RUNS} runs (worker: 5), wall time of a child process from spawn, from the build (dist/).`,
  '',
  '| What | Time | Notes |',
  '|---|---|---|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  CLI_BENCH_END,
].join('\n');
process.stdout.write(`${section}\n`);
if (args.out) {
  const doc = await readFile(args.out, 'utf8');
  const [before, rest] = doc.includes(CLI_BENCH_START) ? [doc.slice(0, doc.indexOf(CLI_BENCH_START)), doc.slice(doc.indexOf(CLI_BENCH_END) + CLI_BENCH_END.length)] : [`${doc.trimEnd()}\n\n`, '\n'];
  await writeFile(args.out, `${before}${section}${rest}`);
  log(`wrote ${args.out}`);
}
