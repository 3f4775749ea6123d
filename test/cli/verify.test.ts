// `actiongate verify`: an auditor with a key set and an export, nothing else.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SUPERSEDED_ERROR_CODE } from '../../src/receipt/receipt-body.js';
import { OUTCOME_BODY, PERMIT_BODY, testKey1Signer, TRUST_KEY_1_RECEIPTS } from '../fixtures/receipts/golden-receipts.js';
import { decisionBodies, exportLines, signChain } from '../receipt/chain-builder.js';
import { receiptCheckpointNote } from '../../src/receipt/verify/index.js';
import { generatePrivateKeyFile, writePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { decodeBase64url } from '../../src/keys/base64url.js';
import { consistencyProof, inclusionProof } from '../../src/receipt/merkle/index.js';
import { encodeBase64, formatVerifierKey, parseVerifierKey, signatureLine, splitNote } from '../../src/receipt/note/index.js';
import { canonicalJson } from '../../src/request/canonical-json.js';
import { checkpointNote, receiptLeafHash, rootFromReceipts } from '../receipt/verify/inclusion-support.js';
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

/** The note with one bit of its last signature line's signature (after the key hash) flipped: `at` counts from the end. */
function flipLastSignature(note: string, at = 10): string {
  const { signatures } = splitNote(note);
  const last = signatures.at(-1)!;
  const bytes = last.signature.slice();
  bytes[bytes.length - at] = (bytes[bytes.length - at] as number) ^ 0x01;
  return note.replace(`${last.line}\n`, signatureLine(last.name, last.keyHash, bytes));
}

describe('checkpoint notes, proofs and consistency bundles with both back ends', () => {
  const signer = testKey1Signer();
  const ORIGIN = 'acme.example/actiongate';
  const receipts = signChain(decisionBodies(12, '2026-12-02T10:00:00.000Z'), () => signer);
  const leaves = receipts.map(receiptLeafHash);
  const noteAt = (n: number) => checkpointNote({ origin: ORIGIN, size: n, rootHash: rootFromReceipts(receipts.slice(0, n)) }, signer);
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;

  /** The log's signature with S replaced by S + L: the group equation still holds, RFC 8032 refuses it. */
  function malleated(note: string): string {
    const { signatures } = splitNote(note);
    const line = signatures[0]!;
    const sig = line.signature.slice();
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i] as number);
    let bigger = s + L;
    for (let i = 32; i < 64; i++) {
      sig[i] = Number(bigger & 0xffn);
      bigger >>= 8n;
    }
    return note.replace(`${line.line}\n`, signatureLine(line.name, line.keyHash, sig));
  }

  it.each([
    ['one bit of the log\'s signature flipped', (note: string) => flipLastSignature(note)],
    ['the log\'s signature malleated (S + L)', malleated],
  ])('refuses a checkpoint with %s, with the same answer from --backend node and --backend noble (exit 1)', async (_, spoil) => {
    const exportPath = await exportFile(exportLines(receipts, signer));
    const bad = join(dir, `bad-${Math.random().toString(36).slice(2)}.note`);
    await writeFile(bad, spoil(noteAt(9)));
    const proof = join(dir, `proof-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(proof, JSON.stringify({ checkpoint: spoil(noteAt(9)), receipts: [{ line: canonicalJson(receipts[3]), index: 3, proof: inclusionProof(3, 9, leaves.slice(0, 9)).map(encodeBase64) }] }));
    const consistency = join(dir, `consistency-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(consistency, JSON.stringify({ checkpoint: spoil(noteAt(12)), oldSize: 9, proof: consistencyProof(9, 12, leaves).map(encodeBase64) }));
    const good = join(dir, `good-${Math.random().toString(36).slice(2)}.note`);
    await writeFile(good, noteAt(9));
    for (const args of [['--checkpoint', bad, exportPath], ['--proof', proof], ['--consistency', consistency, '--checkpoint', good]]) {
      const [node, noble] = await Promise.all(['node', 'noble'].map((backend) => runCli(['verify', '--keys', keys, '--backend', backend, ...args])));
      expect(node!.code, args[0]).toBe(1);
      expect(node!.stdout).toContain('TRUSTED_CHECKPOINT_INVALID');
      expect(noble!.stdout).toBe(node!.stdout);
      expect(noble!.code).toBe(node!.code);
    }
    // The unspoiled ones pass with both.
    for (const backend of ['node', 'noble']) expect((await runCli(['verify', '--keys', keys, '--backend', backend, '--checkpoint', good, exportPath])).code).toBe(0);
  });
});

describe('when witnesses are required (--witness)', () => {
  const signer = testKey1Signer();
  const ORIGIN = 'acme.example/actiongate';
  const receipts = signChain(decisionBodies(12, '2026-12-03T10:00:00.000Z'), () => signer);
  const leaves = receipts.map(receiptLeafHash);
  const noteAt = (n: number) => checkpointNote({ origin: ORIGIN, size: n, rootHash: rootFromReceipts(receipts.slice(0, n)) }, signer);
  const files: Record<string, string> = {};
  let vkey1: string;
  let vkey2: string;
  const verify = (...args: string[]) => runCli(['verify', '--keys', keys, ...args]);

  beforeAll(async () => {
    const at = (name: string) => (files[name] = join(dir, `witness-${name}`));
    await writePrivateKeyFile(at('w1.key'), generatePrivateKeyFile());
    await writePrivateKeyFile(at('w2.key'), generatePrivateKeyFile());
    vkey1 = (await runCli(['witness', '--key', files['w1.key']!, '--vkey'])).stdout.trim();
    vkey2 = (await runCli(['witness', '--key', files['w2.key']!, '--name', 'second-witness', '--vkey'])).stdout.trim();
    await writeFile(at('w1.vkey'), `${vkey1}\n`);
    await writeFile(at('w2.vkey'), `${vkey2}\n`);
    await writeFile(at('plain.note'), noteAt(9));
    await writeFile(at('export.jsonl'), `${exportLines(receipts, signer).join('\n')}\n`);
    // The witness starts from the 9-receipt checkpoint: what it prints is that note co-signed.
    const init = await runCli(['witness', '--key', files['w1.key']!, '--log-keys', keys, '--state', at('w1.state'), '--init', files['plain.note']!]);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    await writeFile(at('cosigned.note'), `${init.stdout.trim()}\n`);
    // Then it co-signs the 12-receipt one, given the proof that it extends the 9 it holds.
    await writeFile(at('grown.json'), JSON.stringify({ checkpoint: noteAt(12), oldSize: 9, proof: consistencyProof(9, 12, leaves).map(encodeBase64) }));
    const grown = await runCli(['witness', '--key', files['w1.key']!, '--log-keys', keys, '--state', files['w1.state']!, files['grown.json']!]);
    expect(grown.code).toBe(0);
    await writeFile(at('consistency-cosigned.json'), JSON.stringify({ checkpoint: `${grown.stdout.trim()}\n`, oldSize: 9, proof: consistencyProof(9, 12, leaves).map(encodeBase64) }));
    const proof = { receipts: [{ line: canonicalJson(receipts[3]), index: 3, proof: inclusionProof(3, 9, leaves.slice(0, 9)).map(encodeBase64) }] };
    await writeFile(at('proof-cosigned.json'), JSON.stringify({ checkpoint: `${init.stdout.trim()}\n`, ...proof }));
    await writeFile(at('proof-plain.json'), JSON.stringify({ checkpoint: noteAt(9), ...proof }));
  });

  it.each(['node', 'noble'])('passes an export against the checkpoint the witness co-signed (--backend %s), exit 0', async (backend) => {
    const ran = await verify('--backend', backend, '--checkpoint', files['cosigned.note']!, '--witness', files['w1.vkey']!, files['export.jsonl']!);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('the trusted checkpoint is co-signed by at least 1 of the 1 witness(es)');
  });

  it.each(['node', 'noble'])('refuses the same checkpoint without the cosignature (--backend %s): WITNESS_COSIGNATURE_MISSING, exit 1', async (backend) => {
    expect((await verify('--backend', backend, '--checkpoint', files['plain.note']!, files['export.jsonl']!)).code).toBe(0);
    const ran = await verify('--backend', backend, '--checkpoint', files['plain.note']!, '--witness', files['w1.vkey']!, files['export.jsonl']!);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain('WITNESS_COSIGNATURE_MISSING');
    expect(ran.stdout).toContain(`${vkey1.split('+').slice(0, 2).join('+')} (no cosignature)`);
    expect(ran.stdout).toContain('1 required');
  });

  it('refuses a cosignature with one bit flipped (an invalid line counts as missing), with both back ends alike', async () => {
    const spoiled = join(dir, 'witness-spoiled.note');
    await writeFile(spoiled, flipLastSignature(await readFile(files['cosigned.note']!, 'utf8')));
    const [node, noble] = await Promise.all(['node', 'noble'].map((backend) => verify('--backend', backend, '--checkpoint', spoiled, '--witness', files['w1.vkey']!, files['export.jsonl']!)));
    expect(node!.code).toBe(1);
    expect(node!.stdout).toContain('WITNESS_COSIGNATURE_MISSING');
    expect(node!.stdout).toContain('(invalid cosignature)');
    expect(noble!.stdout).toBe(node!.stdout);
  });

  it('requires every witness given unless --witness-quorum says fewer', async () => {
    const both = ['--checkpoint', files['cosigned.note']!, '--witness', files['w1.vkey']!, '--witness', files['w2.vkey']!, files['export.jsonl']!];
    const all = await verify(...both);
    expect(all.code).toBe(1);
    expect(all.stdout).toContain('from 1 of the 2 given witness(es), 2 required');
    expect(all.stdout).toContain('second-witness+');
    expect((await verify('--witness-quorum', '1', ...both)).code).toBe(0);
  });

  it('requires the cosignature on the --proof bundle\'s checkpoint', async () => {
    const ok = await verify('--proof', files['proof-cosigned.json']!, '--witness', files['w1.vkey']!);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('1 receipt(s) proved');
    expect((await verify('--proof', files['proof-plain.json']!)).code).toBe(0);
    const bare = await verify('--proof', files['proof-plain.json']!, '--witness', files['w1.vkey']!);
    expect(bare.code).toBe(1);
    expect(bare.stdout).toContain('WITNESS_COSIGNATURE_MISSING');
  });

  it('requires the cosignature on the newer checkpoint of a --consistency bundle, not the older one held', async () => {
    const ok = await verify('--consistency', files['consistency-cosigned.json']!, '--checkpoint', files['plain.note']!, '--witness', files['w1.vkey']!);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('extends the 9-receipt checkpoint');
    const plainBundle = join(dir, 'witness-consistency-plain.json');
    await writeFile(plainBundle, JSON.stringify({ checkpoint: noteAt(12), oldSize: 9, proof: consistencyProof(9, 12, leaves).map(encodeBase64) }));
    // The older checkpoint co-signed is not enough: the newer one is what the bundle asks to be trusted.
    const bare = await verify('--consistency', plainBundle, '--checkpoint', files['cosigned.note']!, '--witness', files['w1.vkey']!);
    expect(bare.code).toBe(1);
    expect(bare.stdout).toContain('the newer checkpoint: the checkpoint (acme.example/actiongate, size 12)');
    expect(bare.stdout).toContain('WITNESS_COSIGNATURE_MISSING');
  });

  describe('refuses, exit 2 naming the option or the file', () => {
    it('--witness-quorum without --witness, or out of range', async () => {
      const alone = await verify('--checkpoint', files['cosigned.note']!, '--witness-quorum', '1', files['export.jsonl']!);
      expect(alone.code).toBe(2);
      expect(alone.stderr).toContain('--witness-quorum');
      for (const quorum of ['0', '2', '1.5', 'one', '-1']) {
        const ran = await verify('--checkpoint', files['cosigned.note']!, '--witness', files['w1.vkey']!, `--witness-quorum=${quorum}`, files['export.jsonl']!);
        expect(ran.code, quorum).toBe(2);
        expect(ran.stderr).toContain('--witness-quorum must be an integer from 1 to 1');
      }
    });

    it('a witness key file that cannot be read, holds no verifier key, or a key of another type than 0x04', async () => {
      const missing = join(dir, 'no-such-witness.vkey');
      const garbage = join(dir, 'witness-garbage.vkey');
      await writeFile(garbage, 'not a key\n');
      const noteKey = join(dir, 'witness-type01.vkey'); // the log's own note key (type 0x01)
      await writeFile(noteKey, `${formatVerifierKey(ORIGIN, decodeBase64url(signer.publicKey, 32) as Uint8Array)}\n`);
      const twoLines = join(dir, 'witness-two-lines.vkey');
      await writeFile(twoLines, `${vkey1}\n${vkey2}\n`);
      for (const [file, says] of [
        [missing, 'cannot be read'],
        [garbage, 'is not a witness verifier key'],
        [noteKey, 'type 0x04'],
        [twoLines, 'exactly one line'],
      ] as const) {
        const ran = await verify('--checkpoint', files['cosigned.note']!, '--witness', files['w1.vkey']!, '--witness', file, files['export.jsonl']!);
        expect(ran.code, file).toBe(2);
        expect(ran.stderr).toContain(`--witness ${file}`);
        expect(ran.stderr).toContain(says);
      }
    });

    it('--witness with nothing to check it on, and the same witness twice', async () => {
      const nothing = await verify('--witness', files['w1.vkey']!, files['export.jsonl']!);
      expect(nothing.code).toBe(2);
      expect(nothing.stderr).toContain('--witness needs a checkpoint');
      const copy = join(dir, 'witness-copy.vkey');
      await writeFile(copy, vkey1);
      const twice = await verify('--checkpoint', files['cosigned.note']!, '--witness', files['w1.vkey']!, '--witness', copy, files['export.jsonl']!);
      expect(twice.code).toBe(2);
      expect(twice.stderr).toContain('the same witness');
    });
  });

  it('reads the key file as `witness --vkey` wrote it, with or without its newline', async () => {
    expect(parseVerifierKey(vkey1).type).toBe(0x04);
    const bare = join(dir, 'witness-bare.vkey');
    await writeFile(bare, vkey1);
    expect((await verify('--checkpoint', files['cosigned.note']!, '--witness', bare, files['export.jsonl']!)).code).toBe(0);
  });
});
