// That today's log extends the one an auditor saw yesterday: an RFC 9162 consistency proof between
// a checkpoint held from before and a newer one. A rewritten or forked log is refused.
import { describe, expect, it } from 'vitest';
import { generatePrivateKeyFile, parsePrivateKeyFile } from '../../../src/keys/private-key-file.js';
import { consistencyProof } from '../../../src/receipt/merkle/index.js';
import { encodeBase64 } from '../../../src/receipt/note/index.js';
import { splitNote } from '../../../src/receipt/note/index.js';
import { verifyConsistencyBundle, type Ed25519Backend } from '../../../src/receipt/verify/index.js';
import { nobleBackend } from '../../../src/receipt/verify/noble-backend.js';
import { nodeBackend } from '../../../src/receipt/verify/node-backend.js';
import { REFUSING_BACKEND, spyBackend } from '../note/support.js';
import { cosigned, WITNESS_1, WITNESS_2 } from './witness-support.js';
import { testKey1Signer, TRUST_KEY_1_RECEIPTS } from '../../fixtures/receipts/golden-receipts.js';
import { decisionBodies, signChain } from '../chain-builder.js';
import { checkpointNote, receiptLeafHash, rootFromReceipts } from './inclusion-support.js';

const signer = testKey1Signer();
const ORIGIN = 'acme.example/actiongate';
const receipts = signChain(decisionBodies(20), () => signer);
const leaves = receipts.map(receiptLeafHash);
const noteAt = (n: number, of = receipts, by = signer) => checkpointNote({ origin: ORIGIN, size: n, rootHash: rootFromReceipts(of.slice(0, n)) }, by);
const bundle = (m: number, n: number) => ({ checkpoint: noteAt(n), oldSize: m, proof: consistencyProof(m, n, leaves).map(encodeBase64) });
const check = (b: unknown, older: string) => verifyConsistencyBundle(b, older, TRUST_KEY_1_RECEIPTS);

describe('verifyConsistencyBundle', () => {
  it('proves that the log at n extends the checkpoint at m, for every 1 ≤ m ≤ n ≤ 20', () => {
    for (let n = 1; n <= 20; n++) for (let m = 1; m <= n; m++) expect(check(bundle(m, n), noteAt(m)).problems).toEqual([]);
  });

  it('refuses when the older checkpoint is of another history (the log was rewritten from seq 6)', () => {
    const forked = signChain([...decisionBodies(5), ...decisionBodies(10, '2026-11-30T10:00:00.000Z').map((b, i) => ({ ...b, idempotencyKey: `f-${i}`, workflowId: `f-${i}` }))], () => signer);
    expect(check(bundle(8, 20), noteAt(8, forked)).problems.map((p) => p.code)).toEqual(['CONSISTENCY_PROOF_INVALID']);
    expect(check(bundle(5, 20), noteAt(5, forked)).ok).toBe(true); // the histories agree up to 5
  });

  it('refuses a changed proof, a proof for other sizes, another origin, and a stranger\'s checkpoint', () => {
    const good = bundle(7, 19);
    for (let i = 0; i < good.proof.length; i++) {
      const proof = [...good.proof];
      proof[i] = encodeBase64(leaves[i] as Uint8Array);
      expect(check({ ...good, proof }, noteAt(7)).problems.map((p) => p.code)).toEqual(['CONSISTENCY_PROOF_INVALID']);
    }
    expect(check({ ...good, oldSize: 6 }, noteAt(7)).problems.map((p) => p.code)).toEqual(['CONSISTENCY_PROOF_INVALID']);
    expect(check(good, noteAt(6)).problems.map((p) => p.code)).toEqual(['CONSISTENCY_PROOF_INVALID']);
    const elsewhere = checkpointNote({ origin: 'other.example/log', size: 7, rootHash: rootFromReceipts(receipts.slice(0, 7)) }, signer);
    expect(check(good, elsewhere).problems.map((p) => p.code)).toEqual(['CONSISTENCY_PROOF_INVALID']);
    const stranger = parsePrivateKeyFile(JSON.stringify(generatePrivateKeyFile()), 'stranger');
    expect(check({ ...good, checkpoint: noteAt(19, receipts, stranger) }, noteAt(7)).problems.map((p) => p.code)).toEqual(['TRUSTED_CHECKPOINT_INVALID']);
  });

  it('answers MALFORMED to anything that is not a bundle', () => {
    for (const junk of [null, 'x', {}, { checkpoint: noteAt(3), oldSize: '2', proof: [] }, { checkpoint: noteAt(3), oldSize: 2 }]) {
      expect(check(junk, noteAt(2)).problems.map((p) => p.code)).toEqual(['MALFORMED']);
    }
  });
});

describe('verifyConsistencyBundle and its back end', () => {
  it('checks both notes with the back end it is given (noble when none is)', () => {
    const spy = spyBackend(nodeBackend);
    expect(verifyConsistencyBundle(bundle(4, 9), noteAt(4), TRUST_KEY_1_RECEIPTS, spy).ok).toBe(true);
    expect(spy.messages.map((m) => new TextDecoder().decode(m))).toEqual([splitNote(noteAt(4)).text, splitNote(noteAt(9)).text]);
    expect(verifyConsistencyBundle(bundle(4, 9), noteAt(4), TRUST_KEY_1_RECEIPTS, REFUSING_BACKEND).problems.map((p) => p.code)).toEqual(['TRUSTED_CHECKPOINT_INVALID']);
    const newer = splitNote(noteAt(9)).text;
    const refusingTheNewer: Ed25519Backend = {
      name: 'refuses the newer note',
      verify: (publicKey, message, signature) => new TextDecoder().decode(message) !== newer && nodeBackend.verify(publicKey, message, signature),
    };
    const refused = verifyConsistencyBundle(bundle(4, 9), noteAt(4), TRUST_KEY_1_RECEIPTS, refusingTheNewer);
    expect(refused.problems.map((p) => p.code)).toEqual(['TRUSTED_CHECKPOINT_INVALID']);
    expect(refused.problems[0]?.message).toMatch(/^the newer checkpoint: /);
  });
});

describe.each([nobleBackend, nodeBackend])('verifyConsistencyBundle with witnesses, checked with $name', (backend) => {
  const witnesses = { witnesses: [WITNESS_1.vkey, WITNESS_2.vkey], quorum: 2 };
  const withWitnesses = (b: { checkpoint: string }, older: string) => verifyConsistencyBundle(b, older, TRUST_KEY_1_RECEIPTS, backend, { witnesses });

  it('requires the cosignatures on the newer checkpoint (the bundle\'s), not on the older one held from before', () => {
    const b = bundle(6, 15);
    expect(withWitnesses({ ...b, checkpoint: cosigned(b.checkpoint, WITNESS_1, WITNESS_2) }, noteAt(6)).problems).toEqual([]);
    const missing = withWitnesses(b, cosigned(noteAt(6), WITNESS_1, WITNESS_2));
    expect(missing.problems.map((p) => p.code)).toEqual(['WITNESS_COSIGNATURE_MISSING']);
    expect(missing.problems[0]?.message).toMatch(/^the newer checkpoint: .*size 15.*2 required/);
    expect(withWitnesses({ ...b, checkpoint: cosigned(b.checkpoint, WITNESS_1) }, noteAt(6)).ok).toBe(false);
  });

  it('does not take the older checkpoint\'s cosignatures copied onto the newer one', () => {
    const b = bundle(6, 15);
    const older = cosigned(noteAt(6), WITNESS_1, WITNESS_2);
    const copied = b.checkpoint + splitNote(older).signatures.slice(1).map((s) => `${s.line}\n`).join('');
    const result = withWitnesses({ ...b, checkpoint: copied }, noteAt(6));
    expect(result.problems.map((p) => p.code)).toEqual(['WITNESS_COSIGNATURE_MISSING']);
    expect(result.problems[0]?.message).toContain('(invalid cosignature)');
  });
});
