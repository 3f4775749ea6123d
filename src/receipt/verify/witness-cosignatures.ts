// A checkpoint the log signed is only the log's word: a log that shows one history to one auditor
// and another to the next signs both. A witness (C2SP tlog-witness, `actiongate witness`) co-signs a
// checkpoint only when it extends the last one it saw, so a checkpoint co-signed by witnesses the
// auditor trusts is one history they all saw. What `verify --witness` requires.
import {
  cosignatureTimestamp,
  cosignatureVerifier,
  NoteError,
  parseCheckpoint,
  splitNote,
  type NoteSignature,
  type NoteVerifier,
  type VerifiedCosignature,
  type VerifierKey,
} from '../note/index.js';
import type { Ed25519Backend } from './ed25519-backend.js';
import { nobleBackend } from './noble-backend.js';
import type { Problem } from './problem.js';

/** The witnesses a checkpoint must be co-signed by, and how many of them. */
export interface WitnessPolicy {
  /**
   * The witnesses' C2SP verifier keys of type 0x04 (tlog-cosignature/v1), as
   * `actiongate witness --vkey` prints them, or parsed (parseVerifierKey). Each witness once.
   */
  readonly witnesses: readonly (VerifierKey | string)[];
  /** How many of them must have co-signed: an integer from 1 to `witnesses.length` (default: all of them). */
  readonly quorum?: number;
}

/** What {@link checkWitnessCosignatures} found. */
export interface WitnessCosignatureCheck {
  /** At least `required` of the witnesses co-signed this checkpoint. */
  ok: boolean;
  /** How many had to. */
  required: number;
  /** The witnesses whose cosignature of this checkpoint verified, in the order given, with the time each signed. */
  cosignedBy: VerifiedCosignature[];
  /** The others, as `name+keyhash` with why: `no cosignature` or `invalid cosignature`. */
  missing: string[];
  /** `WITNESS_COSIGNATURE_MISSING` when not ok, else none. */
  problems: Problem[];
}

/** A witness policy checked once: the keys parsed (type 0x04, each once) and the quorum in range. */
export interface ParsedWitnessPolicy {
  readonly witnesses: readonly VerifierKey[];
  readonly quorum: number;
}

/**
 * Checks a witness policy without a note: every key a tlog-cosignature/v1 verifier key (type 0x04),
 * no witness twice (same name and key hash), and the quorum an integer from 1 to the number of
 * witnesses (default: all of them).
 *
 * @throws NoteError as parseVerifierKey, `UNSUPPORTED_KEY_TYPE` for a key not of type 0x04,
 * `AMBIGUOUS_KEY` for a witness given twice; RangeError for a quorum out of range or a policy
 * without witnesses.
 * @example parseWitnessPolicy({ witnesses: [vkeyText], quorum: 1 }).witnesses[0].name
 */
export function parseWitnessPolicy(policy: WitnessPolicy): ParsedWitnessPolicy {
  if (!Array.isArray(policy.witnesses) || policy.witnesses.length === 0) throw new RangeError('witnesses: at least one witness verifier key is needed');
  const seen = new Set<string>();
  const witnesses = policy.witnesses.map((witness) => {
    const key = cosignatureVerifier(witness);
    const id = `${key.name}+${hex32(key.keyHash)}`;
    if (seen.has(id)) throw new NoteError('AMBIGUOUS_KEY', `witnesses: ${id} is given twice`, { name: key.name, keyHash: hex32(key.keyHash) });
    seen.add(id);
    return Object.freeze({ name: key.name, keyHash: key.keyHash, type: key.type, publicKey: key.publicKey, vkey: key.vkey });
  });
  const quorum = policy.quorum ?? witnesses.length;
  if (!Number.isSafeInteger(quorum) || quorum < 1 || quorum > witnesses.length) {
    throw new RangeError(`quorum: an integer from 1 to ${witnesses.length} (the witnesses given), not ${String(policy.quorum)}`);
  }
  return Object.freeze({ witnesses: Object.freeze(witnesses), quorum });
}

/**
 * Whether the checkpoint note carries valid C2SP tlog-cosignature/v1 cosignatures, over this
 * checkpoint, by at least `quorum` (default: all) of the given witnesses, each checked with
 * `backend` (default: noble). A witness counts when the note has a signature line under its name
 * and key hash and every such line verifies over this note's checkpoint text: a line that matches
 * the witness but does not verify (changed, made for another checkpoint and copied here, or over a
 * text that is not a checkpoint) counts as missing, never as present. Lines by other keys are
 * ignored. The log's own signature is not checked here: open the note first (openReceiptCheckpoint).
 * Never throws for a bad note: it is a problem.
 *
 * Problem: `WITNESS_COSIGNATURE_MISSING`, naming each witness without a valid cosignature and how
 * many were required.
 *
 * @throws as {@link parseWitnessPolicy}, for the witnesses and quorum (not the note).
 * @example
 * const check = checkWitnessCosignatures(note, [await readFile('w1.vkey', 'utf8')], undefined, nodeBackend);
 * if (!check.ok) console.log(check.problems[0].message);
 */
export function checkWitnessCosignatures(
  note: string,
  witnesses: readonly (VerifierKey | string)[],
  quorum?: number,
  backend: Ed25519Backend = nobleBackend,
): WitnessCosignatureCheck {
  const policy = parseWitnessPolicy(quorum === undefined ? { witnesses } : { witnesses, quorum });
  let text: string;
  let signatures: readonly NoteSignature[];
  try {
    ({ text, signatures } = splitNote(note));
  } catch (err) {
    return missingAll(policy, `the checkpoint is not a signed note (${(err as Error).message})`);
  }
  const cosignedBy: VerifiedCosignature[] = [];
  const missing: string[] = [];
  for (const witness of policy.witnesses) {
    const verifier = cosignatureVerifier(witness, backend);
    const lines = signatures.filter((signature) => signature.name === witness.name && signature.keyHash === witness.keyHash);
    const id = `${witness.name}+${hex32(witness.keyHash)}`;
    if (lines.length === 0) {
      missing.push(`${id} (no cosignature)`);
      continue;
    }
    if (!lines.every((line) => verifies(verifier, text, line))) {
      missing.push(`${id} (invalid cosignature)`);
      continue;
    }
    cosignedBy.push(Object.freeze({ name: witness.name, keyHash: witness.keyHash, timestamp: cosignatureTimestamp(lines[0] as NoteSignature) }));
  }
  if (cosignedBy.length >= policy.quorum) return { ok: true, required: policy.quorum, cosignedBy, missing, problems: [] };
  return {
    ok: false,
    required: policy.quorum,
    cosignedBy,
    missing,
    problems: [
      {
        code: 'WITNESS_COSIGNATURE_MISSING',
        message:
          `${describe(text)} carries valid tlog-cosignature/v1 cosignatures from ${cosignedBy.length} of the ${policy.witnesses.length} given witness(es), ` +
          `${policy.quorum} required; missing or invalid: ${missing.join(', ')}`,
      },
    ],
  };
}

function verifies(verifier: NoteVerifier, text: string, line: NoteSignature): boolean {
  try {
    return verifier.verify(text, line.signature) === true;
  } catch {
    return false;
  }
}

function describe(text: string): string {
  try {
    const checkpoint = parseCheckpoint(text);
    return `the checkpoint (${checkpoint.origin}, size ${checkpoint.size})`;
  } catch {
    return 'the checkpoint (not a tlog-checkpoint text)';
  }
}

function missingAll(policy: ParsedWitnessPolicy, why: string): WitnessCosignatureCheck {
  const missing = policy.witnesses.map((witness) => `${witness.name}+${hex32(witness.keyHash)} (no cosignature)`);
  return {
    ok: false,
    required: policy.quorum,
    cosignedBy: [],
    missing,
    problems: [
      {
        code: 'WITNESS_COSIGNATURE_MISSING',
        message: `${why}: valid tlog-cosignature/v1 cosignatures from 0 of the ${policy.witnesses.length} given witness(es), ${policy.quorum} required; missing: ${missing.join(', ')}`,
      },
    ],
  };
}

/** Lower-case, zero-padded hex of a key hash, as verifier keys and the witness names here write it. */
function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}
