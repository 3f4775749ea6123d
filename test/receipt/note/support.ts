// Helpers for the signed-note tests: fixture loading and test signers from known seeds.
import { readFileSync } from 'node:fs';
import * as ed from '@noble/ed25519';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { expect } from 'vitest';
import { decodeBase64 } from '../../../src/receipt/note/base64.js';
import { NoteError, type NoteErrorCode } from '../../../src/receipt/note/note-error.js';
import type { NoteSigner, NoteVerifier } from '../../../src/receipt/note/signed-note.js';
// Sets @noble/ed25519's SHA-512, which its synchronous sign and getPublicKey need.
import '../../../src/receipt/verify/noble-backend.js';

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
