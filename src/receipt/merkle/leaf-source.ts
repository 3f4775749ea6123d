import { assertMerkleHash } from './merkle-hash.js';
import { MerkleError } from './merkle-error.js';
import { rangeRoot } from './tree-hash.js';
import { isTreeNodeSource, subtreeRootFromNodes, type TreeNodeSource } from './tree-nodes.js';

/**
 * Where a proof builder reads leaf hashes from: an array of them in log order, or a function
 * from a 0-based index to the leaf hash there (for a store that reads them on demand).
 */
export type LeafHashSource = readonly Uint8Array[] | ((index: number) => Uint8Array);

/** Reader over the first `size` leaves of a source; every hash it returns is checked. */
export function leafReader(leaves: LeafHashSource, size: number): (index: number) => Uint8Array {
  if (typeof leaves === 'function') {
    return (index) => {
      const hash = leaves(index);
      assertMerkleHash(hash, `leaf hash ${index}`);
      return hash;
    };
  }
  if (leaves.length < size) {
    throw new MerkleError('INVALID_RANGE', `a tree of size ${size} needs ${size} leaf hashes, got ${leaves.length}`, { size, leaves: leaves.length });
  }
  return (index) => {
    const hash = leaves[index];
    assertMerkleHash(hash, `leaf hash ${index}`);
    return hash;
  };
}

/**
 * MTH(D[start:end]) for the proof builders: from leaf hashes (every leaf of the range read and
 * hashed), or from stored perfect subtree roots (O(log n) node reads).
 */
export function subtreeHasher(source: LeafHashSource | TreeNodeSource, size: number): (start: number, end: number) => Uint8Array {
  if (isTreeNodeSource(source)) return (start, end) => subtreeRootFromNodes(source, start, end);
  const read = leafReader(source, size);
  return (start, end) => rangeRoot(read, start, end);
}
