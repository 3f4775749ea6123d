// npm run bench: the cost of governance against bare Temporal, in one run, on one server.
// Entry point: the only bench file that reads process.env and argv.
import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { startBenchStack, type BenchStack } from './bench-stack.js';
import { bundleModules } from './bundle-modules.js';
import { summarizeProfiles } from './cpu-profile-summary.js';
import { machineBusyMs } from './cpu-usage.js';
import type { GateComputeMessage, GateComputeResult } from './gate-compute.js';
import { stepSummaries } from './history-timing.js';
import { benchRequest, runRound } from './load-driver.js';
import { cpuByGroup, cpuSnapshot, PROCESS_GROUPS } from './process-cpu.js';
import { ActionGateClient } from '../src/client/actiongate-client.js';
import { demoSigner } from '../src/demo/demo-keys.js';
import { machineInfo } from './machine-info.js';
import { renderPerformanceDoc, renderTables, type BenchResult, type InFlightMemory, type LoadedVariant, type ProfiledVariant, type ScaleLevel } from './report.js';
import { summarize } from './stats.js';
import { bareSubmitter, governedSubmitter, VARIANTS, type ActionTiming, type SubmitAction, type Variant } from './variants.js';
import { startBenchWorker, type BenchWorkerProcess } from './worker-process.js';
import { writeBenchWorkflowBundle } from './workflow-bundle.js';
import { CLI_BENCH_END, CLI_BENCH_START } from './cli-bench-markers.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const GATE_COMPUTE_ENTRY = fileURLToPath(new URL('./gate-compute.ts', import.meta.url));
/** cedar-wasm can abort V8 on Node 20 when large sets are compiled after heavy evaluation (see src/policy/policy-set.ts). */
const GATE_NODE_FLAGS = ['--no-turbo-inlining'];

const HELP = `Usage: npm run bench -- [options]

Measures what ActionGate costs on top of bare Temporal, on one Temporal server and one worker:
  governed  ActionGateClient.submit (Update-With-Start; the update result is the decision), then result()
  bare      a plain workflow, same Update-With-Start (its update answers at once), same dispatch activity
Then the gate's pure compute per decision (no Temporal), with 50 and 5,000 policies.
Prints a markdown table and writes docs/PERFORMANCE.md.

Options:
  --n N                  actions per variant in the measured phase (default 400, at least 300 recommended)
  --concurrency C        actions in flight at once (default 16)
  --warmup W             actions per variant before measuring, discarded (default 50)
  --round R              actions per variant per round; rounds alternate variants (default 100)
  --sequential S         actions per variant at concurrency 1, alternating, for the latency breakdown (default 40)
  --gate-decisions D     decisions per policy set in the gate compute bench (default 20000)
  --profile-actions P    actions per variant under node --cpu-prof, in a separate worker (default 150)
  --no-profile           skip the CPU profile phase
  --scale LEVELS         concurrency levels of the scale phase, both variants (default 1,16,64,256; none: skip)
  --in-flight N          actions left waiting for operators at the end, for the worker's memory (default 1000; 0: skip)
  --separate-bundles     bare runs from its own bundle on its own task queue (same worker process), so it
                         does not load the governed workflow's modules; default: one bundle, one queue
  --out FILE             where to write the report (default docs/PERFORMANCE.md)
  --no-write             print only, do not write the report
  -h, --help             this text

Environment:
  TEMPORAL_ADDRESS       use this Temporal server (default: start a headless dev server)
  TEMPORAL_NAMESPACE     namespace (default "default")
  DATABASE_URL           use this Postgres (default: start an embedded one with a fresh database)
`;

interface BenchArgs {
  n: number;
  concurrency: number;
  warmup: number;
  round: number;
  sequential: number;
  gateDecisions: number;
  profileActions: number;
  profile: boolean;
  separateBundles: boolean;
  /** Concurrency levels of the scale phase (empty: skipped). */
  scale: number[];
  /** Actions left waiting for operators at the end, to read the worker's memory (0: skipped). */
  inFlight: number;
  out: string | null;
}

function parseBenchArgs(argv: string[]): BenchArgs | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      n: { type: 'string', default: '400' },
      concurrency: { type: 'string', default: '16' },
      warmup: { type: 'string', default: '50' },
      round: { type: 'string', default: '100' },
      sequential: { type: 'string', default: '40' },
      'gate-decisions': { type: 'string', default: '20000' },
      'profile-actions': { type: 'string', default: '150' },
      'no-profile': { type: 'boolean', default: false },
      'separate-bundles': { type: 'boolean', default: false },
      scale: { type: 'string', default: '1,16,64,256' },
      'in-flight': { type: 'string', default: '1000' },
      out: { type: 'string', default: 'docs/PERFORMANCE.md' },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const int = (name: string, text: string, min: number): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${text}`);
    return value;
  };
  return {
    n: int('n', values.n, 1),
    concurrency: int('concurrency', values.concurrency, 1),
    warmup: int('warmup', values.warmup, 0),
    round: int('round', values.round, 1),
    sequential: int('sequential', values.sequential, 0),
    gateDecisions: int('gate-decisions', values['gate-decisions'], 100),
    profileActions: int('profile-actions', values['profile-actions'], 1),
    profile: !values['no-profile'],
    separateBundles: values['separate-bundles'],
    scale: values.scale === '' || values.scale === 'none' ? [] : values.scale.split(',').map((c) => int('scale', c.trim(), 1)),
    inFlight: int('in-flight', values['in-flight'], 0),
    out: values['no-write'] ? null : resolve(REPO_ROOT, values.out),
  };
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function main(): Promise<number> {
  let args: BenchArgs | 'help';
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const started = Date.now();
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  const scratch = await mkdtemp(join(tmpdir(), 'actiongate-bench-run-'));
  let stack: BenchStack | undefined;
  try {
    log('starting Temporal and Postgres');
    stack = await startBenchStack({
      repoRoot: REPO_ROOT,
      namespace,
      log: (line) => log(line),
      ...(process.env.TEMPORAL_ADDRESS ? { temporalAddress: process.env.TEMPORAL_ADDRESS } : {}),
      ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    });
    const result = await measureOnStack(args, stack, namespace, scratch);
    await stack.stop();
    stack = undefined;

    log(`gate compute: ${args.gateDecisions} decisions per set, in a child process with node ${GATE_NODE_FLAGS.join(' ')}`);
    const gate = await runGateComputeChild(args.gateDecisions);
    const full: BenchResult = { ...result, gate, totalSeconds: (Date.now() - started) / 1000 };

    process.stdout.write(`${renderTables(full)}\n`);
    if (args.out) {
      // Keep the section npm run bench:cli writes (bench/cli.ts), which this run does not measure.
      const previous = await readFile(args.out, 'utf8').catch(() => '');
      const cliStart = previous.indexOf(CLI_BENCH_START);
      const cliEnd = previous.indexOf(CLI_BENCH_END);
      const cliSection = cliStart >= 0 && cliEnd > cliStart ? `\n${previous.slice(cliStart, cliEnd + CLI_BENCH_END.length)}\n` : '';
      await writeFile(args.out, `${renderPerformanceDoc(full).trimEnd()}\n${cliSection}`);
      log(`wrote ${args.out}`);
    }
    log(`done in ${full.totalSeconds.toFixed(0)} s`);
    return 0;
  } finally {
    await stack?.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

type StackResult = Omit<BenchResult, 'gate' | 'totalSeconds'>;

async function measureOnStack(args: BenchArgs, stack: BenchStack, namespace: string, scratch: string): Promise<StackResult> {
  log('bundling workflow code');
  const taskQueues: Record<Variant, string> = args.separateBundles
    ? { governed: 'actiongate-bench-governed', bare: 'actiongate-bench-bare' }
    : { governed: 'actiongate-bench', bare: 'actiongate-bench' };
  const queues = args.separateBundles
    ? [
        { taskQueue: taskQueues.governed, workflowBundlePath: await writeBenchWorkflowBundle(join(scratch, 'governed'), log, { workflowsPath: resolve(REPO_ROOT, 'workflows/index.ts') }) },
        { taskQueue: taskQueues.bare, workflowBundlePath: await writeBenchWorkflowBundle(join(scratch, 'bare'), log, { workflowsPath: resolve(REPO_ROOT, 'bench/bare-workflow.ts') }) },
      ]
    : [{ taskQueue: taskQueues.governed, workflowBundlePath: await writeBenchWorkflowBundle(scratch, log) }];
  const workerConfig = {
    temporalAddress: stack.temporalAddress,
    namespace,
    databaseUrl: stack.databaseUrl,
    policiesDir: resolve(REPO_ROOT, 'policies'),
    queues,
  };

  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, namespace });
  const submitters: Record<Variant, SubmitAction> = {
    governed: governedSubmitter(client, taskQueues.governed),
    bare: bareSubmitter(client, taskQueues.bare),
  };
  const runId = new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14);
  let worker: BenchWorkerProcess | undefined;
  try {
    const machine = await machineInfo(connection, stack.temporalCliVersion);
    log('starting the worker child');
    worker = await startBenchWorker({ config: workerConfig, cwd: REPO_ROOT });
    log(`worker pid ${worker.pid} ready (policies ${worker.policyDigest})`);

    // Warm-up: JIT, connection pools, sticky caches. Discarded.
    for (const variant of VARIANTS) {
      const round = await runRound({ variant, submit: submitters[variant], count: args.warmup, concurrency: args.concurrency, runId: `${runId}w` });
      assertNoFailures(round.failures, variant, 'warm-up');
      log(`warm-up ${variant}: ${args.warmup} actions`);
    }

    // Sequential, alternating one by one: latency without queueing, and its breakdown.
    const sequential: Record<Variant, ActionTiming[]> = { governed: [], bare: [] };
    for (let i = 0; i < args.sequential; i++) {
      for (const variant of i % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
        const round = await runRound({ variant, submit: submitters[variant], count: 1, concurrency: 1, runId: `${runId}s` });
        assertNoFailures(round.failures, variant, 'sequential');
        sequential[variant].push(...round.timings);
      }
    }
    if (args.sequential > 0) log(`sequential: ${args.sequential} actions per variant`);

    // Measured: rounds alternate the variants (and which goes first), so machine noise hits both alike.
    await worker.drainTimings();
    const loaded: Record<Variant, LoadedVariant> = {
      governed: emptyLoaded(),
      bare: emptyLoaded(),
    };
    for (let done = 0, r = 0; done < args.n; r++) {
      const count = Math.min(args.round, args.n - done);
      for (const variant of r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
        const cpu0 = worker.cpuMs();
        const machine0 = machineBusyMs();
        const round = await runRound({ variant, submit: submitters[variant], count, concurrency: args.concurrency, runId });
        const cpu1 = worker.cpuMs();
        const machine1 = machineBusyMs();
        const into = loaded[variant];
        into.timings.push(...round.timings);
        into.failures.push(...round.failures);
        into.wallMs += round.wallMs;
        into.workerCpuMs = addKnown(into.workerCpuMs, cpu0, cpu1);
        into.machineCpuMs = addKnown(into.machineCpuMs, machine0, machine1);
        const d = summarize(round.timings.map((t) => t.decisionMs));
        log(
          `${variant.padEnd(8)} ${String(done + count).padStart(5)}/${args.n}: ${(count / (round.wallMs / 1000)).toFixed(1)} actions/s, ` +
            `decision p50 ${d.p50.toFixed(1)} ms${round.failures.length ? `, ${round.failures.length} failed` : ''}`,
        );
      }
      done += count;
    }
    const storeTimings = await worker.drainTimings();
    const memory = worker.memory();

    log('reading workflow histories for the latency breakdown');
    const stepsSequential = {} as BenchResult['steps']['sequential'];
    const stepsLoaded = {} as BenchResult['steps']['loaded'];
    for (const variant of VARIANTS) {
      stepsSequential[variant] = await stepSummaries(client, sequential[variant]);
      stepsLoaded[variant] = await stepSummaries(client, sample(loaded[variant].timings, 60));
    }

    const scale = args.scale.length > 0 ? await scalePhase(args, worker, submitters, runId) : [];
    const inFlight = args.inFlight > 0 ? await inFlightPhase(args, worker, client, taskQueues.governed, runId) : null;
    await worker.stop();
    worker = undefined;

    const profile = args.profile ? await profileVariants(args, workerConfig, submitters, runId, scratch) : null;

    return {
      args: { n: args.n, concurrency: args.concurrency, warmup: args.warmup, round: args.round, sequential: args.sequential, gateDecisions: args.gateDecisions, separateBundles: args.separateBundles, profileActions: args.profile ? args.profileActions : 0 },
      date: new Date().toISOString(),
      machine,
      stack: { temporal: stack.temporalSource, postgres: stack.postgresSource },
      workflowsModule: args.separateBundles ? 'workflows/index.ts (governed) and bench/bare-workflow.ts (bare), two task queues' : 'bench/workflows.ts (both variants), one task queue',
      sequential,
      loaded,
      storeTimings: { append: summarize(storeTimings.append), findByKey: summarize(storeTimings.findByKey) },
      memory,
      steps: { sequential: stepsSequential, loaded: stepsLoaded },
      profile,
      scale,
      inFlight,
    };
  } finally {
    await worker?.stop();
    await connection.close();
  }
}

/**
 * Throughput and latency at each concurrency level, both variants (alternating, governed first at
 * even levels), with the CPU each process group used: where the machine saturates.
 */
async function scalePhase(args: BenchArgs, worker: BenchWorkerProcess, submitters: Record<Variant, SubmitAction>, runId: string): Promise<ScaleLevel[]> {
  const levels: ScaleLevel[] = [];
  for (const [i, concurrency] of args.scale.entries()) {
    // Enough actions that the level runs at its concurrency for a while: 4 per lane, at least 40.
    const count = Math.max(40, concurrency * 4);
    for (const variant of i % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
      const cpu0 = cpuSnapshot();
      const machine0 = machineBusyMs();
      const round = await runRound({ variant, submit: submitters[variant], count, concurrency, runId: `${runId}c${concurrency}` });
      const machine1 = machineBusyMs();
      const cpu = cpuByGroup(cpu0, cpuSnapshot(), { worker: worker.pid, client: process.pid });
      const level: ScaleLevel = {
        concurrency,
        variant,
        actions: round.timings.length,
        failures: round.failures.length,
        firstFailure: round.failures[0] ?? null,
        wallMs: round.wallMs,
        decision: summarize(round.timings.map((t) => t.decisionMs)),
        done: summarize(round.timings.map((t) => t.doneMs)),
        cpuMs: cpu,
        machineBusyMs: machine0 !== undefined && machine1 !== undefined ? machine1 - machine0 : null,
      };
      levels.push(level);
      log(
        `scale c=${concurrency} ${variant.padEnd(8)}: ${(level.actions / (round.wallMs / 1000)).toFixed(1)} actions/s, done p99 ${level.done.p99.toFixed(0)} ms` +
          `${level.failures ? `, ${level.failures} failed` : ''}; CPU cores: ${PROCESS_GROUPS.map((g) => `${g} ${(cpu[g] / round.wallMs).toFixed(2)}`).join(', ')}`,
      );
    }
  }
  return levels;
}

/**
 * Worker memory with many actions open at once: transfers to a payee the treasury has not vetted
 * (STEP_UP, waiting up to 15 minutes for two operators), so each stays in flight, cached in the
 * worker, until the bench stops. Measured last: they are left waiting.
 */
async function inFlightPhase(args: BenchArgs, worker: BenchWorkerProcess, client: Client, taskQueue: string, runId: string): Promise<InFlightMemory> {
  const gate = new ActionGateClient({ client, taskQueue, signer: demoSigner('agent-42') });
  const before = worker.memory().endRss;
  const started = performance.now();
  let next = 0;
  let waiting = 0;
  const failures: string[] = [];
  const lane = async () => {
    while (next < args.inFlight) {
      next++;
      const request = { ...benchRequest('governed', `${runId}f`), target: { type: 'supplier-account', id: 'NL91ABNA0417164300' } };
      try {
        const { decision } = await gate.submit(request);
        if (decision.outcome === 'STEP_UP' && decision.waitsFor) waiting++;
        else failures.push(`${request.idempotencyKey}: ${decision.outcome} ${decision.reasons.join(', ')}`);
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: 32 }, lane));
  const submitMs = performance.now() - started;
  // Let the last activations finish and the heap settle before reading.
  await new Promise((r) => setTimeout(r, 3_000));
  const memory = worker.memory();
  log(`in flight: ${waiting} actions waiting for operators; worker RSS ${(before / 2 ** 20).toFixed(0)} → ${(memory.endRss / 2 ** 20).toFixed(0)} MiB`);
  if (failures.length > 0) log(`in flight: ${failures.length} did not wait, first: ${failures[0]}`);
  return { requested: args.inFlight, waiting, submitMs, rssBefore: before, rssInFlight: memory.endRss, idleRss: memory.idleRss, peakRss: memory.peakRss };
}

/** One worker child per variant under --cpu-prof, so each profile holds one variant's work only. */
async function profileVariants(
  args: BenchArgs,
  workerConfig: Parameters<typeof startBenchWorker>[0]['config'],
  submitters: Record<Variant, SubmitAction>,
  runId: string,
  scratch: string,
): Promise<Record<Variant, ProfiledVariant>> {
  const out = {} as Record<Variant, ProfiledVariant>;
  const bundles = (await Promise.all(workerConfig.queues.map(async (q) => bundleModules(await readFile(q.workflowBundlePath, 'utf8'))))).filter(
    (b): b is NonNullable<typeof b> => b !== undefined,
  );
  for (const variant of VARIANTS) {
    const dir = join(scratch, `cpu-profile-${variant}`);
    const worker = await startBenchWorker({ config: workerConfig, cwd: REPO_ROOT, nodeFlags: ['--cpu-prof', '--cpu-prof-dir', dir] });
    try {
      await runRound({ variant, submit: submitters[variant], count: Math.min(args.warmup, 30), concurrency: args.concurrency, runId: `${runId}pw` });
      const cpu0 = worker.cpuMs();
      const fromUs = Number(process.hrtime.bigint() / 1000n);
      const round = await runRound({ variant, submit: submitters[variant], count: args.profileActions, concurrency: args.concurrency, runId: `${runId}p` });
      const toUs = Number(process.hrtime.bigint() / 1000n);
      const cpu1 = worker.cpuMs();
      assertNoFailures(round.failures, variant, 'profile');
      await worker.stop();
      out[variant] = {
        actions: args.profileActions,
        workerCpuMs: cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : null,
        // Only the samples of the measured round: not start-up, warm-up or shutdown.
        threads: await summarizeProfiles(dir, { top: 10, window: { fromUs, toUs }, bundles }),
      };
      log(`profiled ${variant}: ${args.profileActions} actions under --cpu-prof`);
    } finally {
      await worker.stop();
    }
  }
  return out;
}

function runGateComputeChild(decisions: number): Promise<GateComputeResult> {
  return new Promise((resolvePromise, reject) => {
    const child = fork(GATE_COMPUTE_ENTRY, [], { cwd: REPO_ROOT, execArgv: [...GATE_NODE_FLAGS, '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    child.on('message', (message: GateComputeMessage) => {
      if (message.type === 'result') {
        settled = true;
        resolvePromise(message.result);
      }
      if (message.type === 'failed') {
        settled = true;
        reject(new Error(`gate compute failed: ${message.message}`));
      }
    });
    child.once('exit', (code, signal) => {
      if (!settled) reject(new Error(`gate compute child exited (${signal ?? `code ${code}`}) without a result`));
    });
    child.send({ type: 'run', decisions, warmup: Math.min(1000, decisions) } satisfies GateComputeMessage);
  });
}

function emptyLoaded(): LoadedVariant {
  return { timings: [], failures: [], wallMs: 0, workerCpuMs: 0, machineCpuMs: 0 };
}

function addKnown(total: number | null, before: number | undefined, after: number | undefined): number | null {
  if (total === null || before === undefined || after === undefined) return null;
  return total + (after - before);
}

/** Every k-th item, about `count` of them, spread over the whole phase. */
function sample<T>(items: readonly T[], count: number): T[] {
  const step = Math.max(1, Math.floor(items.length / count));
  return items.filter((_, i) => i % step === 0).slice(0, count);
}

function assertNoFailures(failures: string[], variant: Variant, phase: string): void {
  if (failures.length > 0) throw new Error(`${variant} ${phase}: ${failures.length} actions failed, first: ${failures[0]}`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
