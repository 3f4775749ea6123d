// Helpers for the signed-note tests: fixture loading and test signers from known seeds.
import { readFileSync } from 'node:fs';
import * as ed from '@noble/ed25519';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { expect } from 'vitest';
import { decodeBase64 } from '../../../src/receipt/note/base64.js';
import { NoteError, type NoteErrorCode } from '../../../src/receipt/note/note-error.js';
import { openNote, type NoteSigner, type NoteVerifier } from '../../../src/receipt/note/signed-note.js';
import type { Ed25519Backend } from '../../../src/receipt/verify/ed25519-backend.js';
// Also sets @noble/ed25519's SHA-512, which its synchronous sign and getPublicKey need.
import { nobleBackend } from '../../../src/receipt/verify/noble-backend.js';
import { nodeBackend } from '../../../src/receipt/verify/node-backend.js';

/**
 * The two Ed25519 back ends the note tests run with (describe.each): the pure-JS noble one, the
 * default, and Node's crypto. Both are strict RFC 8032, so every vector must give the same answer.
 */
export const BACKENDS: readonly Ed25519Backend[] = [nobleBackend, nodeBackend];

/** A JSON fixture of test/fixtures/note/. */
export function fixture<T = any>(file: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/note/${file}`, import.meta.url), 'utf8')) as T;
}

/** A signer for an Ed25519 seed (32 bytes or 64 hex digits), with raw public key. */
export function seedSigner(name: string, seed: Uint8Array | string): NoteSigner & { publicKey: Uint8Array } {
  const secret = typeof seed === 'string' ? hexToBytes(seed) : seed;
  const publicKey = ed.getPublicKey(secret);
  return { name, publicKey, sign: (message: Uint8Array) => ed.sign(message, secret) };
}

/** The signer of a Go signer key `PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>`. */
export function skeySigner(skey: string): NoteSigner & { publicKey: Uint8Array } {
  const parts = skey.split('+');
  const [priv, key, name] = parts;
  const key64 = parts.slice(4).join('+'); // the base64 may hold '+'
  expect([priv, key]).toEqual(['PRIVATE', 'KEY']);
  const bytes = decodeBase64(key64);
  expect(bytes?.length).toBe(33);
  expect(bytes?.[0]).toBe(1);
  return seedSigner(name as string, (bytes as Uint8Array).slice(1));
}

/** The error `run` throws, asserted to be a NoteError with `code`. */
export function noteErrorOf(run: () => unknown, code?: NoteErrorCode): NoteError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a NoteError').toBeInstanceOf(NoteError);
  if (code !== undefined) expect((caught as NoteError).code).toBe(code);
  return caught as NoteError;
}

/** RFC 6962 leaf hash, as Go's tlog.RecordHash: SHA-256(0x00 || data). */
export function recordHash(data: string): Uint8Array {
  const bytes = utf8ToBytes(data);
  const input = new Uint8Array(bytes.length + 1);
  input.set(bytes, 1);
  return sha256(input);
}

/** Inserts `insert` at UTF-8 byte offset `at` of `text` (Go's s[:at] + insert + s[at:]). */
export function insertAtByte(text: string, at: number, insert: string): string {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([bytes.subarray(0, at), Buffer.from(insert, 'utf8'), bytes.subarray(at)]).toString('utf8');
}

/** Every variant of `bytes` with one bit flipped. */
export function* bitFlips(bytes: Uint8Array): Generator<{ offset: number; bit: number; mutated: Uint8Array }> {
  for (let offset = 0; offset < bytes.length; offset++) {
    for (let bit = 0; bit < 8; bit++) {
      const mutated = bytes.slice();
      mutated[offset] = (mutated[offset] as number) ^ (1 << bit);
      yield { offset, bit, mutated };
    }
  }
}

/**
 * The verifier with its answers remembered per (text, signature): the same answer, computed once.
 * For mutation sweeps, where most variants leave most lines as they were.
 */
export function memoized<V extends NoteVerifier>(verifier: V): NoteVerifier {
  const answers = new Map<string, boolean>();
  return {
    name: verifier.name,
    keyHash: verifier.keyHash,
    verify(text: string, signature: Uint8Array): boolean {
      const key = `${text}\u0000${Buffer.from(signature).toString('base64')}`;
      let answer = answers.get(key);
      if (answer === undefined) {
        answer = verifier.verify(text, signature);
        answers.set(key, answer);
      }
      return answer;
    },
  };
}

/**
 * What openNote answers, as one comparable string: the error code and details, or the text with
 * the verified and ignored lines. Anything but a NoteError is rethrown.
 */
export function openOutcome(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): string {
  try {
    const opened = openNote(note, verifiers);
    return JSON.stringify({ text: opened.text, verified: opened.verified.map((s) => s.line), unverified: opened.unverifiedSignatures.map((s) => s.line) });
  } catch (error) {
    if (!(error instanceof NoteError)) throw error;
    return `${error.code} ${JSON.stringify(error.details)}`;
  }
}

/** A back end that answers as `inner` and records every message it was asked about. */
export function spyBackend(inner: Ed25519Backend = nobleBackend): Ed25519Backend & { messages: Uint8Array[] } {
  const messages: Uint8Array[] = [];
  return {
    name: `spy on ${inner.name}`,
    messages,
    verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      messages.push(message.slice());
      return inner.verify(publicKey, message, signature);
    },
  };
}

/** A back end that refuses every signature: a verifier given it must never verify anything. */
export const REFUSING_BACKEND: Ed25519Backend = Object.freeze({ name: 'refuses everything', verify: () => false });
