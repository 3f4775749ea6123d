// A checkpoint held outside the database (a C2SP checkpoint note over the receipts' RFC 9162 Merkle
// tree) against an export: the export must extend it. Without it, an export cut short together with
// its own last checkpoint verifies (issue 15's first gap); with it, it does not.
import { describe, expect, it } from 'vitest';
import { generatePrivateKeyFile, parsePrivateKeyFile } from '../../../src/keys/private-key-file.js';
import { decodeBase64url } from '../../../src/keys/base64url.js';
import { rootFromLeafHashes } from '../../../src/receipt/merkle/index.js';
import { openNote, noteVerifier, formatVerifierKey, parseCheckpoint, splitNote } from '../../../src/receipt/note/index.js';
import { checkTrustedCheckpoint, openReceiptCheckpoint, receiptCheckpointNote, receiptLeafHash, verifyLog, type Ed25519Backend } from '../../../src/receipt/verify/index.js';
import { nobleBackend } from '../../../src/receipt/verify/noble-backend.js';
import { nodeBackend } from '../../../src/receipt/verify/node-backend.js';
import { testKey1Signer, TRUST_KEY_1_RECEIPTS } from '../../fixtures/receipts/golden-receipts.js';
import { decisionBodies, exportLines, signChain } from '../chain-builder.js';
import { REFUSING_BACKEND, spyBackend } from '../note/support.js';
import { cosigned, WITNESS_1, WITNESS_2, WITNESS_3 } from './witness-support.js';

const signer = testKey1Signer();
const ORIGIN = 'actiongate.test/receipts';
const receipts = signChain(decisionBodies(12), () => signer);
const lines = exportLines(receipts, signer);
const checkpointAt = (n: number, by = signer) => receiptCheckpointNote(receipts.slice(0, n), ORIGIN, by);
const verify = (input: string[], trustedCheckpoint: string) => verifyLog(input, TRUST_KEY_1_RECEIPTS, nodeBackend, { trustedCheckpoint });
const codes = (input: string[], note: string) => verify(input, note).problems.map((p) => p.code);

describe('receiptCheckpointNote', () => {
  it('is a C2SP checkpoint note of the RFC 9162 root over the export lines, signed under its origin', () => {
    const note = checkpointAt(12);
    const key = decodeBase64url(signer.publicKey, 32) as Uint8Array;
    const opened = openNote(note, [noteVerifier(formatVerifierKey(ORIGIN, key))]);
    expect(opened.verifiedBy).toHaveLength(1);
    const checkpoint = parseCheckpoint(opened.text);
    expect([checkpoint.origin, checkpoint.size]).toEqual([ORIGIN, 12]);
    expect(checkpoint.rootHash).toEqual(rootFromLeafHashes(receipts.map(receiptLeafHash)));
  });
});

describe('verifyLog with a trusted checkpoint', () => {
  it('accepts the export it was taken from, and a longer one that extends it', () => {
    expect(verify(lines, checkpointAt(12)).ok).toBe(true);
    expect(verify(lines, checkpointAt(5)).ok).toBe(true);
  });

  it('refuses an export cut short with its own last checkpoint (which verifies without it) as TRUNCATED', () => {
    const cut = exportLines(receipts.slice(0, 9), signer); // the tail and the log's checkpoint replaced by one over 9
    expect(verifyLog(cut, TRUST_KEY_1_RECEIPTS, nodeBackend).ok).toBe(true);
    expect(codes(cut, checkpointAt(12))).toEqual(['TRUNCATED']);
  });

  it('refuses another history under the same key (receipts re-signed from seq 8) as TRUSTED_CHECKPOINT_MISMATCH', () => {
    const bodies = decisionBodies(12);
    const forked = signChain([...bodies.slice(0, 7), ...decisionBodies(5, '2026-11-25T10:00:00.000Z').map((b, i) => ({ ...b, idempotencyKey: `fork-${i}`, workflowId: `fork-${i}` }))], () => signer);
    const forkedLines = exportLines(forked, signer);
    expect(verifyLog(forkedLines, TRUST_KEY_1_RECEIPTS, nodeBackend).ok).toBe(true);
    expect(codes(forkedLines, checkpointAt(12))).toEqual(['TRUSTED_CHECKPOINT_MISMATCH']);
    expect(verify(forkedLines, checkpointAt(7)).ok).toBe(true);
  });

  it('refuses a checkpoint signed by a key the key set does not trust for receipts, or under another name', () => {
    const stranger = parsePrivateKeyFile(JSON.stringify(generatePrivateKeyFile()), 'stranger');
    expect(codes(lines, checkpointAt(12, stranger))).toEqual(['TRUSTED_CHECKPOINT_INVALID']);
    const renamed = checkpointAt(12).replace(`— ${ORIGIN} `, '— someone-else ');
    expect(codes(lines, renamed)).toEqual(['TRUSTED_CHECKPOINT_INVALID']);
  });

  it('refuses the checkpoint with any single character of it changed', () => {
    const note = checkpointAt(12);
    const accepted: number[] = [];
    for (let i = 0; i < note.length; i++) {
      const c = note[i] as string;
      const swapped = c === 'A' ? 'B' : c === '\n' ? ' ' : c === '0' ? '1' : 'A';
      if (verify(lines, note.slice(0, i) + swapped + note.slice(i + 1)).ok) accepted.push(i);
    }
    expect(accepted).toEqual([]);
  });

  it.each([nobleBackend, nodeBackend])('refuses the checkpoint with any single character of it changed when its note is checked with $name', (backend) => {
    const note = checkpointAt(12);
    const accepted: number[] = [];
    for (let i = 0; i < note.length; i++) {
      const c = note[i] as string;
      const swapped = c === 'A' ? 'B' : c === '\n' ? ' ' : c === '0' ? '1' : 'A';
      if (checkTrustedCheckpoint(receipts, note.slice(0, i) + swapped + note.slice(i + 1), TRUST_KEY_1_RECEIPTS, backend).problems.length === 0) accepted.push(i);
    }
    expect(accepted).toEqual([]);
    expect(checkTrustedCheckpoint(receipts, note, TRUST_KEY_1_RECEIPTS, backend).problems).toEqual([]);
  }, 60_000);
});

describe('the back end a trusted checkpoint is checked with', () => {
  const note = checkpointAt(12);
  const body = splitNote(note).text;
  /** Node's crypto, but refusing any signature over the checkpoint's text: only the note's signature is refused. */
  const refusingTheNote: Ed25519Backend = {
    name: 'refuses the note',
    verify: (publicKey, message, signature) => new TextDecoder().decode(message) !== body && nodeBackend.verify(publicKey, message, signature),
  };

  it('is the one verifyLog is given (the receipts\' back end), for the note signature too', () => {
    const spy = spyBackend(nodeBackend);
    expect(verifyLog(lines, TRUST_KEY_1_RECEIPTS, spy, { trustedCheckpoint: note }).ok).toBe(true);
    expect(spy.messages.map((m) => new TextDecoder().decode(m))).toContain(body);
    expect(verifyLog(lines, TRUST_KEY_1_RECEIPTS, refusingTheNote, { trustedCheckpoint: note }).problems.map((p) => p.code)).toEqual(['TRUSTED_CHECKPOINT_INVALID']);
  });

  it('is the one openReceiptCheckpoint and checkTrustedCheckpoint are given (noble when none is)', () => {
    expect('checkpoint' in openReceiptCheckpoint(note, TRUST_KEY_1_RECEIPTS)).toBe(true);
    expect('checkpoint' in openReceiptCheckpoint(note, TRUST_KEY_1_RECEIPTS, nodeBackend)).toBe(true);
    expect(openReceiptCheckpoint(note, TRUST_KEY_1_RECEIPTS, REFUSING_BACKEND)).toEqual({ problem: expect.objectContaining({ code: 'TRUSTED_CHECKPOINT_INVALID' }) });
    expect(checkTrustedCheckpoint(receipts, note, TRUST_KEY_1_RECEIPTS, nodeBackend).problems).toEqual([]);
    expect(checkTrustedCheckpoint(receipts, note, TRUST_KEY_1_RECEIPTS, REFUSING_BACKEND).problems.map((p) => p.code)).toEqual(['TRUSTED_CHECKPOINT_INVALID']);
  });
});

describe('verifyLog with a trusted checkpoint and witnesses', () => {
  const note = checkpointAt(12);
  const witnesses = { witnesses: [WITNESS_1.vkey, WITNESS_2.vkey], quorum: 1 };

  it.each([nobleBackend, nodeBackend])('accepts the checkpoint co-signed by a quorum of them, and refuses it without (WITNESS_COSIGNATURE_MISSING), with $name', (backend) => {
    expect(verifyLog(lines, TRUST_KEY_1_RECEIPTS, backend, { trustedCheckpoint: cosigned(note, WITNESS_2), witnesses }).problems).toEqual([]);
    const bare = verifyLog(lines, TRUST_KEY_1_RECEIPTS, backend, { trustedCheckpoint: note, witnesses });
    expect(bare.problems.map((p) => p.code)).toEqual(['WITNESS_COSIGNATURE_MISSING']);
    expect(bare.problems[0]?.message).toContain('1 required');
    const byAnother = cosigned(note, WITNESS_3);
    expect(verifyLog(lines, TRUST_KEY_1_RECEIPTS, backend, { trustedCheckpoint: byAnother, witnesses }).problems.map((p) => p.code)).toEqual(['WITNESS_COSIGNATURE_MISSING']);
    expect(verifyLog(lines, TRUST_KEY_1_RECEIPTS, backend, { trustedCheckpoint: byAnother }).ok).toBe(true);
  });

  it('checks the cosignatures with the back end it is given', () => {
    const spy = spyBackend(nodeBackend);
    expect(verifyLog(lines, TRUST_KEY_1_RECEIPTS, spy, { trustedCheckpoint: cosigned(note, WITNESS_1), witnesses }).ok).toBe(true);
    expect(spy.messages.some((m) => new TextDecoder().decode(m).startsWith('cosignature/v1\n'))).toBe(true);
    const refusingCosignatures: Ed25519Backend = {
      name: 'refuses cosignatures',
      verify: (publicKey, message, signature) => !new TextDecoder().decode(message).startsWith('cosignature/v1\n') && nodeBackend.verify(publicKey, message, signature),
    };
    expect(verifyLog(lines, TRUST_KEY_1_RECEIPTS, refusingCosignatures, { trustedCheckpoint: cosigned(note, WITNESS_1), witnesses }).problems.map((p) => p.code)).toEqual([
      'WITNESS_COSIGNATURE_MISSING',
    ]);
  });

  it('reports a checkpoint the log did not sign as that alone, and a truncated export beside the missing cosignature', () => {
    const stranger = parsePrivateKeyFile(JSON.stringify(generatePrivateKeyFile()), 'stranger');
    expect(codes(lines, checkpointAt(12, stranger))).toEqual(['TRUSTED_CHECKPOINT_INVALID']);
    expect(verifyLog(lines, TRUST_KEY_1_RECEIPTS, nodeBackend, { trustedCheckpoint: cosigned(checkpointAt(12, stranger), WITNESS_1), witnesses }).problems.map((p) => p.code)).toEqual([
      'TRUSTED_CHECKPOINT_INVALID',
    ]);
    const cut = exportLines(receipts.slice(0, 9), signer);
    expect(verifyLog(cut, TRUST_KEY_1_RECEIPTS, nodeBackend, { trustedCheckpoint: note, witnesses }).problems.map((p) => p.code)).toEqual(['TRUNCATED', 'WITNESS_COSIGNATURE_MISSING']);
  });

  it('refuses witnesses without a trusted checkpoint, and a policy that is not one, before checking anything', () => {
    expect(() => verifyLog(lines, TRUST_KEY_1_RECEIPTS, nodeBackend, { witnesses })).toThrow(/trustedCheckpoint/);
    expect(() => verifyLog(lines, TRUST_KEY_1_RECEIPTS, nodeBackend, { trustedCheckpoint: note, witnesses: { witnesses: [WITNESS_1.vkey], quorum: 2 } })).toThrow(/quorum/);
  });
});
