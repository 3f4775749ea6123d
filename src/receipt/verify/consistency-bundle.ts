// That today's log extends yesterday's: an RFC 9162 consistency proof between a checkpoint held
// from before and a newer one. What `actiongate receipts consistency` prints and
// `actiongate verify --consistency FILE --checkpoint OLD` checks.
import type { KeySet } from '../../keys/key-set.js';
import { verifyConsistency } from '../merkle/index.js';
import { decodeBase64, type Checkpoint } from '../note/index.js';
import type { Ed25519Backend } from './ed25519-backend.js';
import { nobleBackend } from './noble-backend.js';
import type { Problem } from './problem.js';
import { openReceiptCheckpoint } from './trusted-checkpoint.js';
import { checkWitnessCosignatures, parseWitnessPolicy, type WitnessPolicy } from './witness-cosignatures.js';

/** A newer checkpoint note and the consistency proof from an older size to its size. */
export interface ConsistencyBundle {
  checkpoint: string;
  oldSize: number;
  proof: string[];
}

export interface ConsistencyBundleOptions {
  /**
   * Witnesses the bundle's (newer) checkpoint must be co-signed by (tlog-cosignature/v1), else
   * `WITNESS_COSIGNATURE_MISSING`. The older one is the caller's own, held from before.
   */
  witnesses?: WitnessPolicy;
}

export interface ConsistencyVerification {
  ok: boolean;
  older?: Checkpoint;
  newer?: Checkpoint;
  problems: Problem[];
}

/**
 * Checks that the log of `newer` extends the log of `older` (a checkpoint note held from before):
 * both notes signed by a receipt key of the key set under their origin, the same origin, the
 * bundle's `oldSize` the older checkpoint's size, and the proof leading from the older root to the
 * newer one (RFC 9162 2.1.4.2), else `CONSISTENCY_PROOF_INVALID`: the log was rewritten or forked.
 * The notes' signatures are checked with `backend` (default: noble).
 *
 * With `options.witnesses`, the newer checkpoint must also carry valid cosignatures by the quorum
 * of those witnesses (checkWitnessCosignatures), else `WITNESS_COSIGNATURE_MISSING` and it is not
 * proved to extend anything.
 *
 * @throws as parseWitnessPolicy, for witness keys or a quorum that are not a policy.
 * @example verifyConsistencyBundle(JSON.parse(text), await readFile('yesterday.note', 'utf8'), keys, nodeBackend)
 */
export function verifyConsistencyBundle(
  bundle: unknown,
  olderNote: string,
  keys: KeySet,
  backend: Ed25519Backend = nobleBackend,
  options: ConsistencyBundleOptions = {},
): ConsistencyVerification {
  const witnesses = options.witnesses === undefined ? undefined : parseWitnessPolicy(options.witnesses);
  if (!isBundle(bundle)) {
    return { ok: false, problems: [{ code: 'MALFORMED', message: 'not a consistency bundle: { checkpoint: string, oldSize: number, proof: string[] }' }] };
  }
  const older = openReceiptCheckpoint(olderNote, keys, backend);
  if ('problem' in older) return { ok: false, problems: [{ ...older.problem, message: `the older checkpoint: ${older.problem.message}` }] };
  const newer = openReceiptCheckpoint(bundle.checkpoint, keys, backend);
  if ('problem' in newer) return { ok: false, older: older.checkpoint, problems: [{ ...newer.problem, message: `the newer checkpoint: ${newer.problem.message}` }] };
  if (witnesses !== undefined) {
    const witnessed = checkWitnessCosignatures(bundle.checkpoint, witnesses.witnesses, witnesses.quorum, backend);
    if (!witnessed.ok) {
      return { ok: false, older: older.checkpoint, newer: newer.checkpoint, problems: witnessed.problems.map((p) => ({ ...p, message: `the newer checkpoint: ${p.message}` })) };
    }
  }
  const [o, n] = [older.checkpoint, newer.checkpoint];
  const proof = bundle.proof.map((hash) => decodeBase64(hash));
  const holds =
    o.origin === n.origin &&
    bundle.oldSize === o.size &&
    proof.every((hash): hash is Uint8Array => hash !== undefined) &&
    verifyConsistency(o.size, n.size, o.rootHash, n.rootHash, proof as Uint8Array[]);
  if (!holds) {
    return {
      ok: false,
      older: o,
      newer: n,
      problems: [
        {
          code: 'CONSISTENCY_PROOF_INVALID',
          seq: Math.min(o.size, n.size),
          message: `the ${n.size}-receipt log of ${n.origin} is not proved to extend the ${o.size}-receipt log of ${o.origin}: rewritten, forked, or a proof for other sizes`,
        },
      ],
    };
  }
  return { ok: true, older: o, newer: n, problems: [] };
}

function isBundle(value: unknown): value is ConsistencyBundle {
  if (typeof value !== 'object' || value === null) return false;
  const { checkpoint, oldSize, proof } = value as Partial<ConsistencyBundle>;
  return typeof checkpoint === 'string' && Number.isSafeInteger(oldSize) && Array.isArray(proof) && proof.length <= 128 && proof.every((h) => typeof h === 'string');
}
