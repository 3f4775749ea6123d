// Witnesses for the tests that require cosignatures: deterministic keys, their verifier keys (type
// 0x04, as `actiongate witness --vkey` prints them) and a way to co-sign a checkpoint note.
import { addSignatureLines, cosign, COSIGNATURE_V1_SIGNATURE_TYPE, formatVerifierKey, type NoteSigner } from '../../../src/receipt/note/index.js';
import { seedSigner } from '../note/support.js';

export interface TestWitness {
  readonly name: string;
  readonly signer: NoteSigner & { publicKey: Uint8Array };
  /** `<name>+<hash>+<base64(0x04 || key)>` */
  readonly vkey: string;
}

/** A witness from a one-byte seed (all 32 seed bytes `seed`), so every run signs the same lines. */
export function testWitness(name: string, seed: number): TestWitness {
  const signer = seedSigner(name, new Uint8Array(32).fill(seed));
  return { name, signer, vkey: formatVerifierKey(name, signer.publicKey, COSIGNATURE_V1_SIGNATURE_TYPE) };
}

export const WITNESS_1 = testWitness('w1.example/witness', 0x31);
export const WITNESS_2 = testWitness('w2.example/witness', 0x32);
export const WITNESS_3 = testWitness('w3.example/witness', 0x33);

/** When the test witnesses co-sign: 2026-12-01T00:00:00Z. */
export const COSIGNED_AT = 1_796_083_200;

/** The note with a cosignature by each of `witnesses` added (tlog-cosignature/v1 over its checkpoint). */
export function cosigned(note: string, ...witnesses: readonly TestWitness[]): string {
  return addSignatureLines(note, witnesses.map((witness) => cosign(note, witness.signer, COSIGNED_AT)));
}
