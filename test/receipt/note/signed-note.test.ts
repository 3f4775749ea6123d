import * as ed from '@noble/ed25519';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { createSigner } from '../../../src/keys/signer.js';
import { decodeBase64, encodeBase64 } from '../../../src/receipt/note/base64.js';
import { parseCheckpoint } from '../../../src/receipt/note/checkpoint-note.js';
import { NoteError } from '../../../src/receipt/note/note-error.js';
import {
  addSignatureLines,
  formatVerifierKey,
  isValidKeyName,
  keyHash,
  noteVerifier,
  openNote,
  parseVerifierKey,
  signNote,
  splitNote,
  verifyEd25519,
  type NoteVerifier,
} from '../../../src/receipt/note/signed-note.js';
import { nobleBackend } from '../../../src/receipt/verify/noble-backend.js';
import { nodeBackend } from '../../../src/receipt/verify/node-backend.js';
import { TEST_KEY_1, TEST_KEY_2 } from '../../fixtures/signing-keys.js';
import { BACKENDS, bitFlips, fixture, insertAtByte, memoized, noteErrorOf, openOutcome, REFUSING_BACKEND, seedSigner, skeySigner, spyBackend } from './support.js';

const xmod = fixture('x-mod-note.json');
const c2sp = fixture('c2sp.json');
const sumdb = fixture('sum-golang-org.json');
const formats = fixture('transparency-dev-formats.json');

const peterSigner = skeySigner(xmod.peterNeumann.skey);
const enochSigner = seedSigner('EnochRoot', xmod.enochRoot.seedHex);
const text: string = xmod.text;
const peterSig: string = xmod.peterSig;
const enochSig: string = xmod.enochSig;

// Every test runs with both Ed25519 back ends: noble (pure JS, the default) and Node's crypto.
describe.each(BACKENDS)('with the $name back end', (backend) => {
  const peter = noteVerifier(xmod.peterNeumann.vkey, backend);
  const enoch = noteVerifier(xmod.enochRoot.vkey, backend);

  describe('verifier keys', () => {
    it('parses the x/mod PeterNeumann and EnochRoot keys, whose key hashes are SHA-256(name || 0x0A || 0x01 || key)[:4]', () => {
      expect(peter.name).toBe('PeterNeumann');
      expect(peter.keyHash).toBe(0xc74f20a3);
      expect(peter.type).toBe(1);
      expect(peter.publicKey).toEqual(peterSigner.publicKey);
      expect(keyHash('PeterNeumann', 0x01, peterSigner.publicKey)).toBe(0xc74f20a3);
      expect(enoch.keyHash).toBe(0xaf0cfe78);
    });

    it('formats the same vkeys from the public keys (EnochRoot: the zero seed of ExampleSign_add_signatures)', () => {
      expect(formatVerifierKey('PeterNeumann', peterSigner.publicKey)).toBe(xmod.peterNeumann.vkey);
      expect(formatVerifierKey('EnochRoot', enochSigner.publicKey)).toBe(xmod.enochRoot.vkey);
    });

    it('parses the C2SP example key, transparency-dev/formats keys and the sum.golang.org key, and formats them back', () => {
      for (const vkey of [c2sp.signedNoteExample.vkey, formats.vkeys.ed25519.vkey, formats.vkeys.logandmap.vkey, sumdb.vkey]) {
        const key = parseVerifierKey(vkey);
        expect(key.type).toBe(1);
        expect(formatVerifierKey(key.name, key.publicKey, key.type)).toBe(vkey);
      }
    });

    it('derives the transparency-dev/formats logandmap vkey from its skey', () => {
      const signer = skeySigner(formats.vkeys.logandmap.skey);
      expect(formatVerifierKey(signer.name, signer.publicKey)).toBe(formats.vkeys.logandmap.vkey);
    });

    it('refuses every substring and every one-character increment of the PeterNeumann vkey (x/mod TestNewVerifier)', () => {
      const vkey: string = xmod.peterNeumann.vkey;
      for (let i = 0; i <= vkey.length; i++) {
        for (let j = i + 1; j <= vkey.length; j++) {
          if (i === 0 && j === vkey.length) continue;
          noteErrorOf(() => parseVerifierKey(vkey.slice(i, j)));
        }
      }
      for (let i = 0; i < vkey.length; i++) {
        const mangled = vkey.slice(0, i) + String.fromCharCode(vkey.charCodeAt(i) + 1) + vkey.slice(i + 1);
        noteErrorOf(() => parseVerifierKey(mangled));
      }
    });

    it('refuses the x/mod bad keys: a wrong-length key and an unknown algorithm, each with an adjusted key hash', () => {
      noteErrorOf(() => parseVerifierKey(xmod.badVkeys[0].vkey), 'MALFORMED_KEY');
      noteErrorOf(() => parseVerifierKey(xmod.badVkeys[1].vkey), 'UNSUPPORTED_KEY_TYPE');
    });

    it('refuses the transparency-dev/formats bad keys, and its ECDSA and RFC 6962 keys as not handled', () => {
      for (const { vkey } of formats.badVkeys) noteErrorOf(() => parseVerifierKey(vkey));
      for (const { vkey } of formats.unsupportedVkeys) {
        expect(['UNSUPPORTED_KEY_TYPE', 'KEY_HASH_MISMATCH']).toContain(noteErrorOf(() => parseVerifierKey(vkey)).code);
      }
    });

    it('is stricter than Go: upper-case hex and weak public keys are refused', () => {
      noteErrorOf(() => parseVerifierKey('PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'), 'MALFORMED_KEY');
      // 33 key bytes fill whole base64 groups: no padding, no trailing bits, so the only leeway left is the alphabet.
      noteErrorOf(() => parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW'), 'MALFORMED_KEY');
      const identity = new Uint8Array(32);
      identity[0] = 1; // the neutral point: small order, a forged signature verifies under it for any message
      const nonCanonical = new Uint8Array(32).fill(0xff);
      nonCanonical[0] = 0xed;
      nonCanonical[31] = 0x7f; // y = p, not reduced
      expect(keyHash('weak', 1, identity)).toBe(0x8b94416d); // what Go's note.NewEd25519VerifierKey gives, and Go accepts the key
      for (const publicKey of [identity, nonCanonical]) {
        const vkey = `weak+${keyHash('weak', 1, publicKey).toString(16).padStart(8, '0')}+${encodeBase64(Uint8Array.of(1, ...publicKey))}`;
        noteErrorOf(() => parseVerifierKey(vkey), 'WEAK_KEY');
        noteErrorOf(() => formatVerifierKey('weak', publicKey), 'WEAK_KEY');
      }
    });

    it('refuses a cosignature key (type 0x04) as a note verifier', () => {
      noteErrorOf(() => noteVerifier(formats.vkeys.cosignatureV1.vkey, backend), 'UNSUPPORTED_KEY_TYPE');
    });

    it('applies Go’s key-name rule: non-empty, no Unicode space (U+0085, U+00A0, U+3000...), no plus', () => {
      expect(isValidKeyName('example.com/log')).toBe(true);
      expect(isValidKeyName('例え.example/ключ')).toBe(true);
      expect(isValidKeyName('zero\u200bwidth')).toBe(true); // U+200B is not White_Space, in Go as here
      expect(isValidKeyName('bom\ufeff')).toBe(true); // nor is U+FEFF (JS \s would say it is)
      for (const bad of ['', 'a b', 'a+b', 'a\tb', 'a\u0085b', 'a\u00a0b', 'a\u1680b', 'a\u2007b', 'a\u2028b', 'a\u202fb', 'a\u3000b', 'a\ud800b']) {
        expect(isValidKeyName(bad), JSON.stringify(bad)).toBe(false);
      }
      noteErrorOf(() => formatVerifierKey('a b', peterSigner.publicKey), 'INVALID_NAME');
      noteErrorOf(() => formatVerifierKey('ok', new Uint8Array(31)), 'MALFORMED_KEY');
    });
  });

  describe('signing', () => {
    it('gives x/mod TestSign’s note byte for byte', () => {
      expect(signNote(text, peterSigner)).toBe(xmod.signedByPeter);
    });

    it('gives ExampleSign_add_signatures’ doubly signed note, in one go or by adding a line', () => {
      expect(signNote(text, [peterSigner, enochSigner])).toBe(xmod.signedByPeterAndEnoch);
      expect(addSignatureLines(xmod.signedByPeter, [enochSig])).toBe(xmod.signedByPeterAndEnoch);
      expect(addSignatureLines(xmod.signedByPeterAndEnoch, [enochSig])).toBe(xmod.signedByPeterAndEnoch);
    });

    it('signs with the project’s Signer (raw base64url public key), given a name', () => {
      const signer = createSigner(TEST_KEY_1.privateKey, 'TEST_KEY_1');
      const note = signNote('hello\n', { name: 'actiongate.example/log', publicKey: signer.publicKey, sign: signer.sign });
      const vkey = formatVerifierKey('actiongate.example/log', decodeBase64url(signer.publicKey));
      expect(openNote(note, [noteVerifier(vkey, backend)]).verifiedBy).toEqual(['actiongate.example/log']);
    });

    it('refuses what x/mod refuses: a text without final newline, a bad name', () => {
      noteErrorOf(() => signNote('abc', peterSigner), 'MALFORMED_NOTE');
      noteErrorOf(() => signNote('', peterSigner), 'MALFORMED_NOTE');
      noteErrorOf(() => signNote(text, { ...peterSigner, name: 'bad name' }), 'INVALID_NAME');
    });

    it('refuses a text it could not open again: a control character, an unpaired surrogate', () => {
      noteErrorOf(() => signNote('tab\there\n', peterSigner), 'MALFORMED_NOTE');
      noteErrorOf(() => signNote('cr\r\n', peterSigner), 'MALFORMED_NOTE');
      noteErrorOf(() => signNote('half \ud83d\n', peterSigner), 'MALFORMED_NOTE');
    });

    it('refuses a signer whose signature does not verify under its stated key', () => {
      const other = createSigner(TEST_KEY_2.privateKey, 'TEST_KEY_2');
      noteErrorOf(() => signNote(text, { name: 'liar', publicKey: peterSigner.publicKey, sign: other.sign }), 'SIGNER_MISMATCH');
      noteErrorOf(() => signNote(text, { name: 'short', publicKey: peterSigner.publicKey, sign: () => new Uint8Array(64) }), 'SIGNER_MISMATCH');
      noteErrorOf(() => signNote(text, { name: 'nokey', publicKey: 'not base64url!', sign: other.sign }), 'MALFORMED_KEY');
      noteErrorOf(() => signNote(text, [peterSigner, peterSigner]), 'SIGNER_MISMATCH');
    });
  });

  describe('opening (x/mod TestOpen)', () => {
    it('verifies one signature and ignores the other, unknown one', () => {
      const opened = openNote(text + '\n' + peterSig + enochSig, [peter]);
      expect(opened.text).toBe(text);
      expect(opened.verifiedBy).toEqual(['PeterNeumann']);
      expect(opened.verified[0]?.keyHash).toBe(0xc74f20a3);
      expect(opened.unverified).toBe(1);
      expect(opened.unverifiedSignatures.map((s) => [s.name, s.keyHash])).toEqual([['EnochRoot', 0xaf0cfe78]]);
    });

    it('verifies both', () => {
      const opened = openNote(text + '\n' + peterSig + enochSig, [peter, enoch]);
      expect(opened.verifiedBy).toEqual(['PeterNeumann', 'EnochRoot']);
      expect(opened.unverified).toBe(0);
    });

    it('refuses a note no known key signed, saying how many unknown signatures it has', () => {
      const error = noteErrorOf(() => openNote(text + '\n' + peterSig + enochSig, []), 'UNVERIFIED');
      expect(error.details).toEqual({ unverified: 2 });
    });

    it('refuses an ambiguous verifier list when a line needs it, not otherwise', () => {
      noteErrorOf(() => openNote(text + '\n' + enochSig, [enoch, peter, enoch]), 'AMBIGUOUS_KEY');
      expect(openNote(text + '\n' + peterSig, [enoch, peter, enoch]).verifiedBy).toEqual(['PeterNeumann']);
    });

    it('refuses more than 100 signatures, verified or not', () => {
      noteErrorOf(() => openNote(text + '\n' + peterSig.repeat(101), [peter]), 'TOO_MANY_SIGNATURES');
      noteErrorOf(() => openNote(text + '\n' + peterSig.repeat(101), []), 'TOO_MANY_SIGNATURES');
      expect(openNote(text + '\n' + peterSig.repeat(100), [peter]).verifiedBy).toEqual(['PeterNeumann']);
    });

    it('refuses an invalid signature by a known key, naming the key and line', () => {
      const error = noteErrorOf(() => openNote(text + '\n' + insertAtByte(peterSig, 60, 'ABCD'), [peter]), 'BAD_SIGNATURE');
      expect(error.details).toEqual({ name: 'PeterNeumann', keyHash: 'c74f20a3', line: 1 });
    });

    it('counts repeated signatures once and keeps distinct unknown ones', () => {
      const enochABCD = insertAtByte(enochSig, 60, 'ABCD');
      const opened = openNote(text + '\n' + peterSig + peterSig + enochSig + enochSig + enochABCD, [peter]);
      expect(opened.verifiedBy).toEqual(['PeterNeumann']);
      expect(opened.unverified).toBe(2);
      expect(opened.unverifiedSignatures[1]?.line).toBe(enochABCD.slice(0, -1));
    });

    it('refuses x/mod’s malformed notes', () => {
      const bad: Array<string | Uint8Array> = [
        text,
        text + '\n',
        text + '\n' + peterSig.slice(0, -1),
        '\x01' + text + '\n' + peterSig,
        Uint8Array.of(0xff, ...utf8ToBytes(text + '\n' + peterSig)),
        text + '\n' + '— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=',
        text + '\n' + peterSig + 'Unexpected line.\n',
      ];
      for (const note of bad) noteErrorOf(() => openNote(note, [peter]), 'MALFORMED_NOTE');
    });

    it('does not count a line with another name or key hash as the known key’s', () => {
      noteErrorOf(() => openNote(text + '\n' + peterSig.replaceAll('PeterNeumann', 'CarmenSandiego'), [peter]), 'UNVERIFIED');
      noteErrorOf(() => openNote(text + '\n' + peterSig.replaceAll('x08g', 'xxxx'), [peter]), 'UNVERIFIED');
    });

    it('opens bytes as well as strings', () => {
      expect(openNote(utf8ToBytes(xmod.signedByPeter), [peter]).text).toBe(text);
    });
  });

  describe('published notes', () => {
    it('verifies the C2SP signed-note example', () => {
      const opened = openNote(c2sp.signedNoteExample.note, [noteVerifier(c2sp.signedNoteExample.vkey, backend)]);
      expect(opened.text).toBe(c2sp.signedNoteExample.text);
      expect(opened.verifiedBy).toEqual(['example.com/foo']);
    });

    it('splits the C2SP example whose text has an empty line at the last blank line', () => {
      const split = splitNote(c2sp.quasimodoExample.note);
      expect(split.text).toBe(c2sp.quasimodoExample.text);
      expect(split.signatures.map((s) => s.name)).toEqual(['quasimodo.example/salvatore']);
      noteErrorOf(() => openNote(c2sp.quasimodoExample.note, [peter]), 'UNVERIFIED');
    });

    it('verifies a signed tree head of sum.golang.org with the key the Go distribution pins', () => {
      const opened = openNote(sumdb.note, [noteVerifier(sumdb.vkey, backend)]);
      expect(opened.verifiedBy).toEqual(['sum.golang.org']);
      const tree = parseCheckpoint(opened.text);
      expect([tree.origin, tree.size, encodeBase64(tree.rootHash)]).toEqual([sumdb.origin, sumdb.size, sumdb.rootHash]);
    });
  });

  describe('strict parsing', () => {
    const good: string = xmod.signedByPeter;
    const line = peterSig.slice(0, -1);
    const variants: Record<string, string> = {
      'hyphen for the em dash': text + '\n' + line.replace('—', '-') + '\n',
      'en dash (U+2013) for the em dash': text + '\n' + line.replace('—', '\u2013') + '\n',
      'no space after the dash': text + '\n' + line.replace('— ', '—') + '\n',
      'two spaces after the dash': text + '\n' + line.replace('— ', '—  ') + '\n',
      'two spaces before the signature': text + '\n' + line.replace('Neumann ', 'Neumann  ') + '\n',
      'a tab before the signature': text + '\n' + line.replace('Neumann ', 'Neumann\t') + '\n',
      'a trailing space': text + '\n' + line + ' \n',
      'CRLF line ends': (text + '\n' + peterSig).replaceAll('\n', '\r\n'),
      'a CR before the last newline': text + '\n' + line + '\r\n',
      'no blank line': text + peterSig,
      'a second blank line after the signatures': good + '\n',
      'unpadded base64': text + '\n' + line.replace(/=$/, '') + '\n',
      'base64 with non-zero trailing bits (same bytes; Go accepts it)': text + '\n' + line.replace(/AM=$/, 'AN=') + '\n',
      'base64url characters': text + '\n' + line.replaceAll('/', '_') + '\n',
      'a signature of 4 bytes': text + '\n— PeterNeumann x08gow==\n',
      'an empty signature': text + '\n— PeterNeumann \n',
      'no signature': text + '\n— PeterNeumann\n',
      'an unpaired surrogate in the text': 'half \ud83d\n\n' + peterSig,
      'a NUL in the text': 'nul\u0000\n\n' + peterSig,
    };
    for (const [what, note] of Object.entries(variants)) {
      it(`refuses ${what}`, () => {
        expect(note).not.toBe(good);
        noteErrorOf(() => openNote(note, [peter]), 'MALFORMED_NOTE');
      });
    }

    it('decodes bytes strictly as UTF-8: overlong forms, encoded surrogates, truncated sequences are refused', () => {
      const tail = utf8ToBytes('\n\n' + peterSig);
      for (const bad of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x80], [0xf4, 0x90, 0x80, 0x80]]) {
        noteErrorOf(() => openNote(Uint8Array.of(0x61, ...bad, ...tail), [peter]), 'MALFORMED_NOTE');
      }
    });

    it('keeps a byte-order mark as part of the text, so the signature no longer verifies', () => {
      noteErrorOf(() => openNote(Uint8Array.of(0xef, 0xbb, 0xbf, ...utf8ToBytes(good)), [peter]), 'BAD_SIGNATURE');
    });

    it('refuses a signature of the wrong length by a known key', () => {
      const short = encodeBase64(Uint8Array.of(0xc7, 0x4f, 0x20, 0xa3, 1, 2, 3, 4, 5));
      noteErrorOf(() => openNote(`${text}\n— PeterNeumann ${short}\n`, [peter]), 'BAD_SIGNATURE');
    });

    it('takes the text to the last blank line: a blank line among the signatures makes the lines before it text', () => {
      const note = text + '\n' + peterSig + '\n' + enochSig;
      expect(splitNote(note).text).toBe(text + '\n' + peterSig);
      noteErrorOf(() => openNote(note, [peter]), 'UNVERIFIED');
      noteErrorOf(() => openNote(note, [peter, enoch]), 'BAD_SIGNATURE');
    });

    it('refuses a known name and hash whose key did not make the signature (a key-hash collision)', () => {
      const impostor: NoteVerifier = { name: 'PeterNeumann', keyHash: 0xc74f20a3, verify: noteVerifier(xmod.enochRoot.vkey, backend).verify };
      noteErrorOf(() => openNote(good, [impostor]), 'BAD_SIGNATURE');
    });

    it('treats a verifier that throws as a failed check', () => {
      const throwing: NoteVerifier = { name: 'PeterNeumann', keyHash: 0xc74f20a3, verify: () => { throw new Error('boom'); } };
      noteErrorOf(() => openNote(good, [throwing]), 'BAD_SIGNATURE');
    });

    it('refuses a signature line that is not one, when adding lines', () => {
      noteErrorOf(() => addSignatureLines(good, ['— x AAAA\n']), 'MALFORMED_NOTE');
      noteErrorOf(() => addSignatureLines(good, [enochSig.slice(0, -1)]), 'MALFORMED_NOTE');
      noteErrorOf(() => addSignatureLines(good, [enochSig + enochSig]), 'MALFORMED_NOTE');
    });
  });

  describe('mutations', () => {
    it('refuses every one-bit change of a singly signed note (text, name, key hash, signature, framing)', () => {
      const bytes = utf8ToBytes(xmod.signedByPeter);
      let count = 0;
      for (const { mutated } of bitFlips(bytes)) {
        noteErrorOf(() => openNote(mutated, [peter]));
        count++;
      }
      expect(count).toBe(bytes.length * 8);
    }, 60_000);

    it('never counts a changed line as verified in a doubly signed note, nor returns a changed text', () => {
      const original: string = xmod.signedByPeterAndEnoch;
      const lines = new Set(splitNote(original).signatures.map((s) => s.line));
      const verifiers = [peter, enoch].map(memoized);
      for (const { mutated } of bitFlips(utf8ToBytes(original))) {
        let opened;
        try {
          opened = openNote(mutated, verifiers);
        } catch (error) {
          expect(error).toBeInstanceOf(NoteError);
          continue;
        }
        expect(opened.text).toBe(text);
        for (const signature of opened.verified) expect(lines.has(signature.line)).toBe(true);
      }
    }, 60_000);

    it('refuses every one-bit change of a verifier key', () => {
      for (const { mutated } of bitFlips(utf8ToBytes(xmod.peterNeumann.vkey))) {
        let vkey: string;
        try {
          vkey = new TextDecoder('utf-8', { fatal: true }).decode(mutated);
        } catch {
          continue; // not text: cannot even be given
        }
        noteErrorOf(() => parseVerifierKey(vkey));
      }
    });
  });

  describe('round trips', () => {
    // A small deterministic generator, so a failure replays.
    let state = 0x2545f491;
    const next = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 0;
    };
    const alphabet = ['a', 'Z', '0', ' ', '\n', '—', 'é', '例', '😀', '+', '=', '-'];
    const randomText = () => {
      let out = '';
      const length = next() % 60;
      for (let i = 0; i < length; i++) out += alphabet[next() % alphabet.length];
      return out + '\n';
    };

    it('opens what it signed, for texts with blank lines, dashes and non-BMP characters', () => {
      const signers = [seedSigner('a.example/one', new Uint8Array(32).fill(1)), seedSigner('例え.example/two', new Uint8Array(32).fill(2))];
      const verifiers = signers.map((s) => noteVerifier(formatVerifierKey(s.name, s.publicKey), backend));
      for (let round = 0; round < 40; round++) {
        const body = randomText();
        const note = signNote(body, signers);
        const opened = openNote(note, verifiers);
        expect(opened.text).toBe(body);
        expect(opened.verifiedBy).toEqual(signers.map((s) => s.name));
        expect(openNote(note, [verifiers[1] as NoteVerifier]).unverified).toBe(1);
      }
    });

    it('does not verify under another key of the same name', () => {
      const one = seedSigner('same.example', new Uint8Array(32).fill(1));
      const two = seedSigner('same.example', new Uint8Array(32).fill(2));
      const note = signNote('x\n', one);
      noteErrorOf(() => openNote(note, [noteVerifier(formatVerifierKey(two.name, two.publicKey), backend)]), 'UNVERIFIED');
    });

    it('matches @noble/ed25519 directly: the signature is Ed25519 over the text bytes', () => {
      const signer = seedSigner('direct.example', new Uint8Array(32).fill(7));
      const note = signNote('body\n', signer);
      const raw = decodeBase64(note.split(' ').at(-1)!.trimEnd())!;
      expect(ed.verify(raw.slice(4), utf8ToBytes('body\n'), signer.publicKey)).toBe(true);
    });
  });
});

describe('the back end a note verifier is given', () => {
  it('is the one that checks the signature: a spy sees the note text, a back end that refuses everything verifies nothing', () => {
    const spy = spyBackend(nodeBackend);
    expect(openNote(xmod.signedByPeter, [noteVerifier(xmod.peterNeumann.vkey, spy)]).verifiedBy).toEqual(['PeterNeumann']);
    expect(spy.messages).toEqual([utf8ToBytes(text)]);
    noteErrorOf(() => openNote(xmod.signedByPeter, [noteVerifier(xmod.peterNeumann.vkey, REFUSING_BACKEND)]), 'BAD_SIGNATURE');
    expect(verifyEd25519(peterSigner.publicKey, utf8ToBytes(text), raw(peterSig), spy)).toBe(true);
    expect(spy.messages).toHaveLength(2);
    expect(verifyEd25519(peterSigner.publicKey, utf8ToBytes(text), raw(peterSig), REFUSING_BACKEND)).toBe(false);
  });

  it('counts a back end that throws as a failed check', () => {
    const throwing = { name: 'throws', verify: (): boolean => { throw new Error('boom'); } };
    expect(verifyEd25519(peterSigner.publicKey, utf8ToBytes(text), raw(peterSig), throwing)).toBe(false);
    noteErrorOf(() => openNote(xmod.signedByPeter, [noteVerifier(xmod.peterNeumann.vkey, throwing)]), 'BAD_SIGNATURE');
  });
});

describe('noble and node:crypto', () => {
  it.each([
    ['a singly signed note', xmod.signedByPeter as string, 0],
    ['a doubly signed note', xmod.signedByPeterAndEnoch as string, 1],
  ])('give the same answer to every one-bit change of %s', (_, original, someVerify) => {
    const [viaNoble, viaNode] = [nobleBackend, nodeBackend].map((backend) =>
      [noteVerifier(xmod.peterNeumann.vkey, backend), noteVerifier(xmod.enochRoot.vkey, backend)].map(memoized),
    );
    const disagreements: number[] = [];
    let opened = 0;
    let variants = 0;
    for (const { offset, mutated } of bitFlips(utf8ToBytes(original))) {
      const answer = openOutcome(mutated, viaNoble!);
      if (answer !== openOutcome(mutated, viaNode!)) disagreements.push(offset);
      if (answer.startsWith('{')) opened++;
      variants++;
    }
    expect(disagreements).toEqual([]);
    expect(variants).toBe(utf8ToBytes(original).length * 8);
    // In the doubly signed note a flip in one line leaves it unknown and the other verifying: both back ends verified that.
    expect(opened > 0).toBe(someVerify > 0);
  }, 60_000);
});

/** The signature bytes of a signature line (after the 4-byte key hash). */
function raw(line: string): Uint8Array {
  return decodeBase64(line.trimEnd().split(' ').at(-1)!)!.subarray(4);
}

function decodeBase64url(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'base64url'));
}
