// `actiongate witness`: co-signs a newer checkpoint of the receipt log only when a consistency
// proof shows it extends the one it holds; a forked history is refused and the held one kept.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKeyFile, writePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { consistencyProof } from '../../src/receipt/merkle/index.js';
import { cosignatureVerifier, encodeBase64, noteVerifier, openNote, formatVerifierKey } from '../../src/receipt/note/index.js';
import { decodeBase64url } from '../../src/keys/base64url.js';
import { testKey1Signer, TRUST_KEY_1_RECEIPTS } from '../fixtures/receipts/golden-receipts.js';
import { decisionBodies, signChain } from '../receipt/chain-builder.js';
import { checkpointNote, receiptLeafHash, rootFromReceipts } from '../receipt/verify/inclusion-support.js';
import { runCli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

const signer = testKey1Signer();
const ORIGIN = 'acme.example/actiongate';
const receipts = signChain(decisionBodies(12), () => signer);
const forked = signChain([...decisionBodies(7), ...decisionBodies(5, '2026-11-30T10:00:00.000Z').map((b, i) => ({ ...b, idempotencyKey: `f-${i}`, workflowId: `f-${i}` }))], () => signer);
const noteAt = (n: number, of = receipts) => checkpointNote({ origin: ORIGIN, size: n, rootHash: rootFromReceipts(of.slice(0, n)) }, signer);
const bundle = (m: number, n: number, of = receipts) => ({ checkpoint: noteAt(n, of), oldSize: m, proof: consistencyProof(m, n, of.map(receiptLeafHash)).map(encodeBase64) });

let dir: string;
let base: string[];

beforeAll(async () => {
  dir = await tempDir('actiongate-witness-');
  await writePrivateKeyFile(join(dir, 'witness.key.json'), generatePrivateKeyFile());
  await writeFile(join(dir, 'log-keys.json'), JSON.stringify(TRUST_KEY_1_RECEIPTS));
  await writeFile(join(dir, 'first.note'), noteAt(5));
  base = ['witness', '--key', join(dir, 'witness.key.json'), '--log-keys', join(dir, 'log-keys.json'), '--state', join(dir, 'held.note')];
});

async function bundleFile(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(content));
  return path;
}

describe('actiongate witness', () => {
  it('starts from a checkpoint, co-signs a newer one that extends it, and refuses a fork, keeping what it holds', async () => {
    const vkey = (await runCli(['witness', '--key', join(dir, 'witness.key.json'), '--vkey'])).stdout.trim();
    expect(vkey).toMatch(/^actiongate-witness\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/);
    const logKey = noteVerifier(formatVerifierKey(ORIGIN, decodeBase64url(signer.publicKey, 32) as Uint8Array));

    const init = await runCli([...base, '--init', join(dir, 'first.note')]);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(openNote(`${init.stdout.trim()}\n`, [logKey, cosignatureVerifier(vkey)]).verifiedBy).toHaveLength(2);

    const grown = await runCli([...base, await bundleFile('grown.json', bundle(5, 9))]);
    expect(grown.code).toBe(0);
    const held = await readFile(join(dir, 'held.note'), 'utf8');
    expect(held.split('\n')[1]).toBe('9');
    expect(openNote(held, [logKey, cosignatureVerifier(vkey)]).verifiedBy).toHaveLength(2);

    // The same log key shows another history from seq 8 on: no proof from the held 9 can exist.
    const fork = await runCli([...base, await bundleFile('fork.json', bundle(9, 12, forked))]);
    expect(fork.code).toBe(1);
    expect(fork.stdout).toContain('CONSISTENCY_PROOF_INVALID');
    expect(fork.stdout).toContain('NOT co-signed');
    expect(await readFile(join(dir, 'held.note'), 'utf8')).toBe(held);

    // A proof from another size than the one held is no proof either.
    expect((await runCli([...base, await bundleFile('other-size.json', bundle(8, 12))])).code).toBe(1);
    expect((await runCli([...base, await bundleFile('next.json', bundle(9, 12))])).code).toBe(0);
  });

  it('starts only once, and needs a start', async () => {
    expect((await runCli([...base, '--init', join(dir, 'first.note')])).code).toBe(2);
    const fresh = ['witness', '--key', join(dir, 'witness.key.json'), '--log-keys', join(dir, 'log-keys.json'), '--state', join(dir, 'none.note')];
    const ran = await runCli([...fresh, await bundleFile('b.json', bundle(5, 9))]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('--init');
  });
});
