// The CLI worker's log (ACTIONGATE_LOG_FORMAT, ACTIONGATE_LOG_LEVEL): one JSON object a line on
// standard error, its own events, the Temporal SDK's and the gate's loud lines alike, with flat
// fields; pretty human lines on request; a bad setting stops it as a usage error.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOrInstallTemporalCli } from '../../src/devstack/temporal-cli.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { connectTemporal, gateClient, paymentRequest, policiesDispatchingTo, testEnv, uniqueId } from '../support/harness.js';
import { REPO_ROOT } from '../support/paths.js';
import { runCli, startCliWorker, type CliWorker } from '../support/run-cli.js';

const run = promisify(execFile);

type LogEvent = Record<string, unknown> & { level: string; time: string; msg: string };

const workers: CliWorker[] = [];
let fake: FakeExternalSystem;
let policies: string;

beforeAll(async () => {
  fake = await startFakeExternalSystem();
  policies = await policiesDispatchingTo(fake);
});

afterAll(async () => {
  for (const worker of workers) await stop(worker);
  await fake?.close();
});

async function stop(worker: CliWorker): Promise<void> {
  if (worker.process.exitCode !== null || worker.process.signalCode !== null) return;
  const exited = new Promise((resolve) => worker.process.once('exit', resolve));
  worker.process.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (worker.process.exitCode === null) worker.process.kill('SIGKILL');
}

async function worker(extra: NodeJS.ProcessEnv = {}): Promise<{ worker: CliWorker; taskQueue: string }> {
  const env = testEnv();
  const taskQueue = uniqueId('logs-cli');
  const started = await startCliWorker({
    TEMPORAL_ADDRESS: env.temporalAddress,
    TEMPORAL_NAMESPACE: env.namespace,
    DATABASE_URL: env.databaseUrl,
    ACTIONGATE_TASK_QUEUE: taskQueue,
    ACTIONGATE_POLICIES: policies,
    ...extra,
  });
  workers.push(started);
  return { worker: started, taskQueue };
}

async function waitFor(worker: CliWorker, text: string, timeoutMs = 15_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !worker.stderr().includes(text); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(text)} within ${timeoutMs} ms:\n${worker.stderr()}`);
  }
}

/** Every line of standard error, parsed; a line that is not a JSON object fails the test, naming it. */
function events(stderr: string): LogEvent[] {
  return stderr
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
      expect(parsed, line).toBeTypeOf('object');
      return parsed as LogEvent;
    });
}

/** `temporal activity execute`: a stranger's standalone call of one of our activities. */
async function strangerCalls(taskQueue: string, activityType: string, input: unknown): Promise<void> {
  const cli = await findOrInstallTemporalCli({ toolsDir: join(REPO_ROOT, '.tools'), log: () => undefined });
  const args = ['activity', 'execute', '--address', testEnv().temporalAddress, '--namespace', testEnv().namespace, '--task-queue', taskQueue];
  args.push('--type', activityType, '--activity-id', uniqueId('stranger'), '--start-to-close-timeout', '10s', '--retry-maximum-attempts', '1', '--input', JSON.stringify(input));
  await run(cli, args, { timeout: 30_000 }).catch(() => undefined); // refused: the command fails, as it should
}

describe('when the worker logs in JSON (the default)', () => {
  it('writes every event as one JSON line with level, time and msg: its own, the SDK\'s, decisions, dispatches and a refused stranger', async () => {
    const { worker: cli, taskQueue } = await worker();
    const permitted = paymentRequest();
    const denied = paymentRequest({ context: { amount: 9_000_000, currency: 'EUR' } });
    const { client, connection } = await connectTemporal();
    try {
      const gate = gateClient(client, taskQueue);
      expect((await gate.execute(permitted)).dispatch.status).toBe('succeeded');
      expect((await gate.execute(denied)).outcome).toBe('DENY');
    } finally {
      await connection.close();
    }
    await strangerCalls(taskQueue, 'dispatch', { request: paymentRequest() });
    await waitFor(cli, 'SECURITY: refused dispatch');
    await waitFor(cli, `"idempotencyKey":"${denied.idempotencyKey}"`);
    await stop(cli);
    expect(cli.process.exitCode).toBe(0);

    const lines = events(cli.stderr());
    for (const line of lines) {
      expect(Object.keys(line), JSON.stringify(line)).toEqual(expect.arrayContaining(['level', 'time', 'msg']));
      expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(line.level);
      expect(Number.isNaN(Date.parse(line.time))).toBe(false);
      // Flat fields: no nested objects (a dump of an SDK object), no stack at info.
      for (const [key, value] of Object.entries(line)) {
        expect(value === null || typeof value !== 'object' || Array.isArray(value), `${key} in ${JSON.stringify(line)}`).toBe(true);
        expect(key).not.toMatch(/Stack$/);
      }
    }
    const msgs = lines.map((line) => line.msg);
    expect(msgs.some((msg) => msg.startsWith('worker polling task queue'))).toBe(true);
    expect(msgs).toContain('worker stopped');
    // The SDK's own events come through the same logger.
    expect(lines.some((line) => line.sdkComponent === 'worker' && line.taskQueue === taskQueue)).toBe(true);
    // The CLI loads the prebuilt workflow bundle: no bundler statistics at info.
    expect(lines.filter((line) => line.level === 'info' && /webpack|bundle created/i.test(line.msg))).toEqual([]);

    const decisions = lines.filter((line) => line.event === 'decision');
    const permit = decisions.find((line) => line.idempotencyKey === permitted.idempotencyKey);
    expect(permit).toMatchObject({ level: 'info', surface: 'payments', outcome: 'PERMIT', workflowId: permitted.idempotencyKey, workflowType: 'governedActionWorkflow', activityType: 'decide' });
    expect(permit?.runId).toEqual(expect.any(String));
    expect(permit?.reasons).toEqual(['payments.permit-agent-transfer']);
    const deny = decisions.find((line) => line.idempotencyKey === denied.idempotencyKey);
    expect(deny).toMatchObject({ surface: 'payments', outcome: 'DENY', workflowId: denied.idempotencyKey });
    expect(lines.find((line) => line.event === 'dispatch')).toMatchObject({
      idempotencyKey: permitted.idempotencyKey,
      surface: 'payments',
      outcome: 'PERMIT',
      dispatch: 'succeeded',
      runId: permit?.runId,
    });

    const security = lines.filter((line) => line.msg.startsWith('SECURITY: refused'));
    expect(security).toHaveLength(1);
    expect(security[0]).toMatchObject({ level: 'error', activity: 'dispatch', code: 'CALLER_REFUSED', activityType: 'dispatch', taskQueue });
    expect(security[0]?.message).toContain('dispatch runs only for a governedActionWorkflow');
  }, 120_000);
});

describe('when ACTIONGATE_LOG_FORMAT=pretty', () => {
  it('writes human lines, not JSON, one per event', async () => {
    const { worker: cli } = await worker({ ACTIONGATE_LOG_FORMAT: 'pretty' });
    await stop(cli);
    const lines = cli.stderr().split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) {
      expect(() => JSON.parse(line), line).toThrow();
      expect(line).toMatch(/^\S*\[\d\d:\d\d:\d\d\.\d{3}\]\s\S*(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)/);
    }
    expect(lines.some((line) => line.includes('worker polling task queue'))).toBe(true);
  }, 120_000);
});

describe('when a log setting is not one of its values', () => {
  it.each([
    ['ACTIONGATE_LOG_LEVEL', 'loud'],
    ['ACTIONGATE_LOG_FORMAT', 'xml'],
  ])('%s=%s stops the worker at once: exit 2, naming the variable', async (name, value) => {
    const ran = await runCli(['worker'], { [name]: value, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain(name);
    expect(ran.stderr).toContain(JSON.stringify(value));
    expect(ran.stderr).not.toContain('waiting for Postgres');
  });

  it('takes the level in any case (DEBUG as debug)', async () => {
    const ran = await runCli(['worker'], { ACTIONGATE_LOG_LEVEL: 'DEBUG', ACTIONGATE_HTTP_PORT: 'eighty' });
    expect(ran.code).toBe(2);
    const [line] = events(ran.stderr);
    expect(line).toMatchObject({ level: 'fatal', code: 'USAGE' });
    expect(line?.msg).toContain('ACTIONGATE_HTTP_PORT must be a port number');
  });
});
