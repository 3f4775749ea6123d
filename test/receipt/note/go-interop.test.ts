// Both directions against the Go reference implementations, pinned as fixtures (see
// test/fixtures/note/README.md): notes Go signed open here, byte for byte the same as this module
// signs them; notes this module signed (which Go opened) are made again identically.
import { describe, expect, it } from 'vitest';
import { formatCheckpoint, parseCheckpoint } from '../../../src/receipt/note/checkpoint-note.js';
import { cosign, cosignatureVerifier, verifyCosignature } from '../../../src/receipt/note/cosignature.js';
import { addSignatureLines, formatVerifierKey, noteVerifier, openNote, signNote, splitNote } from '../../../src/receipt/note/signed-note.js';
import { BACKENDS, fixture, seedSigner, skeySigner } from './support.js';

interface SignedEntry {
  description: string;
  vkeys: string[];
  text: string;
  note: string;
}
interface CosignedEntry {
  description: string;
  logVkey: string;
  witnessVkeys: string[];
  timestamps?: number[];
  text: string;
  note: string;
}

const go = fixture('go-generated.json');
const ts = fixture('ts-signed.json');
const keys = go.keys as Record<'log' | 'unicode' | 'witness1' | 'witness2', { name: string; seedHex: string; vkey: string }>;
const signers = Object.fromEntries(Object.entries(keys).map(([id, key]) => [id, seedSigner(key.name, key.seedHex)]));
// Every vector is checked with both Ed25519 back ends: noble (pure JS, the default) and Node's crypto.
describe.each(BACKENDS)('with the $name back end', (backend) => {
  describe('notes signed by golang.org/x/mod sumdb/note', () => {
    for (const entry of go.notes as SignedEntry[]) {
      it(`opens and re-signs identically: ${entry.description}`, () => {
        const opened = openNote(entry.note, entry.vkeys.map((vkey) => noteVerifier(vkey, backend)));
        expect(opened.text).toBe(entry.text);
        expect(opened.verifiedBy).toHaveLength(entry.vkeys.length);
        const resigned = signNote(entry.text, entry.vkeys.map((vkey) => seedFor(vkey)));
        expect(resigned).toBe(entry.note);
      });
    }
  });

  describe('checkpoints signed with x/mod and cosigned by torchwood and transparency-dev/formats', () => {
    for (const entry of go.cosigned as CosignedEntry[]) {
      it(`opens with all three keys and remakes every line: ${entry.description.split(': ').at(-1)}`, () => {
        const opened = openNote(entry.note, [noteVerifier(entry.logVkey, backend), ...entry.witnessVkeys.map((vkey) => cosignatureVerifier(vkey, backend))]);
        expect(opened.verifiedBy).toHaveLength(3);
        expect(formatCheckpoint(parseCheckpoint(opened.text))).toBe(entry.text);
        const [, w1Line, w2Line] = splitNote(entry.note).signatures;
        const t1 = verifyCosignature(entry.note, `${w1Line!.line}\n`, entry.witnessVkeys[0]!, backend).timestamp;
        const t2 = verifyCosignature(entry.note, `${w2Line!.line}\n`, entry.witnessVkeys[1]!, backend).timestamp;
        const remade = addSignatureLines(signNote(entry.text, signers.log!), [cosign(entry.text, signers.witness1!, t1), cosign(entry.text, signers.witness2!, t2)]);
        expect(remade).toBe(entry.note);
      });
    }
  });

  describe('notes this module signed, which the Go implementations opened', () => {
    for (const entry of ts.notes as SignedEntry[]) {
      it(`are made again byte for byte: ${entry.description}`, () => {
        expect(signNote(entry.text, entry.vkeys.map((vkey) => seedFor(vkey)))).toBe(entry.note);
        expect(openNote(entry.note, entry.vkeys.map((vkey) => noteVerifier(vkey, backend))).verifiedBy).toHaveLength(entry.vkeys.length);
      });
    }

    for (const entry of ts.cosigned as CosignedEntry[]) {
      it(`are made again byte for byte: ${entry.description}`, () => {
        const [t1, t2] = entry.timestamps as [number, number];
        const signed = signNote(entry.text, signers.log!);
        expect(addSignatureLines(signed, [cosign(signed, signers.witness1!, t1), cosign(signed, signers.witness2!, t2)])).toBe(entry.note);
        expect(verifyCosignature(entry.note, `${splitNote(entry.note).signatures[2]!.line}\n`, entry.witnessVkeys[1]!, backend).timestamp).toBe(t2);
      });
    }
  });
});

/** The test signer whose Ed25519 note vkey (type 0x01) is `vkey`. */
function seedFor(vkey: string) {
  const candidates = [...Object.values(signers), skeySigner(fixture('x-mod-note.json').peterNeumann.skey)];
  const found = candidates.find((signer) => formatVerifierKey(signer.name, signer.publicKey) === vkey);
  if (found === undefined) throw new Error(`no test signer for ${vkey}`);
  return found;
}
