import { subtreeHasher, type LeafHashSource } from './leaf-source.js';
import { MerkleError } from './merkle-error.js';
import { isMerkleHash, merkleHashesEqual, nodeHash } from './merkle-hash.js';
import { half, isOdd, isTreeCount, largestPowerOfTwoBelow, walkSteps } from './tree-math.js';
import type { TreeNodeSource } from './tree-nodes.js';

/**
 * The audit path PATH(index, D[0:size]) of RFC 9162 §2.1.3.1: the sibling subtree roots from the
 * leaf up to the root, ⌈log2 size⌉ hashes at most. Built from leaf hashes it hashes every other
 * leaf of the tree (O(size) reads and hashes); from stored perfect subtree roots ({@link TreeNodeSource})
 * it reads O(log size) nodes. The proof itself is O(log size).
 *
 * @param leaves the leaf hashes in log order (at least `size` of them), or a function reading
 *   one by 0-based index (only indexes below `size` are read); or the perfect subtree roots of a
 *   tree of at least `size` leaves.
 * @throws MerkleError `INVALID_RANGE` unless 0 ≤ index < size (safe integers) and `leaves`
 *   holds `size` hashes, `INVALID_HASH` for a leaf hash read that is not 32 bytes.
 * @example
 * const proof = inclusionProof(2, tree.size, leafHashes);
 * verifyInclusion(leafHashes[2], 2, tree.size, proof, tree.root()); // true
 */
export function inclusionProof(index: number, size: number, leaves: LeafHashSource | TreeNodeSource): Uint8Array[] {
  if (!isTreeCount(index) || !isTreeCount(size) || index >= size) {
    throw new MerkleError('INVALID_RANGE', `an inclusion proof needs 0 <= index < size, not index ${String(index)} and size ${String(size)}`, {
      index,
      size,
    });
  }
  const subtree = subtreeHasher(leaves, size);
  // Walk down from the root to the leaf; RFC 9162 lists the siblings bottom-up, hence the reverse.
  const siblings: Uint8Array[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = largestPowerOfTwoBelow(end - start);
    if (index < start + k) {
      siblings.push(subtree(start + k, end));
      end = start + k;
    } else {
      siblings.push(subtree(start, start + k));
      start += k;
    }
  }
  return siblings.reverse();
}

/**
 * How many hashes a valid inclusion proof for `index` in a tree of `size` has: the steps of the
 * RFC 9162 §2.1.3.2 walk until `sn` reaches 0. -1 when no proof exists (index ≥ size, or not
 * safe non-negative integers).
 *
 * @example inclusionProofLength(5, 8) // 3
 */
export function inclusionProofLength(index: number, size: number): number {
  if (!isTreeCount(index) || !isTreeCount(size) || index >= size) return -1;
  return walkSteps(index, size - 1);
}

/**
 * Checks that `leafHash` is the leaf at `index` of the tree of `size` leaves whose root is
 * `root`, by RFC 9162 §2.1.3.2 step by step. Never throws: anything malformed (index ≥ size,
 * sizes that are not safe non-negative integers, a proof that is not an array of 32-byte hashes
 * or has the wrong number of them, hashes that are not 32 bytes) answers `false`. The root is
 * compared in constant time. O(log size) hashes.
 *
 * The proof length is checked first against {@link inclusionProofLength}; the RFC's own checks
 * on `sn` reject the same proofs, this only spares the hashing.
 *
 * @example verifyInclusion(leafHash(line), seq - 1, checkpoint.size, proof, checkpointRoot) // true or false
 */
export function verifyInclusion(leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  try {
    if (!isMerkleHash(leafHash) || !isMerkleHash(root) || !Array.isArray(proof)) return false;
    // Step 1: leaf_index ≥ tree_size fails (and so does anything that is not an index).
    const expected = inclusionProofLength(index, size);
    if (expected < 0 || proof.length !== expected) return false;
    // Steps 2 and 3.
    let fn = index;
    let sn = size - 1;
    let r = leafHash;
    // Step 4.
    for (let i = 0; i < proof.length; i++) {
      const p: unknown = proof[i];
      if (sn === 0 || !isMerkleHash(p)) return false;
      if (isOdd(fn) || fn === sn) {
        r = nodeHash(p, r);
        if (!isOdd(fn)) {
          while (!isOdd(fn) && fn !== 0) {
            fn = half(fn);
            sn = half(sn);
          }
        }
      } else {
        r = nodeHash(r, p);
      }
      fn = half(fn);
      sn = half(sn);
    }
    // Step 5.
    return sn === 0 && merkleHashesEqual(r, root);
  } catch {
    // A hostile proof (a Proxy, a throwing getter) must still be a plain refusal.
    return false;
  }
}
