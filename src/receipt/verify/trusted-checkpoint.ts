// A checkpoint held outside the database, against an export: the one check that sees a log cut
// short together with its own last checkpoint, or a history replaced after the checkpoint was taken.
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { KeySet } from '../../keys/key-set.js';
import { leafHash, merkleHashesEqual, MerkleTree } from '../merkle/index.js';
import { formatCheckpoint, formatVerifierKey, noteVerifier, openNote, parseCheckpoint, signNote, splitNote, type Checkpoint, type NoteSigner } from '../note/index.js';
import { canonicalJson } from '../../request/canonical-json.js';
import type { SignedReceipt } from '../signed-receipt.js';
import { decodeBase64url } from './base64url.js';
import type { Ed25519Backend } from './ed25519-backend.js';
import { nobleBackend } from './noble-backend.js';
import type { Problem } from './problem.js';

/**
 * The Merkle leaf of a receipt (RFC 9162: SHA-256 of 0x00 and the leaf): its export line, the
 * canonical JSON of the whole signed envelope. Leaves are in `seq` order, leaf 0 is seq 1.
 */
export function receiptLeafHash(envelope: SignedReceipt): Uint8Array {
  return leafHash(utf8ToBytes(canonicalJson(envelope)));
}

/**
 * A C2SP checkpoint note over receipts 1..n (in seq order), signed as a C2SP signed note with the
 * receipt key under the name `origin`.
 *
 * @example const note = receiptCheckpointNote(receipts, 'actiongate.example/receipts', signer);
 */
export function receiptCheckpointNote(receipts: readonly SignedReceipt[], origin: string, signer: Omit<NoteSigner, 'name'>): string {
  const tree = new MerkleTree();
  for (const receipt of receipts) tree.append(receiptLeafHash(receipt));
  return checkpointNote({ origin, size: tree.size, rootHash: tree.root() }, signer);
}

/**
 * A checkpoint note signed by a receipt key of the key set under the checkpoint's origin (the key
 * name), parsed; or the problem (`TRUSTED_CHECKPOINT_INVALID`) saying why it is not one. The note's
 * signatures are checked with `backend` (default: the pure-JS noble back end), as receipts are.
 *
 * @example const opened = openReceiptCheckpoint(noteText, keys, nodeBackend); if ('checkpoint' in opened) opened.checkpoint.size
 */
export function openReceiptCheckpoint(note: string, keys: KeySet, backend: Ed25519Backend = nobleBackend): { checkpoint: Checkpoint } | { problem: Problem } {
  try {
    const checkpoint = parseCheckpoint(splitNote(note).text);
    const verifiers = keys.keys
      .filter((entry) => entry.purpose === 'receipt')
      .flatMap((entry) => {
        const raw = decodeBase64url(entry.publicKey, 32);
        if (!raw) return [];
        try {
          return [noteVerifier(formatVerifierKey(checkpoint.origin, raw), backend)];
        } catch {
          return [];
        }
      });
    if (openNote(note, verifiers).verifiedBy.length === 0) throw new Error('no signature by a receipt key of the key set');
    return { checkpoint };
  } catch (err) {
    return {
      problem: { code: 'TRUSTED_CHECKPOINT_INVALID', message: `the checkpoint is not a checkpoint note signed by a receipt key of the key set under its origin: ${(err as Error).message}` },
    };
  }
}

/**
 * The checkpoint note of a tree head: a C2SP checkpoint signed as a C2SP note under `origin`.
 *
 * @example checkpointNote({ origin: 'acme.example/actiongate', size: tree.size, rootHash: tree.root() }, signer)
 */
export function checkpointNote(head: { origin: string; size: number; rootHash: Uint8Array }, signer: Omit<NoteSigner, 'name'>): string {
  return signNote(formatCheckpoint(head), { ...signer, name: head.origin });
}

/**
 * Checks an export against a trusted checkpoint note: signed (a C2SP signed note) by a receipt key
 * of the key set under the checkpoint's origin as key name, and the export's receipts 1..size hash
 * to its root (so the export extends it: nothing before it was changed, removed or reordered), and
 * the export is at least that long. `receipts` are the parsed envelopes in export order; a gap or
 * duplicate is reported by the chain checks, and then this check cannot hold either.
 *
 * The note's signature is checked with `backend` (default: noble), the one the receipts are checked with.
 *
 * Problems: `TRUSTED_CHECKPOINT_INVALID` (not a signed checkpoint note by a trusted receipt key),
 * `TRUNCATED` (fewer receipts than it covers), `TRUSTED_CHECKPOINT_MISMATCH` (receipts 1..size do
 * not hash to its root: another history). `checkpoint` is there whenever the note opened.
 *
 * @example checkTrustedCheckpoint(receipts, await readFile('checkpoint.note', 'utf8'), keys, nodeBackend).problems
 */
export function checkTrustedCheckpoint(
  receipts: readonly SignedReceipt[],
  note: string,
  keys: KeySet,
  backend: Ed25519Backend = nobleBackend,
): { problems: Problem[]; checkpoint?: Checkpoint } {
  const opened = openReceiptCheckpoint(note, keys, backend);
  if ('problem' in opened) return { problems: [opened.problem] };
  const checkpoint = opened.checkpoint;
  const ordered = [...receipts].sort((a, b) => a.log.seq - b.log.seq);
  const contiguous = ordered.every((receipt, index) => receipt.log.seq === index + 1);
  if (ordered.length < checkpoint.size) {
    return {
      checkpoint,
      problems: [{ code: 'TRUNCATED', seq: ordered.length + 1, message: `the export holds ${ordered.length} receipts; the trusted checkpoint (${checkpoint.origin}) covers ${checkpoint.size}: receipts were removed from the end` }],
    };
  }
  const tree = new MerkleTree();
  for (const receipt of ordered.slice(0, checkpoint.size)) tree.append(receiptLeafHash(receipt));
  if (!contiguous || !merkleHashesEqual(tree.root(), checkpoint.rootHash)) {
    return {
      checkpoint,
      problems: [
        {
          code: 'TRUSTED_CHECKPOINT_MISMATCH',
          seq: checkpoint.size,
          message: `receipts 1..${checkpoint.size} of the export do not hash to the trusted checkpoint's root: this is not the history the checkpoint was signed for`,
        },
      ],
    };
  }
  return { checkpoint, problems: [] };
}
