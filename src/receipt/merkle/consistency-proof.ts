import { subtreeHasher, type LeafHashSource } from './leaf-source.js';
import { MerkleError } from './merkle-error.js';
import { isMerkleHash, merkleHashesEqual, nodeHash } from './merkle-hash.js';
import { half, isOdd, isPowerOfTwo, isTreeCount, largestPowerOfTwoBelow, walkSteps } from './tree-math.js';
import type { TreeNodeSource } from './tree-nodes.js';

/**
 * The consistency proof PROOF(oldSize, D[0:newSize]) of RFC 9162 §2.1.4.1: the subtree roots
 * that show the tree of `oldSize` leaves is a prefix of the tree of `newSize` leaves, O(log
 * newSize) hashes. Empty when the sizes are equal. Built from leaf hashes it hashes the leaves of
 * the new tree (O(newSize) reads and hashes); from stored perfect subtree roots, O(log newSize) reads.
 *
 * An old size of 0 is refused: RFC 9162 defines the proof for 0 < oldSize only, and the empty
 * tree is a prefix of every tree, so there is nothing to prove (see {@link verifyConsistency}).
 *
 * @param leaves the leaf hashes in log order (at least `newSize` of them), or a function reading
 *   one by 0-based index (only indexes below `newSize` are read); or the perfect subtree roots of
 *   a tree of at least `newSize` leaves (O(log newSize) node reads).
 * @throws MerkleError `INVALID_RANGE` unless 0 < oldSize ≤ newSize (safe integers) and `leaves`
 *   holds `newSize` hashes, `INVALID_HASH` for a leaf hash read that is not 32 bytes.
 * @example
 * const proof = consistencyProof(checkpoint.size, tree.size, leafHashes);
 * verifyConsistency(checkpoint.size, tree.size, checkpointRoot, tree.root(), proof); // true
 */
export function consistencyProof(oldSize: number, newSize: number, leaves: LeafHashSource | TreeNodeSource): Uint8Array[] {
  if (!isTreeCount(oldSize) || !isTreeCount(newSize) || oldSize < 1 || oldSize > newSize) {
    throw new MerkleError(
      'INVALID_RANGE',
      `a consistency proof needs 0 < oldSize <= newSize, not oldSize ${String(oldSize)} and newSize ${String(newSize)}`,
      { oldSize, newSize },
    );
  }
  const subtree = subtreeHasher(leaves, newSize);
  // SUBPROOF(m, D[start:end], b) unrolled from the root down; RFC 9162 lists the hashes
  // bottom-up, hence the reverse.
  const hashes: Uint8Array[] = [];
  let start = 0;
  let end = newSize;
  let wholeOldTree = true; // the RFC's b: the old tree is exactly D[0:oldSize], its root already known
  while (end !== oldSize) {
    const k = largestPowerOfTwoBelow(end - start);
    if (oldSize - start <= k) {
      hashes.push(subtree(start + k, end));
      end = start + k;
    } else {
      hashes.push(subtree(start, start + k));
      start += k;
      wholeOldTree = false;
    }
  }
  if (!wholeOldTree) hashes.push(subtree(start, end));
  return hashes.reverse();
}

/**
 * How many hashes a valid consistency proof from `oldSize` to `newSize` has: 0 for equal sizes,
 * otherwise the hashes the RFC 9162 §2.1.4.2 walk consumes (one fewer when `oldSize` is a power
 * of two, whose root the verifier already holds). -1 when no proof exists (oldSize 0, oldSize >
 * newSize, or not safe integers).
 *
 * @example consistencyProofLength(6, 8) // 3
 */
export function consistencyProofLength(oldSize: number, newSize: number): number {
  if (!isTreeCount(oldSize) || !isTreeCount(newSize) || oldSize < 1 || oldSize > newSize) return -1;
  if (oldSize === newSize) return 0;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  return (isPowerOfTwo(oldSize) ? 0 : 1) + walkSteps(fn, sn);
}

/**
 * Checks that the tree of `oldSize` leaves with root `oldRoot` is a prefix of the tree of
 * `newSize` leaves with root `newRoot`, by RFC 9162 §2.1.4.2 step by step.
 *
 * - oldSize = newSize: true exactly when the proof is empty and the roots are equal.
 * - oldSize = 0: false. RFC 9162 defines no proof for it; the empty tree is trivially a prefix
 *   of any tree, so a caller holding no earlier tree head has nothing to check and should not
 *   ask. (transparency-dev/merkle answers true here; answering false keeps "true" meaning "a
 *   proof was checked".)
 * - oldSize > newSize, sizes that are not safe integers, a proof that is not an array of
 *   32-byte hashes or has the wrong number of them ({@link consistencyProofLength}), roots that
 *   are not 32 bytes: false.
 *
 * Never throws. Roots are compared in constant time. O(log newSize) hashes.
 *
 * @example verifyConsistency(previous.size, latest.size, previousRoot, latestRoot, proof) // true or false
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  try {
    if (!isMerkleHash(oldRoot) || !isMerkleHash(newRoot) || !Array.isArray(proof)) return false;
    const expected = consistencyProofLength(oldSize, newSize);
    if (expected < 0 || proof.length !== expected) return false;
    if (oldSize === newSize) return merkleHashesEqual(oldRoot, newRoot);
    // Step 1.
    if (proof.length === 0) return false;
    // Step 2: the verifier already holds the root of a power-of-two old tree.
    const path: unknown[] = isPowerOfTwo(oldSize) ? [oldRoot] : [];
    for (let i = 0; i < proof.length; i++) path.push(proof[i]);
    if (!path.every(isMerkleHash)) return false;
    const hashes = path as Uint8Array[];
    // Step 3.
    let fn = oldSize - 1;
    let sn = newSize - 1;
    // Step 4.
    while (isOdd(fn)) {
      fn = half(fn);
      sn = half(sn);
    }
    // Step 5.
    let fr = hashes[0] as Uint8Array;
    let sr = fr;
    // Step 6.
    for (let i = 1; i < hashes.length; i++) {
      const c = hashes[i] as Uint8Array;
      if (sn === 0) return false;
      if (isOdd(fn) || fn === sn) {
        fr = nodeHash(c, fr);
        sr = nodeHash(c, sr);
        if (!isOdd(fn)) {
          while (!isOdd(fn) && fn !== 0) {
            fn = half(fn);
            sn = half(sn);
          }
        }
      } else {
        sr = nodeHash(sr, c);
      }
      fn = half(fn);
      sn = half(sn);
    }
    // Step 7 (both roots compared, without a shortcut).
    const oldMatches = merkleHashesEqual(fr, oldRoot);
    const newMatches = merkleHashesEqual(sr, newRoot);
    return sn === 0 && oldMatches && newMatches;
  } catch {
    // A hostile proof (a Proxy, a throwing getter) must still be a plain refusal.
    return false;
  }
}
