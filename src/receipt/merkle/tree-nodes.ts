import { MerkleError } from './merkle-error.js';
import { assertMerkleHash, nodeHash } from './merkle-hash.js';
import { half, isOdd, isTreeCount, largestPowerOfTwoBelow } from './tree-math.js';

/**
 * A perfect subtree of the log's Merkle tree, addressed as stores keep them: `level` L covers
 * 2^L leaves, the `index`-th such run, i.e. leaves [index·2^L, (index+1)·2^L). Level 0 is a leaf
 * hash. Once its last leaf is appended such a node never changes, so a store writes it once.
 */
export interface TreeNodeId {
  level: number;
  index: number;
}

/**
 * Where a proof builder reads perfect subtree roots from (a store of {@link TreeNodeId}s, see
 * src/store/receipt-tree.ts). A proof or root then costs O(log n) node reads instead of a read
 * of every leaf.
 */
export interface TreeNodeSource {
  node(level: number, index: number): Uint8Array;
}

/** Whether a value is a {@link TreeNodeSource} (and not a leaf hash array or function). */
export function isTreeNodeSource(value: unknown): value is TreeNodeSource {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as TreeNodeSource).node === 'function';
}

/**
 * The perfect subtrees D[start:end] splits into as RFC 9162 §2.1.1 splits it (k the largest power of
 * two below the length, left first), left to right. For the ranges proofs and roots use (the left
 * part always a perfect, aligned subtree) these are the stored nodes whose hashes give MTH(D[start:end]).
 *
 * @throws MerkleError `INVALID_RANGE` unless 0 ≤ start < end (safe integers).
 * @example subtreeNodes(0, 6) // [{ level: 2, index: 0 }, { level: 1, index: 2 }]
 */
export function subtreeNodes(start: number, end: number): TreeNodeId[] {
  if (!isTreeCount(start) || !isTreeCount(end) || start >= end) {
    throw new MerkleError('INVALID_RANGE', `a subtree needs 0 <= start < end, not start ${String(start)} and end ${String(end)}`, { start, end });
  }
  const nodes: TreeNodeId[] = [];
  const walk = (from: number, to: number): void => {
    const aligned = perfectNode(from, to);
    if (aligned) return void nodes.push(aligned);
    const k = largestPowerOfTwoBelow(to - from);
    walk(from, from + k);
    walk(from + k, to);
  };
  walk(start, end);
  return nodes;
}

/** MTH(D[start:end]) from perfect subtree roots: the split of {@link subtreeNodes}, hashed back up. */
export function subtreeRootFromNodes(source: TreeNodeSource, start: number, end: number): Uint8Array {
  const aligned = perfectNode(start, end);
  if (aligned) {
    const hash = source.node(aligned.level, aligned.index);
    assertMerkleHash(hash, `node ${aligned.level}/${aligned.index}`);
    return hash;
  }
  const k = largestPowerOfTwoBelow(end - start);
  return nodeHash(subtreeRootFromNodes(source, start, start + k), subtreeRootFromNodes(source, start + k, end));
}

/**
 * The nodes a tree of `size` leaves completes when its leaf `size - 1` is appended: the leaf
 * itself (level 0), then each perfect subtree the leaf closes, one per trailing one bit of `size - 1`.
 *
 * @example completedNodes(4) // [{0,3}, {1,1}, {2,0}]
 */
export function completedNodes(size: number): TreeNodeId[] {
  const nodes: TreeNodeId[] = [];
  let index = size - 1;
  let level = 0;
  nodes.push({ level, index });
  while (isOdd(index)) {
    index = half(index);
    level += 1;
    nodes.push({ level, index });
  }
  return nodes;
}

/**
 * Which nodes a proof builder reads: runs `build` against a source that answers placeholder hashes
 * and records what was asked, in order, without duplicates. The nodes depend only on the sizes
 * and indexes, never on hash values, so a store reads exactly these and builds the proof again.
 *
 * @example const ids = nodesRead((source) => inclusionProof(5, 100, source));
 */
export function nodesRead(build: (source: TreeNodeSource) => unknown): TreeNodeId[] {
  const seen = new Map<string, TreeNodeId>();
  const placeholder = new Uint8Array(32);
  build({
    node(level, index) {
      seen.set(`${level}/${index}`, { level, index });
      return placeholder;
    },
  });
  return [...seen.values()];
}

function perfectNode(start: number, end: number): TreeNodeId | undefined {
  const length = end - start;
  let level = 0;
  let width = 1;
  while (width < length) {
    width *= 2;
    level += 1;
  }
  if (width !== length || start % width !== 0) return undefined;
  return { level, index: start / width };
}
