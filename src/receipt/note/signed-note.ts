import { Point } from '@noble/ed25519';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { decodeBase64url } from '../verify/base64url.js';
import type { Ed25519Backend } from '../verify/ed25519-backend.js';
import { nobleBackend } from '../verify/noble-backend.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import { MAX_NOTE_SIGNATURES, NoteError } from './note-error.js';

/**
 * C2SP signed-note (https://c2sp.org/signed-note, v1.0.0), in pure JS: verifier keys, key hashes,
 * signing and opening notes. The reference is Go's golang.org/x/mod/sumdb/note; where this module
 * is stricter than it, the function says so. Ed25519 verification is RFC 8032 strict and goes
 * through one of the receipt verifier's back ends, as for receipts: the pure-JS noble one by
 * default (strict byte checks, then @noble/ed25519 with `zip215: false`), or the one a verifier is
 * given (`nodeBackend`: the same strict byte checks, then Node's crypto). Both give the same answer.
 *
 * A signed note is a text ending in a newline, a blank line, then one or more lines
 * `— <key name> <base64(4-byte key hash || signature)>` (U+2014, a space), each ending in a newline.
 */

/** Signature type byte of Ed25519 note signatures (c2sp.org/signed-note). */
export const ED25519_SIGNATURE_TYPE = 0x01;
/** Signature type byte of timestamped Ed25519 checkpoint cosignatures (c2sp.org/tlog-cosignature). */
export const COSIGNATURE_V1_SIGNATURE_TYPE = 0x04;

/** The signature types whose verifier keys carry a 32-byte Ed25519 public key, the ones handled here. */
export type Ed25519SignatureType = typeof ED25519_SIGNATURE_TYPE | typeof COSIGNATURE_V1_SIGNATURE_TYPE;

/** Starts every signature line: an em dash (U+2014) and a space. */
export const SIGNATURE_LINE_PREFIX = '\u2014 ';

/** A parsed verifier key, `<name>+<hex key hash>+<base64(type || public key)>`. */
export interface VerifierKey {
  readonly name: string;
  /** uint32: the first 4 bytes, big-endian, of SHA-256(name || "\n" || type || public key). */
  readonly keyHash: number;
  readonly type: Ed25519SignatureType;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** The verifier key text. */
  readonly vkey: string;
}

/** Checks one signature by one key. `openNote` calls it for every signature line with its name and key hash. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyHash: number;
  /**
   * Whether `signature` (the bytes after the 4-byte key hash) is this key's over the note text
   * `text` (well-formed, ending in a newline; what is signed is its UTF-8). Never throws.
   */
  verify(text: string, signature: Uint8Array): boolean;
}

/** Signs with one Ed25519 key under one key name. The project's `Signer` fits with a name added. */
export interface NoteSigner {
  /** The key name: non-empty, no Unicode space, no `+`. For a log, its origin. */
  readonly name: string;
  /** Raw 32-byte Ed25519 public key, or its base64url without padding (as `Signer.publicKey`). */
  readonly publicKey: Uint8Array | string;
  /** Ed25519 over `message`: 64 bytes. */
  sign(message: Uint8Array): Uint8Array;
}

/** One signature line of a note. */
export interface NoteSignature {
  readonly name: string;
  readonly keyHash: number;
  /** The signature bytes after the 4-byte key hash. */
  readonly signature: Uint8Array;
  /** The line as written, without its newline. */
  readonly line: string;
}

/** A note parsed but not verified: see {@link splitNote}. */
export interface SplitNote {
  /** The note text, with its final newline, without the blank line. */
  readonly text: string;
  /** Every signature line, in order, duplicates included. */
  readonly signatures: readonly NoteSignature[];
}

/** A note whose signatures were checked: see {@link openNote}. */
export interface OpenedNote {
  /** The note text, with its final newline. Trust it only as far as `verifiedBy` says. */
  readonly text: string;
  /** Names of the known keys whose signature verified, one per key (name and hash), in line order. */
  readonly verifiedBy: readonly string[];
  /** The first verified signature line of each of those keys. */
  readonly verified: readonly NoteSignature[];
  /** How many distinct signature lines are by keys not among the verifiers (ignored, as the spec asks). */
  readonly unverified: number;
  /** Those lines. */
  readonly unverifiedSignatures: readonly NoteSignature[];
}

// Go's unicode.IsSpace (the Unicode White_Space property), which the reference applies to key names.
const UNICODE_SPACES = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
  0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** Whether the UTF-16 code unit is a Unicode space (all of them are in the BMP, none a surrogate). */
export function isUnicodeSpace(codeUnit: number): boolean {
  return UNICODE_SPACES.has(codeUnit);
}

/** A string that encodes to UTF-8 as is: no unpaired surrogate. */
export function isWellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/**
 * A key name as the spec and the reference define it: non-empty, well-formed, no Unicode space
 * (Go's unicode.IsSpace), no plus (U+002B).
 *
 * @example isValidKeyName('example.com/log') === true; isValidKeyName('a b') === false
 */
export function isValidKeyName(name: string): boolean {
  if (name === '' || !isWellFormed(name)) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2b || UNICODE_SPACES.has(c)) return false;
  }
  return true;
}

/** Why `text` cannot be in a note (a control character other than newline, an unpaired surrogate), or undefined. */
export function noteTextProblem(text: string): string | undefined {
  if (!isWellFormed(text)) return 'not well-formed Unicode (an unpaired surrogate)';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) return `control character U+${c.toString(16).padStart(4, '0')} at offset ${i}`;
  }
  return undefined;
}

/**
 * The key hash (key ID) of a key: the first 4 bytes, big-endian, of
 * SHA-256(name || 0x0A || type || publicKey), as a uint32.
 *
 * @throws NoteError `INVALID_NAME` for a name that is not a valid key name.
 * @example keyHash('PeterNeumann', 0x01, publicKey) === 0xc74f20a3
 */
export function keyHash(name: string, type: number, publicKey: Uint8Array): number {
  if (!isValidKeyName(name)) throw new NoteError('INVALID_NAME', `not a valid key name: ${JSON.stringify(name)}`, { name });
  if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new RangeError(`signature type must be a byte, not ${type}`);
  return keyHashOfKeyBytes(name, concat(Uint8Array.of(type), publicKey));
}

/** The key hash over the name and the key bytes (type byte included), for a name already checked. */
function keyHashOfKeyBytes(name: string, key: Uint8Array): number {
  const digest = sha256(concat(utf8ToBytes(name + '\n'), key));
  return readUint32(digest, 0);
}

/**
 * The verifier key `<name>+<hex key hash>+<base64(type || publicKey)>` of an Ed25519 public key.
 *
 * @throws NoteError `INVALID_NAME`, `MALFORMED_KEY` for a public key that is not 32 bytes, `WEAK_KEY`
 * for one that parseVerifierKey would refuse.
 * @example formatVerifierKey('example.com/log', publicKey) // 'example.com/log+1a2b3c4d+AR...'
 */
export function formatVerifierKey(name: string, publicKey: Uint8Array, type: Ed25519SignatureType = ED25519_SIGNATURE_TYPE): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new NoteError('MALFORMED_KEY', 'an Ed25519 public key is 32 bytes', { name });
  }
  if (type !== ED25519_SIGNATURE_TYPE && type !== COSIGNATURE_V1_SIGNATURE_TYPE) {
    throw new NoteError('UNSUPPORTED_KEY_TYPE', `signature type 0x${hexByte(type)} is not handled here`, { name, type });
  }
  if (!isAcceptablePublicKey(publicKey)) {
    throw new NoteError('WEAK_KEY', 'the public key is not a canonical Ed25519 point of large order', { name });
  }
  const hash = keyHash(name, type, publicKey);
  return `${name}+${hex32(hash)}+${encodeBase64(concat(Uint8Array.of(type), publicKey))}`;
}

/**
 * Parses a verifier key of signature type 0x01 (Ed25519 note signatures) or 0x04 (Ed25519
 * cosignature/v1). Stricter than Go's note.NewVerifier: the key hash must be lower-case hex (as
 * the spec writes it), the base64 canonical, and the public key a canonical point encoding not of
 * small order.
 *
 * @throws NoteError `MALFORMED_KEY`, `KEY_HASH_MISMATCH`, `UNSUPPORTED_KEY_TYPE` or `WEAK_KEY`.
 * @example parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW').keyHash === 0xc74f20a3
 */
export function parseVerifierKey(vkey: string): VerifierKey {
  if (typeof vkey !== 'string') throw new NoteError('MALFORMED_KEY', 'a verifier key is a string');
  const first = vkey.indexOf('+');
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1);
  if (second < 0) throw new NoteError('MALFORMED_KEY', 'a verifier key is <name>+<hex key hash>+<base64 key>');
  const name = vkey.slice(0, first);
  const hashHex = vkey.slice(first + 1, second);
  const key64 = vkey.slice(second + 1);
  if (!isValidKeyName(name)) throw new NoteError('MALFORMED_KEY', `not a valid key name: ${JSON.stringify(name)}`, { name });
  if (!/^[0-9a-f]{8}$/.test(hashHex)) throw new NoteError('MALFORMED_KEY', 'the key hash must be 8 lower-case hex digits', { name });
  const key = decodeBase64(key64);
  if (key === undefined || key.length === 0) throw new NoteError('MALFORMED_KEY', 'the key is not canonical base64', { name });
  const stated = Number.parseInt(hashHex, 16);
  if (keyHashOfKeyBytes(name, key) !== stated) {
    throw new NoteError('KEY_HASH_MISMATCH', `key hash ${hashHex} is not the hash of the name and key`, { name, keyHash: hashHex });
  }
  const type = key[0] as number;
  if (type !== ED25519_SIGNATURE_TYPE && type !== COSIGNATURE_V1_SIGNATURE_TYPE) {
    throw new NoteError('UNSUPPORTED_KEY_TYPE', `signature type 0x${hexByte(type)} is not handled here`, { name, type });
  }
  if (key.length !== 33) throw new NoteError('MALFORMED_KEY', 'an Ed25519 verifier key holds a type byte and 32 bytes', { name });
  const publicKey = key.slice(1);
  if (!isAcceptablePublicKey(publicKey)) {
    throw new NoteError('WEAK_KEY', 'the public key is not a canonical Ed25519 point of large order', { name });
  }
  return Object.freeze({ name, keyHash: stated, type, publicKey, vkey });
}

/**
 * The verifier of Ed25519 note signatures (type 0x01) for a verifier key, checking with `backend`
 * (default: the pure-JS noble back end; `nodeBackend` from ../verify/node-backend.js for Node's
 * crypto, with the same answers). A cosignature key (type 0x04) is refused: use
 * `cosignatureVerifier` from ./cosignature.js.
 *
 * @throws NoteError as {@link parseVerifierKey}, or `UNSUPPORTED_KEY_TYPE` for a type other than 0x01.
 * @example
 * openNote(text, [noteVerifier('example.com/log+...')]);
 * openNote(text, [noteVerifier('example.com/log+...', nodeBackend)]);
 */
export function noteVerifier(key: VerifierKey | string, backend: Ed25519Backend = nobleBackend): NoteVerifier & VerifierKey {
  const parsed = typeof key === 'string' ? parseVerifierKey(key) : key;
  if (parsed.type !== ED25519_SIGNATURE_TYPE) {
    throw new NoteError('UNSUPPORTED_KEY_TYPE', `${parsed.name}: a note signature key has type 0x01, not 0x${hexByte(parsed.type)}`, {
      name: parsed.name,
      type: parsed.type,
    });
  }
  const { name, keyHash: hash, type, publicKey, vkey } = parsed;
  return Object.freeze({
    name,
    keyHash: hash,
    type,
    publicKey,
    vkey,
    verify: (text: string, signature: Uint8Array) => isWellFormed(text) && verifyEd25519(publicKey, utf8ToBytes(text), signature, backend),
  });
}

/**
 * Strict Ed25519 verification through one of the receipt verifier's back ends (default: noble, in
 * pure JS). Each runs the strict byte checks (lengths, S < L, R's encoding, A a canonical point not
 * of small order) and then a library that decides R itself (@noble/ed25519 with RFC 8032 semantics
 * decodes it strictly; OpenSSL compares its canonical encoding byte for byte): no second pass here.
 * False, never an exception, for anything that is not a valid signature.
 *
 * @example verifyEd25519(publicKey, utf8ToBytes(text), signature, nodeBackend)
 */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, backend: Ed25519Backend = nobleBackend): boolean {
  try {
    return backend.verify(publicKey, message, signature) === true;
  } catch {
    return false;
  }
}

/**
 * Signs a note text with one or more keys: the text, a blank line, one signature line per signer.
 * Each signature is checked against the signer's stated public key before it is written.
 *
 * @throws NoteError `MALFORMED_NOTE` for a text that is empty, does not end in a newline or has a
 * control character; `INVALID_NAME`; `MALFORMED_KEY`; `SIGNER_MISMATCH` for a signature that
 * does not verify under the signer's public key (or two signers with the same name and key).
 * @example
 * const note = signNote('example.com/log\n3\n' + rootBase64 + '\n', { name: 'example.com/log', publicKey, sign });
 */
export function signNote(text: string, signers: NoteSigner | readonly NoteSigner[]): string {
  assertNoteText(text);
  const list: readonly NoteSigner[] = Array.isArray(signers) ? signers : [signers as NoteSigner];
  if (list.length === 0) throw new NoteError('MALFORMED_NOTE', 'a signed note needs at least one signer', { reason: 'no signer' });
  if (list.length > MAX_NOTE_SIGNATURES) throw new NoteError('TOO_MANY_SIGNATURES', `at most ${MAX_NOTE_SIGNATURES} signatures`);
  const message = utf8ToBytes(text);
  const seen = new Set<string>();
  let lines = '';
  for (const signer of list) {
    const publicKey = signerPublicKey(signer);
    const hash = keyHash(signer.name, ED25519_SIGNATURE_TYPE, publicKey);
    const id = `${signer.name}+${hex32(hash)}`;
    if (seen.has(id)) throw new NoteError('SIGNER_MISMATCH', `${id} signs twice`, { name: signer.name });
    seen.add(id);
    lines += signatureLine(signer.name, hash, checkedSignature(signer, publicKey, message));
  }
  return `${text}\n${lines}`;
}

/**
 * The signature line `— <name> <base64(keyHash || signature)>` with its newline.
 *
 * @throws NoteError `INVALID_NAME`.
 */
export function signatureLine(name: string, hash: number, signature: Uint8Array): string {
  if (!isValidKeyName(name)) throw new NoteError('INVALID_NAME', `not a valid key name: ${JSON.stringify(name)}`, { name });
  if (!Number.isInteger(hash) || hash < 0 || hash > 0xffffffff) throw new RangeError(`a key hash is a uint32, not ${hash}`);
  const bytes = new Uint8Array(4 + signature.length);
  writeUint32(bytes, 0, hash);
  bytes.set(signature, 4);
  return `${SIGNATURE_LINE_PREFIX}${name} ${encodeBase64(bytes)}\n`;
}

/**
 * Signs `message` with `signer` and checks the signature under `publicKey`, so a signer whose key
 * is not the one it states never puts a signature under the wrong key hash.
 *
 * @throws NoteError `SIGNER_MISMATCH`.
 */
export function checkedSignature(signer: NoteSigner, publicKey: Uint8Array, message: Uint8Array): Uint8Array {
  const signature = signer.sign(message);
  if (!(signature instanceof Uint8Array) || !verifyEd25519(publicKey, message, signature)) {
    throw new NoteError('SIGNER_MISMATCH', `${signer.name}: the signature does not verify under the signer's public key`, { name: signer.name });
  }
  return signature;
}

/**
 * The signer's raw public key (32 bytes, or base64url of them as the project's `Signer` has it).
 *
 * @throws NoteError `MALFORMED_KEY`.
 */
export function signerPublicKey(signer: NoteSigner): Uint8Array {
  const key = typeof signer.publicKey === 'string' ? decodeBase64url(signer.publicKey, 32) : signer.publicKey;
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new NoteError('MALFORMED_KEY', `${String(signer.name)}: the public key is not 32 bytes (raw, or base64url)`, { name: signer.name });
  }
  return key;
}

/**
 * Parses a signed note without checking any signature: the text and every signature line.
 * Strict as Go's note.Open (well-formed UTF-8, no control character but newline, a blank line
 * before the signature block, every line of it a signature line ending in a newline, a valid key
 * name, base64 of at least 5 bytes), and stricter: the base64 must be canonical. Bytes are decoded
 * as UTF-8 strictly (a byte-order mark is kept, so it is part of the text).
 *
 * @throws NoteError `MALFORMED_NOTE` (details.reason, and details.line for a signature line,
 * counted from 1) or `TOO_MANY_SIGNATURES`.
 * @example splitNote(note).text
 */
export function splitNote(note: string | Uint8Array): SplitNote {
  const text = typeof note === 'string' ? note : decodeUtf8(note);
  const problem = noteTextProblem(text);
  if (problem !== undefined) throw new NoteError('MALFORMED_NOTE', `not a signed note: ${problem}`, { reason: problem });
  const split = text.lastIndexOf('\n\n');
  if (split < 0) throw malformed('no blank line before the signatures');
  const body = text.slice(0, split + 1);
  const block = text.slice(split + 2);
  if (block === '') throw malformed('no signature line');
  if (!block.endsWith('\n')) throw malformed('the last signature line does not end in a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw new NoteError('TOO_MANY_SIGNATURES', `${lines.length} signature lines, at most ${MAX_NOTE_SIGNATURES}`, { count: lines.length });
  }
  const signatures = lines.map((line, index) => {
    const parsed = parseSignatureLine(line);
    if (parsed === undefined) throw malformed(`signature line ${index + 1} is not "— <key name> <base64>"`, index + 1);
    return parsed;
  });
  return { text: body, signatures };
}

/**
 * Opens a signed note: parses it ({@link splitNote}) and checks every signature line whose name and
 * key hash are a given verifier's. Lines by other keys are ignored (counted in `unverified`), as
 * the spec asks, even when they share a name or a key hash (not both) with a known key. A known
 * key's signature that does not verify fails the whole note, each line checked, also a second line
 * by a key already verified (Go's note.Open skips those). Identical lines count once.
 *
 * @throws NoteError `MALFORMED_NOTE`, `TOO_MANY_SIGNATURES`, `AMBIGUOUS_KEY` (two verifiers with
 * a line's name and hash), `BAD_SIGNATURE` (details.name, details.keyHash, details.line) or
 * `UNVERIFIED` (details.unverified: lines by unknown keys).
 * @example
 * const { text, verifiedBy } = openNote(note, [noteVerifier(vkey)]);
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const { text, signatures } = splitNote(note);
  const byKey = new Map<string, NoteVerifier[]>();
  for (const verifier of verifiers) {
    const id = `${verifier.name}+${hex32(verifier.keyHash)}`;
    const list = byKey.get(id);
    if (list === undefined) byKey.set(id, [verifier]);
    else list.push(verifier);
  }
  const verified: NoteSignature[] = [];
  const verifiedKeys = new Set<string>();
  const checkedLines = new Set<string>();
  const unverifiedSignatures: NoteSignature[] = [];
  const unverifiedLines = new Set<string>();
  signatures.forEach((signature, index) => {
    const id = `${signature.name}+${hex32(signature.keyHash)}`;
    const candidates = byKey.get(id);
    if (candidates === undefined) {
      if (!unverifiedLines.has(signature.line)) {
        unverifiedLines.add(signature.line);
        unverifiedSignatures.push(signature);
      }
      return;
    }
    if (candidates.length > 1) throw new NoteError('AMBIGUOUS_KEY', `more than one verifier for ${id}`, { name: signature.name, keyHash: hex32(signature.keyHash) });
    if (checkedLines.has(signature.line)) return;
    const verifier = candidates[0] as NoteVerifier;
    let ok = false;
    try {
      ok = verifier.verify(text, signature.signature) === true;
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new NoteError('BAD_SIGNATURE', `the signature by ${id} (line ${index + 1}) does not verify`, {
        name: signature.name,
        keyHash: hex32(signature.keyHash),
        line: index + 1,
      });
    }
    checkedLines.add(signature.line);
    if (!verifiedKeys.has(id)) {
      verifiedKeys.add(id);
      verified.push(signature);
    }
  });
  if (verified.length === 0) {
    throw new NoteError('UNVERIFIED', 'no signature by a known key', { unverified: unverifiedSignatures.length });
  }
  return {
    text,
    verifiedBy: verified.map((signature) => signature.name),
    verified,
    unverified: unverifiedSignatures.length,
    unverifiedSignatures,
  };
}

/**
 * Adds signature lines (each as {@link signatureLine} gives, with its newline) to a signed note,
 * after the ones it has. A line the note already has is not added again. The lines are not verified.
 *
 * @throws NoteError `MALFORMED_NOTE` for a note or line that does not parse, `TOO_MANY_SIGNATURES`.
 * @example const cosigned = addSignatureLines(note, [cosign(note, witness, now)]);
 */
export function addSignatureLines(note: string, lines: readonly string[]): string {
  const present = new Set(splitNote(note).signatures.map((signature) => signature.line));
  let out = note;
  for (const line of lines) {
    if (!line.endsWith('\n') || line.indexOf('\n') !== line.length - 1) throw malformed('a signature line is one line ending in a newline');
    const parsed = parseSignatureLine(line.slice(0, -1));
    if (parsed === undefined || noteTextProblem(line) !== undefined) throw malformed('not a signature line');
    if (present.has(parsed.line)) continue;
    present.add(parsed.line);
    out += line;
  }
  splitNote(out); // the signature count limit
  return out;
}

/**
 * One signature line without its newline, or undefined when it is not `— <name> <base64>` with a
 * valid key name and canonical base64 of at least 5 bytes.
 */
export function parseSignatureLine(line: string): NoteSignature | undefined {
  if (!line.startsWith(SIGNATURE_LINE_PREFIX)) return undefined;
  const rest = line.slice(SIGNATURE_LINE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) return undefined;
  const name = rest.slice(0, space);
  const encoded = rest.slice(space + 1);
  if (!isValidKeyName(name) || encoded === '') return undefined;
  const bytes = decodeBase64(encoded);
  if (bytes === undefined || bytes.length < 5) return undefined;
  return Object.freeze({ name, keyHash: readUint32(bytes, 0), signature: bytes.slice(4), line });
}

/**
 * The note text a (signed) note carries: the text of a signed note, or the text itself when it has
 * no blank line (a bare body, as a checkpoint body is). Signatures are not checked.
 *
 * @throws NoteError `MALFORMED_NOTE`.
 */
export function noteTextOf(noteOrText: string): string {
  if (noteOrText.includes('\n\n')) return splitNote(noteOrText).text;
  assertNoteText(noteOrText);
  return noteOrText;
}

/** @throws NoteError `MALFORMED_NOTE` unless `text` can be a note text: non-empty, well-formed, ending in a newline, no control character. */
export function assertNoteText(text: string): void {
  if (typeof text !== 'string' || text === '' || !text.endsWith('\n')) throw malformed('a note text ends in a newline');
  const problem = noteTextProblem(text);
  if (problem !== undefined) throw new NoteError('MALFORMED_NOTE', `not a note text: ${problem}`, { reason: problem });
}

/** Lower-case, zero-padded hex of a uint32, as verifier keys write a key hash. */
export function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

/** Big-endian uint32 at `offset`. */
export function readUint32(bytes: Uint8Array, offset: number): number {
  return (((bytes[offset] as number) << 24) | ((bytes[offset + 1] as number) << 16) | ((bytes[offset + 2] as number) << 8) | (bytes[offset + 3] as number)) >>> 0;
}

/** Writes a big-endian uint32 at `offset`. */
export function writeUint32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 24) & 0xff;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

/** The concatenation of byte strings. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

// Strict: invalid UTF-8 (overlong forms, surrogates, beyond U+10FFFF, truncated) throws; a BOM is kept.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw malformed('not valid UTF-8');
  }
}

/** A canonical encoding of a point on the curve that is not of small order. */
function isAcceptablePublicKey(publicKey: Uint8Array): boolean {
  try {
    return !Point.fromBytes(publicKey, false).isSmallOrder();
  } catch {
    return false;
  }
}

function malformed(reason: string, line?: number): NoteError {
  return new NoteError('MALFORMED_NOTE', `not a signed note: ${reason}`, line === undefined ? { reason } : { reason, line });
}

function hexByte(value: number): string {
  return (value & 0xff).toString(16).padStart(2, '0');
}
