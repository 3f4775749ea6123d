import { utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../../src/receipt/note/base64.js';
import { formatCheckpoint } from '../../../src/receipt/note/checkpoint-note.js';
import {
  COSIGNATURE_V1_BYTES,
  cosign,
  cosignatureMessage,
  cosignatureTimestamp,
  cosignatureVerifier,
  verifyCosignature,
} from '../../../src/receipt/note/cosignature.js';
import { NoteError } from '../../../src/receipt/note/note-error.js';
import {
  addSignatureLines,
  formatVerifierKey,
  keyHash,
  noteVerifier,
  openNote,
  parseVerifierKey,
  signatureLine,
  signNote,
  splitNote,
} from '../../../src/receipt/note/signed-note.js';
import { nobleBackend } from '../../../src/receipt/verify/noble-backend.js';
import { nodeBackend } from '../../../src/receipt/verify/node-backend.js';
import { BACKENDS, bitFlips, fixture, memoized, noteErrorOf, openOutcome, recordHash, REFUSING_BACKEND, seedSigner, spyBackend } from './support.js';

const c2sp = fixture('c2sp.json');
const formats = fixture('transparency-dev-formats.json');
const torchwood = fixture('torchwood.json');
const go = fixture('go-generated.json');

const logSigner = seedSigner(go.keys.log.name, go.keys.log.seedHex);
const w1Signer = seedSigner(go.keys.witness1.name, go.keys.witness1.seedHex);
const w2Signer = seedSigner(go.keys.witness2.name, go.keys.witness2.seedHex);

const checkpoint = formatCheckpoint({ origin: 'example.com/log', size: 5, rootHash: recordHash('five') });
const signedCheckpoint = signNote(checkpoint, logSigner);

// Every test runs with both Ed25519 back ends: noble (pure JS, the default) and Node's crypto.
describe.each(BACKENDS)('with the $name back end', (backend) => {
  const logVerifier = noteVerifier(go.keys.log.vkey, backend);
  const w1 = cosignatureVerifier(go.keys.witness1.vkey, backend);
  const w2 = cosignatureVerifier(go.keys.witness2.vkey, backend);

  describe('witness verifier keys (type 0x04)', () => {
    it('hash with type 0x04: SHA-256(name || 0x0A || 0x04 || key)[:4], distinct from the 0x01 hash of the same key', () => {
      expect(formatVerifierKey(w1Signer.name, w1Signer.publicKey, 0x04)).toBe(go.keys.witness1.vkey);
      expect(formatVerifierKey(w2Signer.name, w2Signer.publicKey, 0x04)).toBe(go.keys.witness2.vkey);
      expect(formatVerifierKey(w2Signer.name, w2Signer.publicKey, 0x01)).toBe(go.keys.witness2.vkeyType01);
      expect(keyHash(w2Signer.name, 0x04, w2Signer.publicKey)).toBe(0xa5c4de5e);
    });

    it('parses published witness keys (transparency-dev/formats, torchwood’s policy)', () => {
      for (const vkey of [formats.vkeys.cosignatureV1.vkey, ...torchwood.witnessVkeys]) {
        const key = parseVerifierKey(vkey);
        expect(key.type).toBe(4);
        expect(formatVerifierKey(key.name, key.publicKey, 4)).toBe(vkey);
        expect(cosignatureVerifier(vkey, backend).keyHash).toBe(key.keyHash);
      }
    });

    it('refuses a note key (type 0x01) as a witness key: the key hash would differ', () => {
      noteErrorOf(() => cosignatureVerifier(go.keys.witness2.vkeyType01, backend), 'UNSUPPORTED_KEY_TYPE');
      noteErrorOf(() => verifyCosignature(signedCheckpoint, cosign(signedCheckpoint, w2Signer, 1), go.keys.witness2.vkeyType01, backend), 'UNSUPPORTED_KEY_TYPE');
    });
  });

  describe('the C2SP tlog-cosignature example', () => {
    it('has the timestamp of the spec’s signed-message example, and this module builds that message', () => {
      const { signatures, text } = splitNote(c2sp.cosignatureExample.note);
      const witness = signatures[1]!;
      expect(witness.name).toBe(c2sp.cosignatureExample.witnessName);
      expect(witness.signature).toHaveLength(COSIGNATURE_V1_BYTES);
      expect(cosignatureTimestamp(witness)).toBe(c2sp.cosignatureExample.timestamp);
      expect(cosignatureMessage(text, c2sp.cosignatureExample.timestamp)).toEqual(utf8ToBytes(c2sp.cosignatureExample.signedMessage));
    });
  });

  describe('transparency-dev/formats TestCoSigV1Timestamp', () => {
    it('reads the timestamp of its cosignature, and refuses a plain Ed25519 signature', () => {
      const [good, plain] = formats.cosignatureTimestamps;
      expect(cosignatureTimestamp(decodeBase64(good.base64)!.subarray(4))).toBe(good.timestamp);
      noteErrorOf(() => cosignatureTimestamp(decodeBase64(plain.base64)!.subarray(4)), 'MALFORMED_COSIGNATURE');
    });
  });

  describe('cosignatures made in Go (torchwood, transparency-dev/formats)', () => {
    for (const [index, entry] of (go.cosigned as Array<{ description: string; text: string; note: string }>).entries()) {
      it(`opens ${entry.description.split(': ').at(-1)} with the log key and both witness keys`, () => {
        const opened = openNote(entry.note, [logVerifier, w1, w2]);
        expect(opened.text).toBe(entry.text);
        expect(opened.verifiedBy).toEqual([go.keys.log.name, go.keys.witness1.name, go.keys.witness2.name]);
        expect(openNote(entry.note, [logVerifier]).unverified).toBe(2);
      });

      it(`verifies each witness line on its own and reproduces it byte for byte (case ${index + 1})`, () => {
        const [, line1, line2] = splitNote(entry.note).signatures;
        for (const [line, signer, vkey] of [
          [line1!, w1Signer, go.keys.witness1.vkey],
          [line2!, w2Signer, go.keys.witness2.vkey],
        ] as const) {
          const verified = verifyCosignature(entry.note, `${line.line}\n`, vkey, backend);
          expect(verified.name).toBe(signer.name);
          expect(verified.timestamp).toBe(cosignatureTimestamp(line));
          // Ed25519 is deterministic: same key, message and timestamp give the Go line exactly.
          expect(cosign(entry.note, signer, verified.timestamp)).toBe(`${line.line}\n`);
          expect(cosign(entry.text, signer, verified.timestamp)).toBe(`${line.line}\n`);
        }
      });
    }

    it('refuses every one-bit change of a cosigned note, or leaves the changed line unverified', () => {
      const original: string = go.cosigned[0].note;
      const lines = new Set(splitNote(original).signatures.map((s) => s.line));
      const verifiers = [logVerifier, w1, w2].map(memoized);
      for (const { mutated } of bitFlips(utf8ToBytes(original))) {
        let opened;
        try {
          opened = openNote(mutated, verifiers);
        } catch (error) {
          expect(error).toBeInstanceOf(NoteError);
          continue;
        }
        expect(opened.text).toBe(go.cosigned[0].text);
        for (const signature of opened.verified) expect(lines.has(signature.line)).toBe(true);
      }
    }, 60_000);
  });

  describe('cosigning and verifying', () => {
    it('round-trips at timestamps 0, 1, 2^32 and 2^53 - 1, on a bare body or a signed note', () => {
      for (const timestamp of [0, 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
        const line = cosign(signedCheckpoint, w1Signer, timestamp);
        expect(line).toBe(cosign(checkpoint, w1Signer, timestamp));
        expect(verifyCosignature(checkpoint, line, w1, backend).timestamp).toBe(timestamp);
        const note = addSignatureLines(signedCheckpoint, [line]);
        expect(openNote(note, [logVerifier, w1]).verifiedBy).toEqual([go.keys.log.name, go.keys.witness1.name]);
        expect(cosignatureTimestamp(splitNote(note).signatures[1]!)).toBe(timestamp);
      }
    });

    it('writes the timestamp big-endian in the 8 bytes after the key hash', () => {
      const line = cosign(checkpoint, w1Signer, 0x0102_0304_0506);
      const bytes = decodeBase64(line.trimEnd().split(' ').at(-1)!)!;
      expect([...bytes.subarray(4, 12)]).toEqual([0, 0, 1, 2, 3, 4, 5, 6]);
    });

    it('signs the whole checkpoint text, extension lines included', () => {
      const extended = formatCheckpoint({ origin: 'example.com/log', size: 5, rootHash: recordHash('five'), extensions: ['ext'] });
      const line = cosign(extended, w1Signer, 7);
      verifyCosignature(extended, line, w1, backend);
      noteErrorOf(() => verifyCosignature(extended.replace('ext', 'exT'), line, w1, backend), 'BAD_SIGNATURE');
      noteErrorOf(() => verifyCosignature(checkpoint, line, w1, backend), 'BAD_SIGNATURE');
    });

    it('refuses a cosignature on another checkpoint, with another timestamp, or by another witness', () => {
      const line = cosign(checkpoint, w1Signer, 1000);
      const other = formatCheckpoint({ origin: 'example.com/log', size: 6, rootHash: recordHash('five') });
      noteErrorOf(() => verifyCosignature(other, line, w1, backend), 'BAD_SIGNATURE');
      const raw = decodeBase64(line.trimEnd().split(' ').at(-1)!)!;
      raw[11] = (raw[11] as number) ^ 1; // the timestamp's last byte
      noteErrorOf(() => verifyCosignature(checkpoint, signatureLine(w1.name, w1.keyHash, raw.subarray(4)), w1, backend), 'BAD_SIGNATURE');
      noteErrorOf(() => verifyCosignature(checkpoint, line, w2, backend), 'KEY_MISMATCH');
    });

    it('does not take a plain note signature by the witness key as a cosignature, nor the reverse', () => {
      const plain = signNote(checkpoint, w1Signer); // type 0x01 key hash
      noteErrorOf(() => openNote(plain, [w1]), 'UNVERIFIED');
      noteErrorOf(() => verifyCosignature(checkpoint, `${splitNote(plain).signatures[0]!.line}\n`, w1, backend), 'KEY_MISMATCH');
      const cosigned = `${checkpoint}\n${cosign(checkpoint, w1Signer, 1)}`;
      noteErrorOf(() => openNote(cosigned, [noteVerifier(formatVerifierKey(w1Signer.name, w1Signer.publicKey), backend)]), 'UNVERIFIED');
    });

    it('refuses to cosign or verify a text that is not a checkpoint', () => {
      noteErrorOf(() => cosign('not a checkpoint\n', w1Signer, 1), 'MALFORMED_CHECKPOINT');
      noteErrorOf(() => cosign('example.com/log\n05\n' + encodeBase64(recordHash('x')) + '\n', w1Signer, 1), 'MALFORMED_CHECKPOINT');
      // A line made over a non-checkpoint text, by hand: the verifier refuses it on any text.
      const message = utf8ToBytes('cosignature/v1\ntime 1\nhello\n');
      const bytes = new Uint8Array(72);
      bytes[7] = 1;
      bytes.set(w1Signer.sign(message), 8);
      const line = signatureLine(w1.name, w1.keyHash, bytes);
      expect(w1.verify('hello\n', bytes)).toBe(false);
      noteErrorOf(() => openNote(`hello\n\n${line}`, [w1]), 'BAD_SIGNATURE');
    });

    it('refuses timestamps that are not integers from 0 to 2^53 - 1', () => {
      for (const timestamp of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
        noteErrorOf(() => cosign(checkpoint, w1Signer, timestamp), 'MALFORMED_COSIGNATURE');
      }
    });

    it('refuses a cosignature whose timestamp is beyond 2^53 - 1 (the spec allows up to 2^63 - 1)', () => {
      const bytes = new Uint8Array(72);
      bytes[1] = 0x20; // 2^53
      noteErrorOf(() => cosignatureTimestamp(bytes), 'MALFORMED_COSIGNATURE');
      const line = signatureLine(w1.name, w1.keyHash, bytes);
      noteErrorOf(() => verifyCosignature(checkpoint, line, w1, backend), 'MALFORMED_COSIGNATURE');
      noteErrorOf(() => openNote(`${checkpoint}\n${line}`, [w1]), 'BAD_SIGNATURE');
    });

    it('refuses a malformed cosignature line or length', () => {
      const line = cosign(checkpoint, w1Signer, 1);
      noteErrorOf(() => verifyCosignature(checkpoint, line.trimEnd(), w1, backend), 'MALFORMED_COSIGNATURE');
      noteErrorOf(() => verifyCosignature(checkpoint, line + line, w1, backend), 'MALFORMED_COSIGNATURE');
      noteErrorOf(() => verifyCosignature(checkpoint, line.replace('—', '-'), w1, backend), 'MALFORMED_COSIGNATURE');
      const short = signatureLine(w1.name, w1.keyHash, new Uint8Array(71));
      noteErrorOf(() => verifyCosignature(checkpoint, short, w1, backend), 'MALFORMED_COSIGNATURE');
      noteErrorOf(() => openNote(`${checkpoint}\n${short}`, [w1]), 'BAD_SIGNATURE');
    });

    it('refuses a witness signer whose key is not the one it states', () => {
      noteErrorOf(() => cosign(checkpoint, { ...w1Signer, sign: w2Signer.sign }, 1), 'SIGNER_MISMATCH');
    });
  });
});

describe('the back end a cosignature verifier is given', () => {
  const line = cosign(signedCheckpoint, w1Signer, 1_700_000_000);
  const note = addSignatureLines(signedCheckpoint, [line]);

  it('is the one that checks the signature, over the cosignature/v1 message', () => {
    const spy = spyBackend(nodeBackend);
    expect(openNote(note, [noteVerifier(go.keys.log.vkey, spy), cosignatureVerifier(go.keys.witness1.vkey, spy)]).verifiedBy).toHaveLength(2);
    expect(spy.messages).toEqual([utf8ToBytes(checkpoint), cosignatureMessage(checkpoint, 1_700_000_000)]);
    expect(verifyCosignature(note, line, go.keys.witness1.vkey, spy).timestamp).toBe(1_700_000_000);
    expect(spy.messages).toHaveLength(3);
  });

  it('refuses everything when its back end does', () => {
    noteErrorOf(() => openNote(note, [noteVerifier(go.keys.log.vkey), cosignatureVerifier(go.keys.witness1.vkey, REFUSING_BACKEND)]), 'BAD_SIGNATURE');
    noteErrorOf(() => verifyCosignature(note, line, go.keys.witness1.vkey, REFUSING_BACKEND), 'BAD_SIGNATURE');
    expect(verifyCosignature(note, line, go.keys.witness1.vkey).timestamp).toBe(1_700_000_000);
  });
});

describe('noble and node:crypto', () => {
  it('give the same answer to every one-bit change of a note cosigned in Go', () => {
    const original: string = go.cosigned[0].note;
    const [viaNoble, viaNode] = [nobleBackend, nodeBackend].map((backend) =>
      [noteVerifier(go.keys.log.vkey, backend), cosignatureVerifier(go.keys.witness1.vkey, backend), cosignatureVerifier(go.keys.witness2.vkey, backend)].map(memoized),
    );
    const disagreements: number[] = [];
    let opened = 0;
    for (const { offset, mutated } of bitFlips(utf8ToBytes(original))) {
      const answer = openOutcome(mutated, viaNoble!);
      if (answer !== openOutcome(mutated, viaNode!)) disagreements.push(offset);
      if (answer.startsWith('{')) opened++;
    }
    expect(disagreements).toEqual([]);
    expect(opened).toBeGreaterThan(0);
  }, 60_000);

  it('agree on each Go cosignature line checked on its own, and on each with one bit of its signature flipped', () => {
    for (const entry of go.cosigned as Array<{ note: string }>) {
      const [, line1, line2] = splitNote(entry.note).signatures;
      for (const [line, vkey] of [
        [line1!, go.keys.witness1.vkey],
        [line2!, go.keys.witness2.vkey],
      ] as const) {
        for (const { mutated } of bitFlips(line.signature)) {
          const answers = [nobleBackend, nodeBackend].map((backend) => cosignatureVerifier(vkey, backend).verify(splitNote(entry.note).text, mutated));
          expect(answers).toEqual([false, false]);
        }
        expect([nobleBackend, nodeBackend].map((backend) => cosignatureVerifier(vkey, backend).verify(splitNote(entry.note).text, line.signature))).toEqual([true, true]);
      }
    }
  }, 60_000);
});
