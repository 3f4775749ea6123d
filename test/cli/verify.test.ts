// `actiongate verify`: an auditor with a key set and an export, nothing else.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SUPERSEDED_ERROR_CODE } from '../../src/receipt/receipt-body.js';
import { OUTCOME_BODY, PERMIT_BODY, testKey1Signer, TRUST_KEY_1_RECEIPTS } from '../fixtures/receipts/golden-receipts.js';
import { exportLines, signChain } from '../receipt/chain-builder.js';
import { receiptCheckpointNote } from '../../src/receipt/verify/index.js';
import { runCli } from '../support/run-cli.js';
import { REPO_ROOT } from '../support/paths.js';
import { tempDir } from '../support/temp-dir.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'receipts');
let dir: string;
let keys: string;
let lines: string[];

beforeAll(async () => {
  dir = await tempDir('actiongate-verify-');
  keys = join(dir, 'keyset.json');
  await writeFile(keys, JSON.stringify(TRUST_KEY_1_RECEIPTS));
  lines = (await readFile(join(FIXTURES, 'log.jsonl'), 'utf8')).split('\n').filter(Boolean);
});

async function exportFile(content: string[]): Promise<string> {
  const file = join(dir, `export-${Math.random().toString(36).slice(2)}.jsonl`);
  await writeFile(file, `${content.join('\n')}\n`);
  return file;
}

describe('when the export is intact', () => {
  it.each(['node', 'noble'])('verifies with the %s back end and exits 0', async (backend) => {
    const ran = await runCli(['verify', '--keys', keys, '--backend', backend, join(FIXTURES, 'log.jsonl')]);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('the log verifies');
  });

  it('verifies a single receipt on its own', async () => {
    const ran = await runCli(['verify', '--keys', keys, join(FIXTURES, 'decision-permit.json')]);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('1 receipt (seq 1, decision) verifies');
  });
});

describe('when a line was removed from the export', () => {
  it('exits 1 naming the gap with its sequence number', async () => {
    const ran = await runCli(['verify', '--keys', keys, await exportFile([lines[0] as string, ...lines.slice(2)])]);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain('seq 2: GAP');
  });
});

describe('when the key set is the wrong one', () => {
  it('rejects the receipts', async () => {
    const wrong = join(dir, 'wrong.json');
    await writeFile(wrong, JSON.stringify({ version: 1, keys: [] }));
    const ran = await runCli(['verify', '--keys', wrong, join(FIXTURES, 'log.jsonl')]);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain('UNKNOWN_KEY');
  });
});

describe('when asked whether actions were authorized', () => {
  it('says yes for the signed PERMIT and no for the signed DENY', async () => {
    const permit = await runCli(['verify', '--keys', keys, '--require-permit', 'pay-0001', join(FIXTURES, 'log.jsonl')]);
    expect(permit.code).toBe(0);
    expect(permit.stdout).toContain('pay-0001: authorized');
    const deny = await runCli(['verify', '--keys', keys, '--require-permit', 'pay-0002', join(FIXTURES, 'log.jsonl')]);
    expect(deny.code).toBe(1);
    expect(deny.stdout).toContain('pay-0002: NOT authorized (NOT_PERMITTED');
  });

  it('says no for a PERMIT an outcome receipt marks superseded', async () => {
    const superseded = { ...OUTCOME_BODY, dispatch: { status: 'skipped' as const, resultHash: null, error: { code: SUPERSEDED_ERROR_CODE, message: 'refused first' } } };
    const file = await exportFile(exportLines(signChain([PERMIT_BODY, superseded], testKey1Signer)));
    const ran = await runCli(['verify', '--keys', keys, '--require-permit', 'pay-0001', file]);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain('the log verifies');
    expect(ran.stdout).toContain('pay-0001: NOT authorized (SUPERSEDED: receipt 1: the agent was refused before this PERMIT was recorded');
  });

  it('reads the export from standard input', async () => {
    const ran = await runCli(['verify', '--keys', keys, '--require-permit', 'pay-0001', '-'], {}, REPO_ROOT, `${lines.join('\n')}\n`);
    expect(ran.code).toBe(0);
  });
});

describe('when called without keys', () => {
  it('exits 2 saying what is missing', async () => {
    const ran = await runCli(['verify', join(FIXTURES, 'log.jsonl')]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('--keys');
  });
});

describe('when the export is large enough to check on several threads', () => {
  const signer = testKey1Signer();
  const big = () =>
    exportLines(
      signChain(
        Array.from({ length: 2_100 }, (_, i) => ({ ...PERMIT_BODY, idempotencyKey: `big-${i}`, workflowId: `big-${i}` })),
        () => signer,
      ),
      signer,
    );

  it('verifies it with --threads 2 (the built worker threads load the back end) and exits 0', async () => {
    const ran = await runCli(['verify', '--keys', keys, '--threads', '2', await exportFile(big())]);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('2100 receipts, 1 checkpoints: the log verifies');
  });

  it('still names a bad signature (checked again on one thread) and exits 1', async () => {
    const content = big();
    const line = content[1_500] as string;
    const at = line.indexOf('"sig":"') + 20;
    content[1_500] = line.slice(0, at) + (line[at] === 'A' ? 'B' : 'A') + line.slice(at + 1);
    const ran = await runCli(['verify', '--keys', keys, '--threads', '2', await exportFile(content)]);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain('seq 1501, line 1501: BAD_SIGNATURE');
  });

  it.each([['0'], ['65'], ['two']])('refuses --threads %s naming the option, exit 2', async (threads) => {
    const ran = await runCli(['verify', '--keys', keys, '--threads', threads, join(FIXTURES, 'log.jsonl')]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('--threads');
  });
});

describe('when a checkpoint held elsewhere is given (--checkpoint)', () => {
  const signer = testKey1Signer();
  const receipts = signChain(Array.from({ length: 10 }, (_, i) => ({ ...PERMIT_BODY, idempotencyKey: `cp-${i}`, workflowId: `cp-${i}` })), () => signer);

  it('passes the export it was taken from, and names a truncated one (exit 1) that verifies without it', async () => {
    const note = join(dir, 'checkpoint.note');
    await writeFile(note, receiptCheckpointNote(receipts, 'actiongate.test/receipts', signer));
    const whole = await exportFile(exportLines(receipts, signer));
    expect((await runCli(['verify', '--keys', keys, '--checkpoint', note, whole])).code).toBe(0);

    const cut = await exportFile(exportLines(receipts.slice(0, 7), signer));
    expect((await runCli(['verify', '--keys', keys, cut])).code).toBe(0);
    const ran = await runCli(['verify', '--keys', keys, '--checkpoint', note, cut]);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain('seq 8: TRUNCATED');
  });

  it('says which file it cannot read, exit 2', async () => {
    const ran = await runCli(['verify', '--keys', keys, '--checkpoint', join(dir, 'missing.note'), join(FIXTURES, 'log.jsonl')]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('missing.note');
  });
});
