// `actiongate policy publish|activate|list|show` and `actiongate worker` in store mode.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleError } from '../../src/bundle/bundle-error.js';
import { CliError } from '../../src/cli/cli-error.js';
import type { CommandIo } from '../../src/cli/command-io.js';
import { policyActivateCommand } from '../../src/cli/commands/policy-activate.js';
import { policyListCommand } from '../../src/cli/commands/policy-list.js';
import { policyPublishCommand } from '../../src/cli/commands/policy-publish.js';
import { policyShowCommand } from '../../src/cli/commands/policy-show.js';
import { resolveConfig, type ActionGateConfig } from '../../src/cli/config.js';
import type { Signer } from '../../src/keys/signer.js';
import { BundleStoreError } from '../../src/store/bundle-store-error.js';
import { PgBundleStore, type Activation, type BundleSummary } from '../../src/store/bundle-store.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { eventually, freshDatabase, newSigner, signedBundle, trustedKeys, type TestBundle } from '../support/bundles.js';
import { connectTemporal, gateClient, paymentRequest, policiesDispatchingTo, testEnv, uniqueId } from '../support/harness.js';
import { REPO_ROOT } from '../support/paths.js';
import { tempDir } from '../support/temp-dir.js';

const BIN = join(REPO_ROOT, 'bin', 'actiongate.js');

let pool: pg.Pool;
let url: string;
let dir: string;
let keysFile: string;
let signer: Signer;
let env: Record<string, string>;
let config: ActionGateConfig;
let fake: FakeExternalSystem;
let policiesDir: string;

beforeAll(async () => {
  ({ pool, url } = await freshDatabase());
  fake = await startFakeExternalSystem();
  dir = await tempDir('actiongate-bundle-cli-');
  signer = newSigner();
  keysFile = join(dir, 'trusted.json');
  await writeFile(keysFile, JSON.stringify(trustedKeys(signer)));
  policiesDir = await policiesDispatchingTo(fake);
  const t = testEnv();
  env = {
    TEMPORAL_ADDRESS: t.temporalAddress,
    TEMPORAL_NAMESPACE: t.namespace,
    DATABASE_URL: url,
    ACTIONGATE_TASK_QUEUE: uniqueId('bundle-cli'),
    ACTIONGATE_BUNDLE_KEYS: keysFile,
    ACTIONGATE_POLICIES: '/nonexistent/not-used-in-store-mode',
  };
  config = resolveConfig(env);
});

afterAll(async () => {
  await pool?.end();
  await fake?.close();
});

function capture(): CommandIo & { lines: string[]; logs: string[] } {
  const lines: string[] = [];
  const logs: string[] = [];
  return { lines, logs, out: (l) => lines.push(l), log: (l) => logs.push(l) };
}

async function bundleFile(options: { signedBy?: Signer; revision?: number } = {}): Promise<TestBundle & { path: string }> {
  const bundle = await signedBundle(options.signedBy ?? signer, { dir: policiesDir, ...(options.revision ? { revision: options.revision } : {}) });
  const path = join(dir, `${bundle.version}.json`);
  await writeFile(path, bundle.text);
  return { ...bundle, path };
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: Error) => err,
  );
}

async function publish(bundle: { path: string }): Promise<string> {
  const io = capture();
  expect(await policyPublishCommand(config, [bundle.path, '--by', 'alice'], io)).toBe(0);
  return io.lines.join('\n');
}

async function activate(ref: string, ...flags: string[]): Promise<string> {
  const io = capture();
  expect(await policyActivateCommand(config, [ref, ...flags], io)).toBe(0);
  return io.lines.join('\n');
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('when bundles are published', () => {
  it('publishes a verified bundle once and reports it again as already published', async () => {
    const bundle = await bundleFile();
    const first = await publish(bundle);
    expect(first).toMatch(new RegExp(`^published ${bundle.version}\\ndigest +sha256:[0-9a-f]{64}`));
    expect(first).toContain('published    ');
    expect(await publish(bundle)).toMatch(new RegExp(`^already published ${bundle.version}`));
  });

  it('refuses a bundle from an untrusted key, naming the code', async () => {
    const err = await refusal(policyPublishCommand(config, [(await bundleFile({ signedBy: newSigner() })).path, '--by', 'alice'], capture()));
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).code).toBe('UNTRUSTED_KEY');
  });

  it('is a usage error without a FILE, and a configuration error without trusted keys', async () => {
    const usage = await refusal(policyPublishCommand(config, ['--by', 'alice'], capture()));
    expect([(usage as CliError).code, (usage as CliError).exitCode]).toEqual(['USAGE', 2]);
    const unknown = await refusal(policyPublishCommand(config, ['x.json', '--frob'], capture()));
    expect((unknown as CliError).exitCode).toBe(2);
    const missing = await refusal(policyPublishCommand(config, [join(dir, 'nope.json'), '--by', 'alice'], capture()));
    expect((missing as CliError).message).toContain('nope.json');
    const { bundleKeys: _keys, ...noKeys } = config;
    const err = await refusal(policyPublishCommand(noKeys, [(await bundleFile()).path, '--by', 'alice'], capture()));
    expect([(err as CliError).code, (err as CliError).exitCode]).toEqual(['CONFIG', 1]);
    expect(err.message).toContain('ACTIONGATE_BUNDLE_KEYS');
  });

  it('every subcommand has --help', async () => {
    for (const command of [policyPublishCommand, policyActivateCommand, policyListCommand, policyShowCommand]) {
      const io = capture();
      expect(await command(config, ['--help'], io)).toBe(0);
      expect(io.lines.join('\n')).toMatch(/^Usage: actiongate policy (publish|activate|list|show)/);
    }
  });
});

describe('when bundles are activated and rolled back', () => {
  it('refuses a lower revision without --rollback, records it as a rollback with it, and logs who, when, from and to', async () => {
    const older = await bundleFile();
    const newer = await bundleFile();
    await publish(older);
    await publish(newer);
    expect(await activate(older.version, '--by', 'alice', '--note', 'first')).toMatch(new RegExp(`^activated ${older.version}`));
    expect(await activate(newer.version, '--by', 'bob')).toContain(`previous     ${older.version}`);

    const refused = await refusal(policyActivateCommand(config, [older.version, '--by', 'carol'], capture()));
    expect(refused).toBeInstanceOf(BundleStoreError);
    expect((refused as BundleStoreError).code).toBe('ROLLBACK_REQUIRED');
    expect(refused.message).toContain(older.version);

    const back = await activate(older.version, '--rollback', '--by', 'carol', '--note', 'limit too high');
    expect(back).toMatch(new RegExp(`^rolled back to ${older.version}`));
    expect(back).toContain('rollback     yes');

    const io = capture();
    expect(await policyListCommand(config, ['--activations', '--json'], io)).toBe(0);
    const log = JSON.parse(io.lines.join('\n')) as Activation[];
    expect(log.slice(-3).map((a) => [a.previousVersion, a.version, a.activatedBy, a.rollback, a.note])).toEqual([
      [null, older.version, 'alice', false, 'first'], // the first activation in this file's database
      [older.version, newer.version, 'bob', false, null],
      [newer.version, older.version, 'carol', true, 'limit too high'],
    ]);
    for (const a of log) expect(Date.parse(a.activatedAt)).toBeGreaterThan(Date.now() - 120_000);

    const table = capture();
    await policyListCommand(config, ['--activations'], table);
    expect(table.lines[0]).toMatch(/^seq +activated at +by +from +to +rollback +note$/);
    expect(table.lines.at(-1)).toContain('carol');

    const bundles = capture();
    await policyListCommand(config, ['--json'], bundles);
    const listed = JSON.parse(bundles.lines.join('\n')) as BundleSummary[];
    expect(listed.find((b) => b.active)?.version).toBe(older.version);
  });

  it('names an unknown bundle', async () => {
    const err = await refusal(policyActivateCommand(config, ['no-such-label', '--by', 'alice'], capture()));
    expect([(err as BundleStoreError).code, err.message.includes('no-such-label')]).toEqual(['NOT_FOUND', true]);
  });
});

describe('when a bundle is shown', () => {
  it('prints exactly the stored bytes, by version or digest', async () => {
    const bundle = await bundleFile();
    const published = await publish(bundle);
    const digest = /digest +(sha256:[0-9a-f]{64})/.exec(published)?.[1] as string;
    for (const ref of [bundle.version, digest]) {
      const ran = await cli(['policy', 'show', ref]);
      expect(ran.code).toBe(0);
      expect(ran.stdout).toBe(bundle.text);
    }
    const missing = await cli(['policy', 'show', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NOT_FOUND');
  });
});

describe('when a worker runs in store mode', () => {
  let worker: ChildProcess | undefined;
  let log = '';
  let client: Client;
  let connection: Connection;

  beforeAll(async () => {
    ({ client, connection } = await connectTemporal());
  });
  afterAll(async () => {
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    await connection?.close();
  });

  it('serves the active bundle, follows activations without a restart, and says which mode it is in', async () => {
    const first = await bundleFile();
    await publish(first);
    await activate(first.version, '--by', 'alice');

    worker = spawn(process.execPath, [BIN, 'worker'], { env: { PATH: process.env.PATH, ...env }, cwd: REPO_ROOT });
    worker.stdout?.on('data', (d) => (log += d));
    worker.stderr?.on('data', (d) => (log += d));
    await eventually(() => log.includes('worker polling task queue') || worker?.exitCode !== null, 90_000, `the worker to start:\n${log}`);
    expect(log).toContain('worker polling task queue');
    expect(log).toContain(`policy mode store: active bundle ${first.version}`);
    expect(log).not.toContain('development mode');

    const gate = gateClient(client, env.ACTIONGATE_TASK_QUEUE as string);
    const one = await gate.execute(paymentRequest());
    const firstDigest = (await new PgBundleStore(pool).getByVersion(first.version))?.digest;
    expect([one.outcome, one.policy.digest, one.dispatch.status]).toEqual(['PERMIT', firstDigest, 'succeeded']);

    const second = await bundleFile();
    await publish(second);
    await activate(second.version, '--by', 'bob');
    await eventually(() => log.includes(`policy bundle ${second.version}`), 5_000, 'the worker to log the new bundle');
    const two = await gate.execute(paymentRequest());
    expect(two.policy.digest).not.toBe(firstDigest);
    expect(two.dispatch.status).toBe('succeeded');

    const exited = new Promise<number | null>((resolve) => worker?.once('exit', (code) => resolve(code)));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});
