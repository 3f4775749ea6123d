// `actiongate checkpoint`: the signed log's C2SP checkpoint, kept elsewhere, then held against an
// export by `actiongate verify --checkpoint` (a fresh database: the count and root are this file's).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKeyFile, parsePrivateKeyFile, writePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { decisionBodies } from '../receipt/chain-builder.js';
import { PgReceiptStore } from '../../src/store/receipt-store.js';
import { freshDatabase } from '../support/bundles.js';
import { runCli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

let url: string;
let pool: pg.Pool;
let dir: string;
let env: NodeJS.ProcessEnv;
let keySet: string;
let receiptSigner: ReturnType<typeof parsePrivateKeyFile>;

beforeAll(async () => {
  ({ url, pool } = await freshDatabase());
  dir = await tempDir('actiongate-checkpoint-');
  const file = generatePrivateKeyFile();
  const keyPath = join(dir, 'receipt.key.json');
  await writePrivateKeyFile(keyPath, file);
  const signer = parsePrivateKeyFile(JSON.stringify(file), 'test receipt key');
  receiptSigner = signer;
  keySet = join(dir, 'keyset.json');
  await writeFile(keySet, JSON.stringify({ version: 1, keys: [{ keyId: signer.keyId, publicKey: signer.publicKey, purpose: 'receipt' }] }));
  const store = new PgReceiptStore(pool, { signer });
  for (const body of decisionBodies(6)) await store.append(body);
  env = { DATABASE_URL: url, ACTIONGATE_RECEIPT_KEY: keyPath };
});

afterAll(async () => {
  await pool?.end();
});

async function exportTo(name: string): Promise<string> {
  const exported = await runCli(['receipts', 'export'], env);
  expect(exported.code).toBe(0);
  const path = join(dir, name);
  await writeFile(path, exported.stdout);
  return path;
}

describe('actiongate checkpoint', () => {
  it('prints the C2SP checkpoint of the log and writes it with --out; verify --checkpoint passes the export, and fails it once receipts are cut', async () => {
    const out = join(dir, 'checkpoint.note');
    const ran = await runCli(['checkpoint', '--origin', 'acme.example/actiongate', '--out', out], env);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    const lines = ran.stdout.split('\n');
    expect(lines.slice(0, 2)).toEqual(['acme.example/actiongate', '6']);
    expect(lines[2]).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(lines[4]).toMatch(/^— acme\.example\/actiongate [A-Za-z0-9+/]+=*$/);
    expect(await readFile(out, 'utf8')).toBe(`${ran.stdout.trimEnd()}\n`);

    const whole = await exportTo('whole.jsonl');
    expect((await runCli(['verify', '--keys', keySet, '--checkpoint', out, whole])).code).toBe(0);

    // The last two receipts and the log's own checkpoint line removed: the rest still verifies alone.
    const text = (await readFile(whole, 'utf8')).split('\n').filter(Boolean);
    const cut = join(dir, 'cut.jsonl');
    await writeFile(cut, `${text.slice(0, 4).join('\n')}\n`);
    expect((await runCli(['verify', '--keys', keySet, cut])).code).toBe(0);
    const refused = await runCli(['verify', '--keys', keySet, '--checkpoint', out, cut]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('seq 5: TRUNCATED');
  });

  it('receipts prove KEY gives the receipt with its inclusion proof, which verify --proof checks without the log; a changed proof is refused', async () => {
    const proved = await runCli(['receipts', 'prove', 'act-3'], env);
    expect(proved.stderr).toBe('');
    expect(proved.code).toBe(0);
    const bundle = JSON.parse(proved.stdout) as { checkpoint: string; receipts: Array<{ line: string; index: number; proof: string[] }> };
    expect(bundle.receipts.map((r) => r.index)).toEqual([2]);
    const file = join(dir, 'proof.json');
    await writeFile(file, proved.stdout);
    const ok = await runCli(['verify', '--keys', keySet, '--proof', file]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('1 receipt(s) proved in the 6-receipt log actiongate/receipts');

    const [first, ...others] = (bundle.receipts[0] as { proof: string[] }).proof;
    const tampered = { ...bundle, receipts: [{ ...bundle.receipts[0], proof: [...others, first] }] };
    await writeFile(file, JSON.stringify(tampered));
    const refused = await runCli(['verify', '--keys', keySet, '--proof', file]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('seq 3: INCLUSION_PROOF_INVALID');
  });

  it('receipts consistency OLD_SIZE proves the log grown since extends the checkpoint held from before; a changed proof is refused', async () => {
    const older = join(dir, 'older.note');
    expect((await runCli(['checkpoint', '--out', older], env)).code).toBe(0);
    const oldSize = Number((await readFile(older, 'utf8')).split('\n')[1]);
    const store = new PgReceiptStore(pool, { signer: receiptSigner });
    for (const body of decisionBodies(3, '2026-12-01T10:00:00.000Z').map((b, i) => ({ ...b, idempotencyKey: `later-${i}`, workflowId: `later-${i}` }))) await store.append(body);

    const proved = await runCli(['receipts', 'consistency', String(oldSize)], env);
    expect(proved.stderr).toBe('');
    expect(proved.code).toBe(0);
    const file = join(dir, 'consistency.json');
    await writeFile(file, proved.stdout);
    const ok = await runCli(['verify', '--keys', keySet, '--consistency', file, '--checkpoint', older]);
    expect(ok.stdout).toContain(`the ${oldSize + 3}-receipt log of actiongate/receipts extends the ${oldSize}-receipt checkpoint`);
    expect(ok.code).toBe(0);

    const bundle = JSON.parse(proved.stdout) as { proof: string[] };
    await writeFile(file, JSON.stringify({ ...bundle, proof: [...bundle.proof].reverse() }));
    const refused = await runCli(['verify', '--keys', keySet, '--consistency', file, '--checkpoint', older]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('CONSISTENCY_PROOF_INVALID');
    expect((await runCli(['receipts', 'consistency', String(oldSize + 4)], env)).code).toBe(2);
  });

  it('gives an empty log its checkpoint too: size 0, the root of no leaves', async () => {
    const empty = await freshDatabase();
    try {
      const ran = await runCli(['checkpoint'], { ...env, DATABASE_URL: empty.url });
      expect(ran.code).toBe(0);
      expect(ran.stdout.split('\n').slice(0, 3)).toEqual(['actiongate/receipts', '0', '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=']);
    } finally {
      await empty.pool.end();
    }
  });

  it('needs the receipt key: exit 2 naming ACTIONGATE_RECEIPT_KEY, without touching the database', async () => {
    const ran = await runCli(['checkpoint'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('ACTIONGATE_RECEIPT_KEY');
  });
});
