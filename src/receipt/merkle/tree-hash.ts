import { MerkleTree } from './merkle-tree.js';

/**
 * MTH(D_n) of RFC 9162 §2.1.1 over leaf hashes in log order: SHA-256("") for none, the leaf hash
 * for one, otherwise nodeHash(MTH(D[0:k]), MTH(D[k:n])) with k the largest power of two below n.
 * O(n) hashes and O(log n) memory (it streams through a {@link MerkleTree}).
 *
 * @throws MerkleError `INVALID_HASH` for an entry that is not a 32-byte hash.
 * @example rootFromLeafHashes(lines.map((line) => leafHash(utf8ToBytes(line))))
 */
export function rootFromLeafHashes(hashes: readonly Uint8Array[]): Uint8Array {
  return MerkleTree.fromLeafHashes(hashes).root();
}

/** MTH(D[start:end]) reading leaf hashes on demand; `start < end`. */
export function rangeRoot(read: (index: number) => Uint8Array, start: number, end: number): Uint8Array {
  const tree = new MerkleTree();
  for (let i = start; i < end; i++) tree.append(read(i));
  return tree.root();
}
