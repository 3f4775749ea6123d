// One receipt (or a few) proved to be in the log without the log: each with its RFC 9162 inclusion
// proof to a checkpoint note signed by a receipt key. What `actiongate receipts prove KEY` prints
// and `actiongate verify --proof FILE` checks.
import type { KeySet } from '../../keys/key-set.js';
import { verifyInclusion } from '../merkle/index.js';
import { decodeBase64, type Checkpoint } from '../note/index.js';
import type { SignedReceipt } from '../signed-receipt.js';
import type { Ed25519Backend } from './ed25519-backend.js';
import type { Problem } from './problem.js';
import { openReceiptCheckpoint, receiptLeafHash } from './trusted-checkpoint.js';
import { verifyReceipt } from './verify-receipt.js';
import { checkWitnessCosignatures, parseWitnessPolicy, type WitnessPolicy } from './witness-cosignatures.js';

/** The JSON `receipts prove` prints: a checkpoint note, and each receipt's export line with its leaf index and audit path. */
export interface InclusionBundle {
  checkpoint: string;
  receipts: Array<{ line: string; index: number; proof: string[] }>;
}

export interface InclusionBundleOptions {
  /** Witnesses the bundle's checkpoint must be co-signed by (tlog-cosignature/v1), else `WITNESS_COSIGNATURE_MISSING`. */
  witnesses?: WitnessPolicy;
}

export interface InclusionVerification {
  ok: boolean;
  checkpoint?: Checkpoint;
  /** The receipts proved: correctly signed, and in the tree the checkpoint names. */
  receipts: SignedReceipt[];
  problems: Problem[];
}

/**
 * Checks an inclusion bundle with public keys only: the checkpoint note signed by a receipt key of
 * the key set under its origin; each receipt correctly signed (as {@link verifyReceipt}); its leaf
 * index its seq − 1; and its audit path leading from its leaf hash to the checkpoint's root
 * (RFC 9162 2.1.3.2), else `INCLUSION_PROOF_INVALID`. Anything not of the bundle's shape is `MALFORMED`.
 * Every Ed25519 signature, the checkpoint note's included, is checked with `backend`.
 *
 * With `options.witnesses`, the checkpoint must also carry valid cosignatures by the quorum of
 * those witnesses (checkWitnessCosignatures), else `WITNESS_COSIGNATURE_MISSING` and nothing is
 * proved against it.
 *
 * @throws as parseWitnessPolicy, for witness keys or a quorum that are not a policy.
 * @example const result = verifyInclusionBundle(JSON.parse(text), keys, nodeBackend, { witnesses: { witnesses: [witnessVkey] } });
 */
export function verifyInclusionBundle(bundle: unknown, keys: KeySet, backend: Ed25519Backend, options: InclusionBundleOptions = {}): InclusionVerification {
  const witnesses = options.witnesses === undefined ? undefined : parseWitnessPolicy(options.witnesses);
  if (!isBundle(bundle)) {
    return { ok: false, receipts: [], problems: [{ code: 'MALFORMED', message: 'not an inclusion bundle: { checkpoint: string, receipts: [{ line: string, index: number, proof: string[] }] }' }] };
  }
  const opened = openReceiptCheckpoint(bundle.checkpoint, keys, backend);
  if ('problem' in opened) return { ok: false, receipts: [], problems: [opened.problem] };
  const { checkpoint } = opened;
  if (witnesses !== undefined) {
    const witnessed = checkWitnessCosignatures(bundle.checkpoint, witnesses.witnesses, witnesses.quorum, backend);
    if (!witnessed.ok) return { ok: false, checkpoint, receipts: [], problems: witnessed.problems };
  }
  const problems: Problem[] = [];
  const receipts: SignedReceipt[] = [];
  for (const entry of bundle.receipts) {
    const verified = verifyReceipt(entry.line, keys, backend);
    if (!verified.ok) {
      problems.push(...verified.problems);
      continue;
    }
    const seq = verified.receipt.log.seq;
    const proof = entry.proof.map((hash) => decodeBase64(hash));
    const wellFormed = entry.index === seq - 1 && proof.every((hash): hash is Uint8Array => hash !== undefined);
    if (!wellFormed || !verifyInclusion(receiptLeafHash(verified.receipt), entry.index, checkpoint.size, proof as Uint8Array[], checkpoint.rootHash)) {
      problems.push({
        code: 'INCLUSION_PROOF_INVALID',
        seq,
        message: `receipt ${seq} is not proved to be leaf ${entry.index} of the ${checkpoint.size}-receipt tree of ${checkpoint.origin}`,
      });
      continue;
    }
    receipts.push(verified.receipt);
  }
  if (bundle.receipts.length === 0) problems.push({ code: 'MALFORMED', message: 'the bundle proves no receipt' });
  return { ok: problems.length === 0, checkpoint, receipts, problems };
}

function isBundle(value: unknown): value is InclusionBundle {
  if (typeof value !== 'object' || value === null) return false;
  const { checkpoint, receipts } = value as Partial<InclusionBundle>;
  return (
    typeof checkpoint === 'string' &&
    Array.isArray(receipts) &&
    receipts.length <= 1_000 &&
    receipts.every(
      (r) => typeof r === 'object' && r !== null && typeof r.line === 'string' && Number.isSafeInteger(r.index) && Array.isArray(r.proof) && r.proof.length <= 64 && r.proof.every((h) => typeof h === 'string'),
    )
  );
}
