// One receipt proved to be in the log without the log: its RFC 9162 audit path to a signed
// checkpoint note. Any change to the proof, the receipt or the checkpoint is refused.
import { describe, expect, it } from 'vitest';
import { generatePrivateKeyFile, parsePrivateKeyFile } from '../../../src/keys/private-key-file.js';
import { inclusionProof } from '../../../src/receipt/merkle/index.js';
import { encodeBase64 } from '../../../src/receipt/note/index.js';
import { canonicalJson } from '../../../src/request/canonical-json.js';
import { checkpointNote, receiptLeafHash, rootFromReceipts, verifyInclusionBundle, type InclusionBundle } from './inclusion-support.js';
import { nobleBackend } from '../../../src/receipt/verify/noble-backend.js';
import { nodeBackend } from '../../../src/receipt/verify/node-backend.js';
import { splitNote } from '../../../src/receipt/note/index.js';
import type { Ed25519Backend, WitnessPolicy } from '../../../src/receipt/verify/index.js';
import { spyBackend } from '../note/support.js';
import { cosigned, WITNESS_1, WITNESS_2 } from './witness-support.js';
import { testKey1Signer, TRUST_KEY_1_RECEIPTS } from '../../fixtures/receipts/golden-receipts.js';
import { decisionBodies, signChain } from '../chain-builder.js';

const signer = testKey1Signer();
const receipts = signChain(decisionBodies(13), () => signer);
const leaves = receipts.map(receiptLeafHash);
const note = checkpointNote({ origin: 'acme.example/actiongate', size: 13, rootHash: rootFromReceipts(receipts) }, signer);

function bundleFor(seq: number, checkpoint = note): InclusionBundle {
  return { checkpoint, receipts: [{ line: canonicalJson(receipts[seq - 1]), index: seq - 1, proof: inclusionProof(seq - 1, 13, leaves).map(encodeBase64) }] };
}
const check = (bundle: unknown) => verifyInclusionBundle(bundle, TRUST_KEY_1_RECEIPTS, nodeBackend);

describe('verifyInclusionBundle', () => {
  it('proves every receipt of a 13-receipt log to its checkpoint', () => {
    for (let seq = 1; seq <= 13; seq++) {
      const result = check(bundleFor(seq));
      expect(result.problems).toEqual([]);
      expect(result.receipts.map((r) => r.log.seq)).toEqual([seq]);
    }
  });

  it('refuses a proof with any hash changed, or given for another index or another receipt', () => {
    const good = bundleFor(6);
    const entry = good.receipts[0] as InclusionBundle['receipts'][number];
    for (let i = 0; i < entry.proof.length; i++) {
      const proof = [...entry.proof];
      proof[i] = encodeBase64(leaves[(i + 3) % 13] as Uint8Array);
      expect(check({ ...good, receipts: [{ ...entry, proof }] }).problems.map((p) => p.code)).toEqual(['INCLUSION_PROOF_INVALID']);
    }
    expect(check({ ...good, receipts: [{ ...entry, index: 6 }] }).problems.map((p) => p.code)).toEqual(['INCLUSION_PROOF_INVALID']);
    expect(check({ ...good, receipts: [{ ...entry, line: canonicalJson(receipts[6]) }] }).problems.map((p) => p.code)).toEqual(['INCLUSION_PROOF_INVALID']);
    expect(check({ ...good, receipts: [{ ...entry, proof: entry.proof.slice(1) }] }).problems.map((p) => p.code)).toEqual(['INCLUSION_PROOF_INVALID']);
  });

  it('refuses a checkpoint a stranger signed, and an edited receipt', () => {
    const stranger = parsePrivateKeyFile(JSON.stringify(generatePrivateKeyFile()), 'stranger');
    const forged = checkpointNote({ origin: 'acme.example/actiongate', size: 13, rootHash: rootFromReceipts(receipts) }, stranger);
    expect(check(bundleFor(2, forged)).problems.map((p) => p.code)).toEqual(['TRUSTED_CHECKPOINT_INVALID']);
    const good = bundleFor(2);
    const entry = good.receipts[0] as InclusionBundle['receipts'][number];
    expect(check({ ...good, receipts: [{ ...entry, line: entry.line.replace('act-2', 'act-X') }] }).ok).toBe(false);
  });

  it('answers MALFORMED to anything that is not a bundle', () => {
    for (const junk of [null, 42, 'x', {}, { checkpoint: note }, { checkpoint: note, receipts: [{}] }, { checkpoint: note, receipts: [] }]) {
      expect(check(junk).problems.map((p) => p.code)).toContain('MALFORMED');
    }
  });
});

describe('verifyInclusionBundle and its back end', () => {
  it('checks the checkpoint note with the back end it is given, as the receipts', () => {
    const spy = spyBackend(nodeBackend);
    expect(verifyInclusionBundle(bundleFor(4), TRUST_KEY_1_RECEIPTS, spy).ok).toBe(true);
    expect(spy.messages.map((m) => new TextDecoder().decode(m))).toContain(splitNote(note).text);
    const body = splitNote(note).text;
    const refusingTheNote: Ed25519Backend = {
      name: 'refuses the note',
      verify: (publicKey, message, signature) => new TextDecoder().decode(message) !== body && nodeBackend.verify(publicKey, message, signature),
    };
    expect(verifyInclusionBundle(bundleFor(4), TRUST_KEY_1_RECEIPTS, refusingTheNote).problems.map((p) => p.code)).toEqual(['TRUSTED_CHECKPOINT_INVALID']);
  });
});

describe.each([nobleBackend, nodeBackend])('verifyInclusionBundle with witnesses, checked with $name', (backend) => {
  const witnesses: WitnessPolicy = { witnesses: [WITNESS_1.vkey, WITNESS_2.vkey] };
  const withWitnesses = (bundle: unknown, policy: WitnessPolicy = witnesses) => verifyInclusionBundle(bundle, TRUST_KEY_1_RECEIPTS, backend, { witnesses: policy });

  it('proves receipts to a checkpoint co-signed by the witnesses', () => {
    const result = withWitnesses(bundleFor(5, cosigned(note, WITNESS_1, WITNESS_2)));
    expect(result.problems).toEqual([]);
    expect(result.receipts.map((r) => r.log.seq)).toEqual([5]);
  });

  it('proves nothing against a checkpoint short of the quorum: WITNESS_COSIGNATURE_MISSING', () => {
    for (const checkpoint of [note, cosigned(note, WITNESS_2)]) {
      const result = withWitnesses(bundleFor(5, checkpoint));
      expect(result.ok).toBe(false);
      expect(result.receipts).toEqual([]);
      expect(result.problems.map((p) => p.code)).toEqual(['WITNESS_COSIGNATURE_MISSING']);
      expect(result.problems[0]?.message).toContain('2 required');
    }
    expect(withWitnesses(bundleFor(5, cosigned(note, WITNESS_2)), { ...witnesses, quorum: 1 }).ok).toBe(true);
    expect(verifyInclusionBundle(bundleFor(5), TRUST_KEY_1_RECEIPTS, backend).ok).toBe(true);
  });
});
