import { MerkleError } from './merkle-error.js';
import { assertMerkleHash, emptyTreeRoot, nodeHash } from './merkle-hash.js';
import { half, isOdd, isTreeCount, popCount } from './tree-math.js';

/**
 * An append-only RFC 9162 Merkle tree that keeps only its frontier (a "compact range"): the roots
 * of the perfect subtrees that the tree of `size` leaves splits into, one per set bit of `size`,
 * largest (leftmost) first. That is O(log n) hashes, enough to append and to give the root
 * (MTH, RFC 9162 §2.1.1), but not to build proofs: those need the leaf hashes (see
 * {@link inclusionProof}, {@link consistencyProof}).
 *
 * Costs: `append` hashes once per trailing one bit of the size (amortised one hash, at most
 * log2 n); `root()` hashes `popcount(size) - 1` times. Both O(log n).
 *
 * @example
 * const tree = new MerkleTree();
 * for (const receiptLine of lines) tree.append(leafHash(utf8ToBytes(receiptLine)));
 * tree.root(); // the MTH of every line so far
 * const saved = { size: tree.size, frontier: tree.frontier() };
 * const again = MerkleTree.fromFrontier(saved.size, saved.frontier); // same root, same appends
 */
export class MerkleTree {
  #size = 0;
  #frontier: Uint8Array[] = [];

  /**
   * Rebuilds a tree from every leaf hash in log order: n appends, O(n) hashes.
   *
   * @throws MerkleError `INVALID_HASH` for an entry that is not a 32-byte hash.
   * @example MerkleTree.fromLeafHashes(storedLeafHashes).root()
   */
  static fromLeafHashes(hashes: readonly Uint8Array[]): MerkleTree {
    const tree = new MerkleTree();
    for (const hash of hashes) tree.append(hash);
    return tree;
  }

  /**
   * Rebuilds a tree from a stored {@link MerkleTree.frontier} and its size, without the leaves.
   * The frontier is trusted as given: a wrong hash gives wrong roots, not an error.
   *
   * @throws MerkleError `INVALID_RANGE` for a size that is not a safe non-negative integer,
   *   `INVALID_FRONTIER` when the number of hashes is not popcount(size), `INVALID_HASH` for an
   *   entry that is not a 32-byte hash.
   * @example const tree = MerkleTree.fromFrontier(6, [root0to4, root4to6]);
   */
  static fromFrontier(size: number, frontier: readonly Uint8Array[]): MerkleTree {
    if (!isTreeCount(size)) throw new MerkleError('INVALID_RANGE', `tree size must be a safe non-negative integer, not ${String(size)}`);
    const expected = popCount(size);
    if (frontier.length !== expected) {
      throw new MerkleError('INVALID_FRONTIER', `a tree of size ${size} has ${expected} frontier hashes, got ${frontier.length}`, {
        size,
        hashes: frontier.length,
      });
    }
    frontier.forEach((hash, i) => assertMerkleHash(hash, `frontier hash ${i}`));
    const tree = new MerkleTree();
    tree.#size = size;
    tree.#frontier = frontier.map((hash) => hash.slice());
    return tree;
  }

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends the next leaf hash (already `leafHash(data)`, the caller chooses the leaf bytes).
   * The hash is copied. Returns the new size.
   *
   * @throws MerkleError `INVALID_HASH` for a value that is not a 32-byte hash, `INVALID_RANGE`
   *   when the size would pass Number.MAX_SAFE_INTEGER.
   * @example tree.append(leafHash(bytes)); // 1, 2, 3, …
   */
  append(hash: Uint8Array): number {
    assertMerkleHash(hash, 'leaf hash');
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new MerkleError('INVALID_RANGE', 'the tree is full (Number.MAX_SAFE_INTEGER leaves)');
    // Each trailing one bit of the old size is a complete subtree of the new leaf's size: merge it.
    let node: Uint8Array = hash.slice();
    for (let s = this.#size; isOdd(s); s = half(s)) node = nodeHash(this.#frontier.pop() as Uint8Array, node);
    this.#frontier.push(node);
    this.#size += 1;
    return this.#size;
  }

  /**
   * The tree's root, MTH(D[0:size]) of RFC 9162 §2.1.1: the frontier folded from the right;
   * SHA-256("") for the empty tree. A fresh array each call.
   *
   * @example bytesToHex(new MerkleTree().root()) // 'e3b0c442…7852b855'
   */
  root(): Uint8Array {
    const last = this.#frontier.length - 1;
    if (last < 0) return emptyTreeRoot();
    let root: Uint8Array = (this.#frontier[last] as Uint8Array).slice();
    for (let i = last - 1; i >= 0; i--) root = nodeHash(this.#frontier[i] as Uint8Array, root);
    return root;
  }

  /**
   * Copies of the frontier hashes, largest subtree first: what to store beside `size` to resume
   * appending later with {@link MerkleTree.fromFrontier}.
   *
   * @example MerkleTree.fromFrontier(tree.size, tree.frontier()).root() // equals tree.root()
   */
  frontier(): Uint8Array[] {
    return this.#frontier.map((hash) => hash.slice());
  }
}
