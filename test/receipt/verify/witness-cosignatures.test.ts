// A checkpoint required to be co-signed by witnesses (`verify --witness`): only a valid
// tlog-cosignature/v1 cosignature over that very checkpoint, by a given witness, counts.
import { describe, expect, it } from 'vitest';
import { decodeBase64, formatVerifierKey, NoteError, signatureLine, splitNote } from '../../../src/receipt/note/index.js';
import { checkWitnessCosignatures, parseWitnessPolicy } from '../../../src/receipt/verify/index.js';
import { nobleBackend } from '../../../src/receipt/verify/noble-backend.js';
import { nodeBackend } from '../../../src/receipt/verify/node-backend.js';
import { testKey1Signer } from '../../fixtures/receipts/golden-receipts.js';
import { decisionBodies, signChain } from '../chain-builder.js';
import { bitFlips, REFUSING_BACKEND, spyBackend } from '../note/support.js';
import { checkpointNote, rootFromReceipts } from './inclusion-support.js';
import { COSIGNED_AT, cosigned, WITNESS_1, WITNESS_2, WITNESS_3 } from './witness-support.js';

const signer = testKey1Signer();
const ORIGIN = 'acme.example/actiongate';
const receipts = signChain(decisionBodies(9), () => signer);
const noteAt = (n: number) => checkpointNote({ origin: ORIGIN, size: n, rootHash: rootFromReceipts(receipts.slice(0, n)) }, signer);
const plain = noteAt(9);
const id = (w: { vkey: string }) => w.vkey.split('+').slice(0, 2).join('+');

/** The note with its last signature line's signature bytes (after the key hash) replaced. */
function withLastSignature(note: string, bytes: Uint8Array): string {
  const { signatures } = splitNote(note);
  const last = signatures.at(-1)!;
  return note.replace(`${last.line}\n`, signatureLine(last.name, last.keyHash, bytes));
}

describe.each([nobleBackend, nodeBackend])('checkWitnessCosignatures with $name', (backend) => {
  const check = (note: string, witnesses: string[], quorum?: number) => checkWitnessCosignatures(note, witnesses, quorum, backend);

  it('passes a checkpoint the witness co-signed, with when it did', () => {
    const result = check(cosigned(plain, WITNESS_1), [WITNESS_1.vkey]);
    expect(result.ok).toBe(true);
    expect(result.problems).toEqual([]);
    expect(result.cosignedBy).toEqual([{ name: WITNESS_1.name, keyHash: expect.any(Number), timestamp: COSIGNED_AT }]);
    expect(result.missing).toEqual([]);
  });

  it('refuses a checkpoint without any cosignature, naming the witness and how many were required', () => {
    const result = check(plain, [WITNESS_1.vkey]);
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.code)).toEqual(['WITNESS_COSIGNATURE_MISSING']);
    expect(result.problems[0]?.message).toContain(`${id(WITNESS_1)} (no cosignature)`);
    expect(result.problems[0]?.message).toContain('from 0 of the 1 given witness(es), 1 required');
    expect(result.problems[0]?.message).toContain(`${ORIGIN}, size 9`);
  });

  it('refuses a cosignature by another witness', () => {
    const result = check(cosigned(plain, WITNESS_2), [WITNESS_1.vkey]);
    expect(result.ok).toBe(false);
    expect(result.missing).toEqual([`${id(WITNESS_1)} (no cosignature)`]);
  });

  it('counts a cosignature with any one bit of it flipped (timestamp or signature) as missing, never as present', () => {
    const good = cosigned(plain, WITNESS_1);
    const bytes = splitNote(good).signatures.at(-1)!.signature;
    let variants = 0;
    for (const { mutated } of bitFlips(bytes)) {
      const result = check(withLastSignature(good, mutated), [WITNESS_1.vkey]);
      expect(result.ok).toBe(false);
      expect(result.missing).toEqual([`${id(WITNESS_1)} (invalid cosignature)`]);
      variants++;
    }
    expect(variants).toBe(72 * 8);
  }, 60_000);

  it('counts a line whose key hash was changed as another key: the witness is missing', () => {
    const good = cosigned(plain, WITNESS_1);
    const line = splitNote(good).signatures.at(-1)!.line;
    const raw = decodeBase64(line.split(' ').at(-1)!)!;
    raw[0] = (raw[0] as number) ^ 1;
    const changed = good.replace(line, `${line.slice(0, line.lastIndexOf(' '))} ${Buffer.from(raw).toString('base64')}`);
    expect(check(changed, [WITNESS_1.vkey]).missing).toEqual([`${id(WITNESS_1)} (no cosignature)`]);
  });

  it('refuses cosignature lines copied from another checkpoint of the same log (valid there, not here)', () => {
    const older = cosigned(noteAt(8), WITNESS_1);
    expect(check(older, [WITNESS_1.vkey]).ok).toBe(true);
    const copied = `${plain}${splitNote(older).signatures.slice(1).map((s) => `${s.line}\n`).join('')}`;
    expect(splitNote(copied).signatures).toHaveLength(2);
    const result = check(copied, [WITNESS_1.vkey]);
    expect(result.ok).toBe(false);
    expect(result.missing).toEqual([`${id(WITNESS_1)} (invalid cosignature)`]);
  });

  it('counts a witness with one valid and one invalid line as missing', () => {
    const good = cosigned(plain, WITNESS_1);
    const bytes = splitNote(good).signatures.at(-1)!.signature.slice();
    bytes[20] = (bytes[20] as number) ^ 0x10;
    const both = `${good}${signatureLine(WITNESS_1.name, splitNote(good).signatures.at(-1)!.keyHash, bytes)}`;
    expect(check(both, [WITNESS_1.vkey]).missing).toEqual([`${id(WITNESS_1)} (invalid cosignature)`]);
  });

  it('passes 2 of 3 with a quorum of 2, refuses 1 of 3, and requires all by default', () => {
    const vkeys = [WITNESS_1.vkey, WITNESS_2.vkey, WITNESS_3.vkey];
    const two = cosigned(plain, WITNESS_1, WITNESS_3);
    const result = check(two, vkeys, 2);
    expect(result.ok).toBe(true);
    expect(result.cosignedBy.map((c) => c.name)).toEqual([WITNESS_1.name, WITNESS_3.name]);
    expect(result.missing).toEqual([`${id(WITNESS_2)} (no cosignature)`]);
    const one = check(cosigned(plain, WITNESS_3), vkeys, 2);
    expect(one.ok).toBe(false);
    expect(one.problems[0]?.message).toContain('from 1 of the 3 given witness(es), 2 required');
    expect(one.problems[0]?.message).toContain(`${id(WITNESS_1)} (no cosignature), ${id(WITNESS_2)} (no cosignature)`);
    expect(check(two, vkeys).ok).toBe(false);
    expect(check(cosigned(plain, WITNESS_1, WITNESS_2, WITNESS_3), vkeys).ok).toBe(true);
  });

  it('does not count a witness whose line is there twice as two', () => {
    const twice = cosigned(plain, WITNESS_1);
    const line = splitNote(twice).signatures.at(-1)!.line;
    expect(check(`${twice}${line}\n`, [WITNESS_1.vkey, WITNESS_2.vkey], 2).ok).toBe(false);
  });

  it('answers a note that is not a signed note with the problem, not an exception', () => {
    const result = check('not a note', [WITNESS_1.vkey]);
    expect(result.problems.map((p) => p.code)).toEqual(['WITNESS_COSIGNATURE_MISSING']);
    expect(result.problems[0]?.message).toContain('not a signed note');
  });
});

describe('the back end checkWitnessCosignatures is given', () => {
  it('checks every cosignature: a spy sees the cosignature/v1 message, one that refuses everything leaves every witness missing', () => {
    const note = cosigned(plain, WITNESS_1);
    const spy = spyBackend(nodeBackend);
    expect(checkWitnessCosignatures(note, [WITNESS_1.vkey], undefined, spy).ok).toBe(true);
    expect(new TextDecoder().decode(spy.messages[0])).toBe(`cosignature/v1\ntime ${COSIGNED_AT}\n${splitNote(plain).text}`);
    expect(checkWitnessCosignatures(note, [WITNESS_1.vkey], undefined, REFUSING_BACKEND).missing).toEqual([`${id(WITNESS_1)} (invalid cosignature)`]);
  });
});

describe('witness policies', () => {
  it('refuses what is not a verifier key, the type 0x01 (note) key of a witness\'s own public key, a witness given twice, and a quorum out of range', () => {
    expect(() => parseWitnessPolicy({ witnesses: ['not a key'] })).toThrow(NoteError);
    const type01 = formatVerifierKey(WITNESS_1.name, WITNESS_1.signer.publicKey);
    expect(() => parseWitnessPolicy({ witnesses: [type01] })).toThrow(/type 0x04/);
    expect(() => checkWitnessCosignatures(cosigned(plain, WITNESS_1), [type01])).toThrow(/type 0x04/);
    expect(() => parseWitnessPolicy({ witnesses: [WITNESS_1.vkey, WITNESS_1.vkey] })).toThrow(/given twice/);
    for (const quorum of [0, 2, 1.5, -1, Number.NaN]) expect(() => parseWitnessPolicy({ witnesses: [WITNESS_1.vkey], quorum })).toThrow(/quorum/);
    expect(() => parseWitnessPolicy({ witnesses: [] })).toThrow(/at least one/);
    expect(parseWitnessPolicy({ witnesses: [WITNESS_1.vkey, WITNESS_2.vkey] }).quorum).toBe(2);
  });
});
