import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { Ed25519Backend } from '../verify/ed25519-backend.js';
import { nobleBackend } from '../verify/noble-backend.js';
import { parseCheckpoint } from './checkpoint-note.js';
import { NoteError } from './note-error.js';
import {
  checkedSignature,
  COSIGNATURE_V1_SIGNATURE_TYPE,
  hex32,
  isWellFormed,
  keyHash,
  noteTextOf,
  parseSignatureLine,
  parseVerifierKey,
  readUint32,
  signatureLine,
  signerPublicKey,
  verifyEd25519,
  writeUint32,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
  type VerifierKey,
} from './signed-note.js';

/**
 * C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature, v1.0.1), the Ed25519 type only
 * (signature type 0x04, "cosignature/v1"), in pure JS. A witness cosignature is a signed-note
 * signature line on a checkpoint:
 *
 * - key hash: SHA-256(name || "\n" || 0x04 || 32-byte Ed25519 public key)[:4];
 * - signature bytes: 8-byte big-endian timestamp (POSIX seconds) || Ed25519 signature (64 bytes);
 * - signed message: "cosignature/v1\n" || "time " || decimal timestamp || "\n" || the whole
 *   checkpoint note text (extension lines included, signature lines excluded).
 *
 * The ML-DSA-44 type (0x06, "subtree/v1") is not handled: its keys are refused as unsupported.
 */

/** The header line of the signed message, with its newline. */
export const COSIGNATURE_V1_HEADER = 'cosignature/v1\n';

/** Bytes of an Ed25519 cosignature after the key hash: an 8-byte timestamp and a 64-byte signature. */
export const COSIGNATURE_V1_BYTES = 8 + 64;

/** A cosignature that verified. */
export interface VerifiedCosignature {
  readonly name: string;
  readonly keyHash: number;
  /** When the witness signed, in POSIX seconds. */
  readonly timestamp: number;
}

/**
 * The exact bytes a cosignature/v1 Ed25519 signature covers: `cosignature/v1\ntime <timestamp>\n`
 * followed by the checkpoint note text, which must be a checkpoint.
 *
 * @throws NoteError `MALFORMED_CHECKPOINT`, or `MALFORMED_COSIGNATURE` for a timestamp that is not
 * an integer from 0 to 2^53 - 1.
 * @example cosignatureMessage('example.com/log\n3\n<base64>\n', 1679315147)
 */
export function cosignatureMessage(checkpointText: string, timestamp: number): Uint8Array {
  assertTimestamp(timestamp);
  parseCheckpoint(checkpointText);
  return utf8ToBytes(`${COSIGNATURE_V1_HEADER}time ${timestamp}\n${checkpointText}`);
}

/**
 * A witness's cosignature of a checkpoint, as a signature line (with its newline) to add to the
 * checkpoint's note (addSignatureLines). `checkpointNote` is the checkpoint note text, or a signed
 * note of it: its signatures are not checked here; a witness checks the log's signature (openNote)
 * and the consistency with what it saw before it cosigns.
 *
 * @throws NoteError `MALFORMED_NOTE`, `MALFORMED_CHECKPOINT`, `MALFORMED_COSIGNATURE` (timestamp),
 * `INVALID_NAME`, `MALFORMED_KEY` or `SIGNER_MISMATCH`.
 * @example const line = cosign(note, { name: 'witness.example/w1', publicKey, sign }, Math.floor(Date.now() / 1000));
 */
export function cosign(checkpointNote: string, witness: NoteSigner, timestamp: number): string {
  const text = noteTextOf(checkpointNote);
  const message = cosignatureMessage(text, timestamp);
  const publicKey = signerPublicKey(witness);
  const hash = keyHash(witness.name, COSIGNATURE_V1_SIGNATURE_TYPE, publicKey);
  const signature = checkedSignature(witness, publicKey, message);
  const bytes = new Uint8Array(COSIGNATURE_V1_BYTES);
  writeTimestamp(bytes, timestamp);
  bytes.set(signature, 8);
  return signatureLine(witness.name, hash, bytes);
}

/**
 * A verifier of a witness's cosignatures for openNote, from its verifier key (signature type 0x04),
 * checking the Ed25519 signature with `backend` (default: the pure-JS noble back end; `nodeBackend`
 * gives the same answers with Node's crypto). It refuses (false) a signature that is not 72 bytes,
 * has a timestamp beyond 2^53 - 1, or is on a note text that is not a checkpoint.
 *
 * @throws NoteError as parseVerifierKey, or `UNSUPPORTED_KEY_TYPE` for a key type other than 0x04.
 * @example openNote(cosignedNote, [noteVerifier(logVkey, backend), cosignatureVerifier(witnessVkey, backend)]).verifiedBy
 */
export function cosignatureVerifier(key: VerifierKey | string, backend: Ed25519Backend = nobleBackend): NoteVerifier & VerifierKey {
  const parsed = witnessKey(key);
  const { name, keyHash: hash, type, publicKey, vkey } = parsed;
  return Object.freeze({
    name,
    keyHash: hash,
    type,
    publicKey,
    vkey,
    verify(text: string, signature: Uint8Array): boolean {
      if (signature.length !== COSIGNATURE_V1_BYTES || !isWellFormed(text)) return false;
      const timestamp = readTimestamp(signature);
      if (timestamp === undefined) return false;
      let message: Uint8Array;
      try {
        message = cosignatureMessage(text, timestamp);
      } catch {
        return false;
      }
      return verifyEd25519(publicKey, message, signature.subarray(8), backend);
    },
  });
}

/**
 * Verifies one witness cosignature of a checkpoint. `cosignature` is a signature line as
 * {@link cosign} gives it (one line ending in a newline) or a parsed one (from splitNote).
 * `checkpointNote` is the checkpoint note text, or a signed note of it (its signatures are not
 * checked here). The Ed25519 signature is checked with `backend` (default: noble, in pure JS).
 *
 * @throws NoteError `UNSUPPORTED_KEY_TYPE` (not a 0x04 key), `MALFORMED_COSIGNATURE`,
 * `KEY_MISMATCH` (the line is by another key), `MALFORMED_NOTE`, `MALFORMED_CHECKPOINT` or
 * `BAD_SIGNATURE`; also as parseVerifierKey for a key given as text.
 * @example const { timestamp } = verifyCosignature(note, line, 'witness.example/w1+1a2b3c4d+BA...', nodeBackend);
 */
export function verifyCosignature(
  checkpointNote: string,
  cosignature: string | NoteSignature,
  witness: VerifierKey | string,
  backend: Ed25519Backend = nobleBackend,
): VerifiedCosignature {
  const key = witnessKey(witness);
  const signature = typeof cosignature === 'string' ? parseLine(cosignature) : cosignature;
  if (signature.name !== key.name || signature.keyHash !== key.keyHash) {
    throw new NoteError('KEY_MISMATCH', `the cosignature is by ${signature.name}+${hex32(signature.keyHash)}, not ${key.name}+${hex32(key.keyHash)}`, {
      name: signature.name,
      keyHash: hex32(signature.keyHash),
    });
  }
  const timestamp = cosignatureTimestamp(signature);
  const message = cosignatureMessage(noteTextOf(checkpointNote), timestamp);
  if (!verifyEd25519(key.publicKey, message, signature.signature.subarray(8), backend)) {
    throw new NoteError('BAD_SIGNATURE', `the cosignature by ${key.name}+${hex32(key.keyHash)} does not verify`, {
      name: key.name,
      keyHash: hex32(key.keyHash),
    });
  }
  return Object.freeze({ name: key.name, keyHash: key.keyHash, timestamp });
}

/**
 * The timestamp of an Ed25519 cosignature (a parsed signature line, or its bytes after the key
 * hash), in POSIX seconds. Not verified: verify before trusting it.
 *
 * @throws NoteError `MALFORMED_COSIGNATURE` for bytes that are not 8 + 64 long or a timestamp beyond 2^53 - 1.
 */
export function cosignatureTimestamp(signature: NoteSignature | Uint8Array): number {
  const bytes = signature instanceof Uint8Array ? signature : signature.signature;
  if (bytes.length !== COSIGNATURE_V1_BYTES) {
    throw new NoteError('MALFORMED_COSIGNATURE', `an Ed25519 cosignature is ${COSIGNATURE_V1_BYTES} bytes after the key hash, not ${bytes.length}`);
  }
  const timestamp = readTimestamp(bytes);
  if (timestamp === undefined) throw new NoteError('MALFORMED_COSIGNATURE', 'the timestamp is beyond 2^53 - 1 seconds');
  return timestamp;
}

function witnessKey(key: VerifierKey | string): VerifierKey {
  const parsed = typeof key === 'string' ? parseVerifierKey(key) : key;
  if (parsed.type !== COSIGNATURE_V1_SIGNATURE_TYPE) {
    throw new NoteError('UNSUPPORTED_KEY_TYPE', `${parsed.name}: a cosignature/v1 key has type 0x04, not 0x${parsed.type.toString(16).padStart(2, '0')}`, {
      name: parsed.name,
      type: parsed.type,
    });
  }
  return parsed;
}

function parseLine(line: string): NoteSignature {
  const parsed = line.endsWith('\n') && line.indexOf('\n') === line.length - 1 ? parseSignatureLine(line.slice(0, -1)) : undefined;
  if (parsed === undefined) throw new NoteError('MALFORMED_COSIGNATURE', 'a cosignature is one signature line "— <name> <base64>" ending in a newline');
  return parsed;
}

function assertTimestamp(timestamp: number): void {
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new NoteError('MALFORMED_COSIGNATURE', `a cosignature timestamp is an integer from 0 to 2^53 - 1 seconds, not ${String(timestamp)}`);
  }
}

/** The big-endian uint64 in the first 8 bytes, or undefined beyond 2^53 - 1. */
function readTimestamp(bytes: Uint8Array): number | undefined {
  const high = readUint32(bytes, 0);
  const low = readUint32(bytes, 4);
  if (high > 0x1fffff) return undefined;
  return high * 0x1_0000_0000 + low;
}

function writeTimestamp(bytes: Uint8Array, timestamp: number): void {
  writeUint32(bytes, 0, Math.floor(timestamp / 0x1_0000_0000));
  writeUint32(bytes, 4, timestamp % 0x1_0000_0000);
}
