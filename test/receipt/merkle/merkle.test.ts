import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  MerkleError,
  MerkleTree,
  consistencyProof,
  consistencyProofLength,
  emptyTreeRoot,
  inclusionProof,
  inclusionProofLength,
  leafHash,
  nodeHash,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from '../../../src/receipt/merkle/index.js';
import { REPO_ROOT } from '../../support/paths.js';
import {
  consistencyWalk,
  inclusionWalk,
  referenceConsistency,
  referencePath,
  referenceRoot,
  referenceVerifyConsistency,
  referenceVerifyInclusion,
} from './rfc9162-reference.js';

// Vectors from github.com/transparency-dev/merkle v0.0.2 (Apache-2.0): see test/fixtures/merkle/README.md.
interface InclusionVector {
  index: number;
  size: number;
  proof: string[];
}
interface ConsistencyVector {
  size1: number;
  size2: number;
  proof: string[];
}
interface PublishedVectors {
  leaves: string[];
  nodeHashes: string[][];
  rootsBySize: string[];
  compactRanges: string[][];
  inclusion: InclusionVector[];
  consistency: ConsistencyVector[];
}
interface GeneratedTree {
  leaves?: string[];
  leafHashes?: string[];
  leafCount: number;
  roots: Record<string, string>;
  inclusion: InclusionVector[];
  consistency: ConsistencyVector[];
}

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'merkle', name), 'utf8')) as T;
}

const published = fixture<PublishedVectors>('published-vectors.json');
const referenceTree = fixture<GeneratedTree>('reference-tree.json');
const largeTree = fixture<GeneratedTree>('large-tree.json');

const hex = (bytes: Uint8Array): string => bytesToHex(bytes);
const hexes = (list: readonly Uint8Array[]): string[] => list.map(hex);
const unhex = (list: readonly string[]): Uint8Array[] => list.map((h) => hexToBytes(h));

/** The eight leaves of the RFC 6962 reference tree, as leaf hashes. */
const REF_LEAVES = published.leaves.map((data) => leafHash(hexToBytes(data)));
/** The large tree's leaves: leaf i is the 8-byte big-endian encoding of i. */
const LARGE_LEAVES = Array.from({ length: largeTree.leafCount }, (_, i) => {
  const data = new Uint8Array(8);
  new DataView(data.buffer).setBigUint64(0, BigInt(i));
  return leafHash(data);
});

/** Deterministic PRNG (mulberry32) so a failing random case can be replayed. */
function prng(seed: number): (below: number) => number {
  let a = seed >>> 0;
  return (below) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
  return copy;
}

const SOME_HASH = sha256(new TextEncoder().encode('some other hash'));

describe('leafHash and nodeHash', () => {
  it('give the published leaf and node hashes of the reference tree', () => {
    expect(hexes(REF_LEAVES)).toEqual(published.nodeHashes[0]);
    expect(hexes(REF_LEAVES)).toEqual(referenceTree.leafHashes);
    for (let level = 1; level < published.nodeHashes.length; level++) {
      const below = unhex(published.nodeHashes[level - 1] as string[]);
      const computed = (published.nodeHashes[level] as string[]).map((_, i) => hex(nodeHash(below[2 * i] as Uint8Array, below[2 * i + 1] as Uint8Array)));
      expect(computed).toEqual(published.nodeHashes[level]);
    }
  });

  it('give the empty tree SHA-256 of the empty string', () => {
    expect(hex(emptyTreeRoot())).toBe(published.rootsBySize[0]);
    expect(hex(emptyTreeRoot())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('rootFromLeafHashes', () => {
  it('gives the published root of the reference tree at every size 0..8', () => {
    for (let size = 0; size <= 8; size++) {
      expect(hex(rootFromLeafHashes(REF_LEAVES.slice(0, size))), `size ${size}`).toBe(published.rootsBySize[size]);
      expect(referenceTree.roots[String(size)]).toBe(published.rootsBySize[size]);
    }
  });

  it('gives the roots transparency-dev/merkle computed for the large tree', () => {
    for (const [size, root] of Object.entries(largeTree.roots)) {
      expect(hex(rootFromLeafHashes(LARGE_LEAVES.slice(0, Number(size)))), `size ${size}`).toBe(root);
    }
  });

  it('agrees with the recursive MTH of RFC 9162 on every size up to 300', () => {
    for (let size = 0; size <= 300; size++) {
      expect(hex(rootFromLeafHashes(LARGE_LEAVES.slice(0, size)))).toBe(hex(referenceRoot(LARGE_LEAVES.slice(0, size))));
    }
  });

  describe('when a leaf hash is not 32 bytes', () => {
    it('refuses with INVALID_HASH', () => {
      expect(() => rootFromLeafHashes([REF_LEAVES[0] as Uint8Array, new Uint8Array(31)])).toThrow(
        expect.objectContaining({ constructor: MerkleError, code: 'INVALID_HASH' }),
      );
    });
  });
});

describe('MerkleTree', () => {
  describe('when appending the reference leaves one by one', () => {
    it('has the published root and compact range after each append', () => {
      const tree = new MerkleTree();
      expect(hex(tree.root())).toBe(published.rootsBySize[0]);
      expect(tree.frontier()).toEqual([]);
      REF_LEAVES.forEach((hash, i) => {
        expect(tree.append(hash)).toBe(i + 1);
        expect(tree.size).toBe(i + 1);
        expect(hex(tree.root())).toBe(published.rootsBySize[i + 1]);
        expect(hexes(tree.frontier())).toEqual(published.compactRanges[i + 1]);
      });
    });
  });

  describe('when rebuilt from a stored frontier', () => {
    it('gives the same roots as appending from the start, at every size of the reference tree', () => {
      for (let size = 0; size <= 8; size++) {
        const resumed = MerkleTree.fromFrontier(size, unhex(published.compactRanges[size] as string[]));
        expect(hex(resumed.root())).toBe(published.rootsBySize[size]);
        for (let next = size; next < 8; next++) {
          resumed.append(REF_LEAVES[next] as Uint8Array);
          expect(hex(resumed.root())).toBe(published.rootsBySize[next + 1]);
        }
      }
    });

    it('resumes a large tree anywhere', () => {
      const whole = new MerkleTree();
      const cuts = new Set([1, 2, 63, 64, 65, 511, 1024, 1099]);
      for (let i = 0; i < LARGE_LEAVES.length; i++) {
        whole.append(LARGE_LEAVES[i] as Uint8Array);
        if (cuts.has(whole.size)) {
          const resumed = MerkleTree.fromFrontier(whole.size, whole.frontier());
          for (let j = i + 1; j < Math.min(i + 40, LARGE_LEAVES.length); j++) resumed.append(LARGE_LEAVES[j] as Uint8Array);
          expect(hex(resumed.root())).toBe(hex(rootFromLeafHashes(LARGE_LEAVES.slice(0, resumed.size))));
        }
      }
      expect(hex(whole.root())).toBe(largeTree.roots[String(largeTree.leafCount)]);
      expect(hex(MerkleTree.fromLeafHashes(LARGE_LEAVES).root())).toBe(hex(whole.root()));
    });

    it('refuses a frontier that does not fit the size with INVALID_FRONTIER', () => {
      expect(() => MerkleTree.fromFrontier(3, unhex(published.compactRanges[4] as string[]))).toThrow(
        expect.objectContaining({ constructor: MerkleError, code: 'INVALID_FRONTIER' }),
      );
      expect(() => MerkleTree.fromFrontier(0, [SOME_HASH])).toThrow(expect.objectContaining({ code: 'INVALID_FRONTIER' }));
      expect(() => MerkleTree.fromFrontier(-1, [])).toThrow(expect.objectContaining({ code: 'INVALID_RANGE' }));
      expect(() => MerkleTree.fromFrontier(1.5, [SOME_HASH])).toThrow(expect.objectContaining({ code: 'INVALID_RANGE' }));
      expect(() => MerkleTree.fromFrontier(1, [new Uint8Array(32).subarray(1)])).toThrow(expect.objectContaining({ code: 'INVALID_HASH' }));
    });

    it('holds the largest tree a safe integer counts in 53 hashes, and refuses to grow past it', () => {
      const size = Number.MAX_SAFE_INTEGER; // 2^53 - 1: 53 perfect subtrees
      const tree = MerkleTree.fromFrontier(size, Array.from({ length: 53 }, () => SOME_HASH));
      expect(tree.root()).toHaveLength(32);
      expect(() => tree.append(SOME_HASH)).toThrow(expect.objectContaining({ code: 'INVALID_RANGE' }));
    });
  });

  it('copies what it is given and what it hands out', () => {
    const hash = (REF_LEAVES[0] as Uint8Array).slice();
    const tree = new MerkleTree();
    tree.append(hash);
    hash.fill(0);
    tree.frontier()[0]?.fill(0);
    tree.root().fill(0);
    expect(hex(tree.root())).toBe(published.rootsBySize[1]);
  });

  it('refuses a leaf hash that is not 32 bytes with INVALID_HASH', () => {
    for (const bad of [new Uint8Array(0), new Uint8Array(33), 'ab'.repeat(32), null]) {
      expect(() => new MerkleTree().append(bad as unknown as Uint8Array)).toThrow(expect.objectContaining({ constructor: MerkleError, code: 'INVALID_HASH' }));
    }
  });
});

describe('inclusionProof and verifyInclusion', () => {
  describe('with the vectors published in transparency-dev/merkle proof/verify_test.go', () => {
    it.each(published.inclusion.map((v): [number, number, InclusionVector] => [v.index, v.size, v]))('builds and verifies leaf %i of a tree of size %i', (_i, _n, vector) => {
      const proof = inclusionProof(vector.index, vector.size, REF_LEAVES);
      expect(hexes(proof)).toEqual(vector.proof);
      const root = hexToBytes(published.rootsBySize[vector.size] as string);
      expect(verifyInclusion(REF_LEAVES[vector.index] as Uint8Array, vector.index, vector.size, unhex(vector.proof), root)).toBe(true);
    });
  });

  describe('with every proof of the reference tree, sizes 1..8, as transparency-dev/merkle builds them', () => {
    it('builds the same proofs and verifies them', () => {
      expect(referenceTree.inclusion).toHaveLength(36);
      for (const vector of referenceTree.inclusion) {
        const proof = inclusionProof(vector.index, vector.size, REF_LEAVES);
        expect(hexes(proof), `${vector.index} of ${vector.size}`).toEqual(vector.proof);
        expect(inclusionProofLength(vector.index, vector.size)).toBe(vector.proof.length);
        const root = hexToBytes(referenceTree.roots[String(vector.size)] as string);
        expect(verifyInclusion(REF_LEAVES[vector.index] as Uint8Array, vector.index, vector.size, proof, root)).toBe(true);
      }
    });
  });

  describe('with transparency-dev/merkle proofs in a tree of 1,100 leaves', () => {
    it('builds the same proofs and verifies them', () => {
      for (const vector of largeTree.inclusion) {
        const proof = inclusionProof(vector.index, vector.size, LARGE_LEAVES);
        expect(hexes(proof), `${vector.index} of ${vector.size}`).toEqual(vector.proof);
        const root = hexToBytes(largeTree.roots[String(vector.size)] as string);
        expect(verifyInclusion(LARGE_LEAVES[vector.index] as Uint8Array, vector.index, vector.size, proof, root)).toBe(true);
        expect(referenceVerifyInclusion(LARGE_LEAVES[vector.index] as Uint8Array, vector.index, vector.size, proof, root)).toBe(true);
      }
    });
  });

  describe('against the recursive PATH of RFC 9162 written in the test', () => {
    it('builds the same proof for every leaf of every tree up to 70 leaves', () => {
      for (let size = 1; size <= 70; size++) {
        const leaves = LARGE_LEAVES.slice(0, size);
        const root = referenceRoot(leaves);
        for (let index = 0; index < size; index++) {
          const proof = inclusionProof(index, size, leaves);
          expect(hexes(proof)).toEqual(hexes(referencePath(index, leaves)));
          expect(proof.length).toBe(inclusionProofLength(index, size));
          expect(verifyInclusion(leaves[index] as Uint8Array, index, size, proof, root)).toBe(true);
        }
      }
    });

    it('builds the same proof in random trees up to 4,000 leaves', () => {
      const random = prng(9162);
      const leaves = Array.from({ length: 4000 }, (_, i) => leafHash(new TextEncoder().encode(`receipt ${i}`)));
      for (let round = 0; round < 40; round++) {
        const size = 1 + random(leaves.length);
        const index = random(size);
        const prefix = leaves.slice(0, size);
        const proof = inclusionProof(index, size, prefix);
        expect(hexes(proof)).toEqual(hexes(referencePath(index, prefix)));
        expect(verifyInclusion(prefix[index] as Uint8Array, index, size, proof, rootFromLeafHashes(prefix))).toBe(true);
      }
    });
  });

  describe('when the leaves come from a function', () => {
    it('builds the same proof and reads only leaves below the size, never the proven one', () => {
      const read: number[] = [];
      const proof = inclusionProof(5, 7, (i) => {
        read.push(i);
        return REF_LEAVES[i] as Uint8Array;
      });
      expect(hexes(proof)).toEqual(hexes(inclusionProof(5, 7, REF_LEAVES)));
      expect(new Set(read)).toEqual(new Set([0, 1, 2, 3, 4, 6]));
    });

    it('refuses a leaf hash that is not 32 bytes with INVALID_HASH', () => {
      expect(() => inclusionProof(0, 2, () => new Uint8Array(16))).toThrow(expect.objectContaining({ constructor: MerkleError, code: 'INVALID_HASH' }));
    });
  });

  describe('when asked for a proof that cannot exist', () => {
    it.each([
      [0, 0],
      [3, 3],
      [-1, 3],
      [0.5, 3],
      [0, 2 ** 53],
      [Number.NaN, 3],
    ])('refuses index %s in a tree of size %s with INVALID_RANGE', (index, size) => {
      expect(() => inclusionProof(index, size, LARGE_LEAVES)).toThrow(expect.objectContaining({ constructor: MerkleError, code: 'INVALID_RANGE' }));
    });

    it('refuses a size beyond the leaves given with INVALID_RANGE', () => {
      expect(() => inclusionProof(0, 9, REF_LEAVES)).toThrow(expect.objectContaining({ code: 'INVALID_RANGE' }));
    });
  });

  describe('when anything is altered (every proof of the reference tree, sizes 1..8)', () => {
    const cases = referenceTree.inclusion.map((v) => ({
      ...v,
      leaf: REF_LEAVES[v.index] as Uint8Array,
      proofBytes: unhex(v.proof),
      root: hexToBytes(referenceTree.roots[String(v.size)] as string),
    }));

    it('refuses any single flipped bit in a proof hash, the leaf hash or the root', () => {
      for (const c of cases) {
        for (let bit = 0; bit < 256; bit++) {
          expect(verifyInclusion(flipBit(c.leaf, bit), c.index, c.size, c.proofBytes, c.root)).toBe(false);
          expect(verifyInclusion(c.leaf, c.index, c.size, c.proofBytes, flipBit(c.root, bit))).toBe(false);
          c.proofBytes.forEach((hash, k) => {
            const altered = c.proofBytes.slice();
            altered[k] = flipBit(hash, bit);
            expect(verifyInclusion(c.leaf, c.index, c.size, altered, c.root)).toBe(false);
          });
        }
      }
    });

    it('refuses every other index, in the tree and beyond it', () => {
      for (const c of cases) {
        for (const index of [-1, c.size, c.size + 1, 2 ** 53, 0.5, c.index + 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          expect(verifyInclusion(c.leaf, index, c.size, c.proofBytes, c.root)).toBe(false);
        }
        for (let index = 0; index < c.size; index++) {
          if (index !== c.index) expect(verifyInclusion(c.leaf, index, c.size, c.proofBytes, c.root), `${index} for ${c.index} of ${c.size}`).toBe(false);
        }
      }
    });

    it('refuses every other size whose RFC 9162 walk differs, and accepts exactly those whose walk is the same', () => {
      // The proof binds the path, not the size: (0, 3) and (0, 4) walk alike ('R', 'R'), so the
      // proof of leaf 0 in the tree of 4 also "verifies" against that root as a tree of 3. Only
      // a signed tree head binds root and size together.
      let sameWalk = 0;
      for (const c of cases) {
        for (let size = 0; size <= 2 * c.size + 2; size++) {
          if (size === c.size) continue;
          const expected = inclusionWalk(c.index, size) === inclusionWalk(c.index, c.size);
          if (expected) sameWalk++;
          expect(verifyInclusion(c.leaf, c.index, size, c.proofBytes, c.root), `${c.index} of ${c.size} as size ${size}`).toBe(expected);
        }
        for (const size of [-1, 0.5, Number.NaN, 2 ** 53, Number.POSITIVE_INFINITY]) {
          expect(verifyInclusion(c.leaf, c.index, size, c.proofBytes, c.root)).toBe(false);
        }
      }
      expect(sameWalk).toBeGreaterThan(0);
    });

    it('refuses proofs of the wrong length: truncated, extended or with a hash inserted', () => {
      for (const c of cases) {
        const p = c.proofBytes;
        const wrong: Uint8Array[][] = [
          [...p, c.root],
          [...p, SOME_HASH],
          [c.root, ...p],
          [c.leaf, ...p],
          [...p, new Uint8Array(0)],
          [new Uint8Array(0), ...p],
        ];
        if (p.length > 0) wrong.push(p.slice(0, -1), p.slice(1), []);
        if (p.length > 1) wrong.push([p[0] as Uint8Array, SOME_HASH, ...p.slice(1)]);
        for (const proof of wrong) {
          expect(verifyInclusion(c.leaf, c.index, c.size, proof, c.root)).toBe(false);
          // The RFC's own loop, without the up-front length check, refuses them too.
          const full = proof.filter((h) => h.length === 32);
          if (full.length !== p.length) expect(referenceVerifyInclusion(c.leaf, c.index, c.size, full, c.root)).toBe(false);
        }
      }
    });

    it('refuses the empty root, another root, and a leaf that is not in the tree', () => {
      for (const c of cases) {
        expect(verifyInclusion(c.leaf, c.index, c.size, c.proofBytes, emptyTreeRoot())).toBe(false);
        expect(verifyInclusion(c.leaf, c.index, c.size, c.proofBytes, SOME_HASH)).toBe(false);
        expect(verifyInclusion(SOME_HASH, c.index, c.size, c.proofBytes, c.root)).toBe(false);
        // The leaf data instead of its hash: RFC 9162 proves leaf hashes.
        expect(verifyInclusion(sha256(hexToBytes(published.leaves[c.index] as string)), c.index, c.size, c.proofBytes, c.root)).toBe(false);
      }
    });
  });

  it('accepts exactly what the line-by-line transcription of RFC 9162 §2.1.3.2 accepts, on random proofs', () => {
    const random = prng(6962);
    const leaves = LARGE_LEAVES.slice(0, 64);
    for (let round = 0; round < 3000; round++) {
      const size = 1 + random(64);
      const index = random(size + 2);
      const realIndex = Math.min(index, size - 1);
      let proof = inclusionProof(realIndex, size, leaves);
      if (random(3) === 0) proof = proof.slice(0, random(proof.length + 1));
      if (random(3) === 0) proof = [...proof, ...Array.from({ length: random(3) }, () => leaves[random(64)] as Uint8Array)];
      const claimedSize = random(4) === 0 ? 1 + random(64) : size;
      const root = rootFromLeafHashes(leaves.slice(0, size));
      const leaf = leaves[random(4) === 0 ? random(64) : realIndex] as Uint8Array;
      expect(verifyInclusion(leaf, index, claimedSize, proof, root)).toBe(referenceVerifyInclusion(leaf, index, claimedSize, proof, root));
    }
  });
});

describe('consistencyProof and verifyConsistency', () => {
  const refRoot = (size: number): Uint8Array => hexToBytes(published.rootsBySize[size] as string);

  describe('with the vectors published in transparency-dev/merkle proof/verify_test.go', () => {
    it.each(published.consistency.map((v): [number, number, ConsistencyVector] => [v.size1, v.size2, v]))('builds and verifies %i → %i', (_m, _n, vector) => {
      const proof = consistencyProof(vector.size1, vector.size2, REF_LEAVES);
      expect(hexes(proof)).toEqual(vector.proof);
      expect(verifyConsistency(vector.size1, vector.size2, refRoot(vector.size1), refRoot(vector.size2), unhex(vector.proof))).toBe(true);
    });
  });

  describe('with every proof of the reference tree, 1 <= m <= n <= 8, as transparency-dev/merkle builds them', () => {
    it('builds the same proofs and verifies them', () => {
      expect(referenceTree.consistency).toHaveLength(36);
      for (const vector of referenceTree.consistency) {
        const proof = consistencyProof(vector.size1, vector.size2, REF_LEAVES);
        expect(hexes(proof), `${vector.size1} → ${vector.size2}`).toEqual(vector.proof);
        expect(consistencyProofLength(vector.size1, vector.size2)).toBe(vector.proof.length);
        expect(verifyConsistency(vector.size1, vector.size2, refRoot(vector.size1), refRoot(vector.size2), proof)).toBe(true);
      }
    });
  });

  describe('with transparency-dev/merkle proofs in a tree of 1,100 leaves', () => {
    it('builds the same proofs and verifies them', () => {
      for (const vector of largeTree.consistency) {
        const proof = consistencyProof(vector.size1, vector.size2, LARGE_LEAVES);
        expect(hexes(proof), `${vector.size1} → ${vector.size2}`).toEqual(vector.proof);
        const oldRoot = hexToBytes(largeTree.roots[String(vector.size1)] as string);
        const newRoot = hexToBytes(largeTree.roots[String(vector.size2)] as string);
        expect(verifyConsistency(vector.size1, vector.size2, oldRoot, newRoot, proof)).toBe(true);
        if (vector.size1 < vector.size2) expect(referenceVerifyConsistency(vector.size1, vector.size2, oldRoot, newRoot, proof)).toBe(true);
      }
    });
  });

  describe('against the recursive SUBPROOF of RFC 9162 written in the test', () => {
    it('builds the same proof for every 1 <= m <= n <= 48', () => {
      const roots = Array.from({ length: 49 }, (_, size) => rootFromLeafHashes(LARGE_LEAVES.slice(0, size)));
      for (let n = 1; n <= 48; n++) {
        const leaves = LARGE_LEAVES.slice(0, n);
        for (let m = 1; m <= n; m++) {
          const proof = consistencyProof(m, n, leaves);
          expect(hexes(proof), `${m} → ${n}`).toEqual(hexes(referenceConsistency(m, leaves)));
          expect(proof.length).toBe(consistencyProofLength(m, n));
          expect(verifyConsistency(m, n, roots[m] as Uint8Array, roots[n] as Uint8Array, proof)).toBe(true);
        }
      }
    });

    it('builds the same proof between random sizes up to 4,000 leaves', () => {
      const random = prng(2114);
      const leaves = Array.from({ length: 4000 }, (_, i) => leafHash(new TextEncoder().encode(`receipt ${i}`)));
      for (let round = 0; round < 40; round++) {
        const n = 1 + random(leaves.length);
        const m = 1 + random(n);
        const prefix = leaves.slice(0, n);
        const proof = consistencyProof(m, n, prefix);
        expect(hexes(proof)).toEqual(hexes(referenceConsistency(m, prefix)));
        expect(verifyConsistency(m, n, rootFromLeafHashes(leaves.slice(0, m)), rootFromLeafHashes(prefix), proof)).toBe(true);
      }
    });
  });

  describe('when the sizes are equal', () => {
    it('needs an empty proof and equal roots', () => {
      for (let size = 1; size <= 8; size++) {
        expect(consistencyProof(size, size, REF_LEAVES)).toEqual([]);
        expect(verifyConsistency(size, size, refRoot(size), refRoot(size), [])).toBe(true);
        expect(verifyConsistency(size, size, refRoot(size), SOME_HASH, [])).toBe(false);
        expect(verifyConsistency(size, size, refRoot(size), refRoot(size), [refRoot(size)])).toBe(false);
        expect(verifyConsistency(size, size, refRoot(size), refRoot(size), [SOME_HASH])).toBe(false);
      }
    });
  });

  describe('when the old size is 0', () => {
    it('refuses to build a proof (RFC 9162 defines none) and verifies nothing', () => {
      expect(() => consistencyProof(0, 3, REF_LEAVES)).toThrow(expect.objectContaining({ constructor: MerkleError, code: 'INVALID_RANGE' }));
      // transparency-dev/merkle answers true for (0, n, empty proof); ActionGate answers false: nothing was proven.
      expect(verifyConsistency(0, 3, emptyTreeRoot(), refRoot(3), [])).toBe(false);
      expect(verifyConsistency(0, 0, emptyTreeRoot(), emptyTreeRoot(), [])).toBe(false);
    });
  });

  describe('when asked for a proof that cannot exist', () => {
    it.each([
      [2, 1],
      [-1, 3],
      [1.5, 3],
      [1, 2 ** 53],
      [1, Number.NaN],
    ])('refuses %s → %s with INVALID_RANGE', (m, n) => {
      expect(() => consistencyProof(m, n, LARGE_LEAVES)).toThrow(expect.objectContaining({ code: 'INVALID_RANGE' }));
    });

    it('refuses a new size beyond the leaves given with INVALID_RANGE', () => {
      expect(() => consistencyProof(1, 9, REF_LEAVES)).toThrow(expect.objectContaining({ code: 'INVALID_RANGE' }));
    });
  });

  describe('when anything is altered (every proof of the reference tree with 1 <= m < n <= 8)', () => {
    const cases = referenceTree.consistency
      .filter((v) => v.size1 < v.size2)
      .map((v) => ({ ...v, proofBytes: unhex(v.proof), oldRoot: refRoot(v.size1), newRoot: refRoot(v.size2) }));

    it('refuses any single flipped bit in a proof hash or either root', () => {
      for (const c of cases) {
        for (let bit = 0; bit < 256; bit++) {
          expect(verifyConsistency(c.size1, c.size2, flipBit(c.oldRoot, bit), c.newRoot, c.proofBytes)).toBe(false);
          expect(verifyConsistency(c.size1, c.size2, c.oldRoot, flipBit(c.newRoot, bit), c.proofBytes)).toBe(false);
          c.proofBytes.forEach((hash, k) => {
            const altered = c.proofBytes.slice();
            altered[k] = flipBit(hash, bit);
            expect(verifyConsistency(c.size1, c.size2, c.oldRoot, c.newRoot, altered)).toBe(false);
          });
        }
      }
    });

    it('refuses swapped roots, another root and the empty root', () => {
      for (const c of cases) {
        expect(verifyConsistency(c.size1, c.size2, c.newRoot, c.oldRoot, c.proofBytes)).toBe(false);
        expect(verifyConsistency(c.size1, c.size2, SOME_HASH, c.newRoot, c.proofBytes)).toBe(false);
        expect(verifyConsistency(c.size1, c.size2, c.oldRoot, SOME_HASH, c.proofBytes)).toBe(false);
        expect(verifyConsistency(c.size1, c.size2, emptyTreeRoot(), c.newRoot, c.proofBytes)).toBe(false);
      }
    });

    it('refuses other sizes whose RFC 9162 walk differs, and accepts exactly those whose walk is the same', () => {
      // As for inclusion: (4 → 8) and (4 → 7) walk alike, so the proof alone cannot tell them apart.
      for (const c of cases) {
        for (let m = 0; m <= 9; m++) {
          for (let n = 0; n <= 17; n++) {
            if (m === c.size1 && n === c.size2) continue;
            const expected = consistencyWalk(m, n) === consistencyWalk(c.size1, c.size2);
            expect(verifyConsistency(m, n, c.oldRoot, c.newRoot, c.proofBytes), `${c.size1} → ${c.size2} as ${m} → ${n}`).toBe(expected);
          }
        }
        for (const [m, n] of [
          [c.size2, c.size1],
          [-1, c.size2],
          [c.size1, -1],
          [c.size1 + 0.5, c.size2],
          [c.size1, Number.NaN],
          [c.size1, 2 ** 53],
          [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY],
        ] as const) {
          expect(verifyConsistency(m, n, c.oldRoot, c.newRoot, c.proofBytes)).toBe(false);
        }
      }
    });

    it('refuses proofs of the wrong length: empty, truncated, extended or with a hash inserted', () => {
      for (const c of cases) {
        const p = c.proofBytes;
        const wrong: Uint8Array[][] = [
          [],
          p.slice(0, -1),
          p.slice(1),
          [...p, c.oldRoot],
          [...p, c.newRoot],
          [...p, new Uint8Array(0)],
          [c.oldRoot, ...p],
          [c.newRoot, ...p],
          [p[0] as Uint8Array, ...p],
          [new Uint8Array(0), ...p],
        ];
        if (p.length > 1) wrong.push([p[0] as Uint8Array, SOME_HASH, ...p.slice(1)]);
        for (const proof of wrong) {
          expect(verifyConsistency(c.size1, c.size2, c.oldRoot, c.newRoot, proof)).toBe(false);
          const full = proof.filter((h) => h.length === 32);
          if (full.length !== p.length) expect(referenceVerifyConsistency(c.size1, c.size2, c.oldRoot, c.newRoot, full)).toBe(false);
        }
      }
    });
  });

  it('accepts exactly what the line-by-line transcription of RFC 9162 §2.1.4.2 accepts, on random proofs', () => {
    const random = prng(91622);
    const leaves = LARGE_LEAVES.slice(0, 64);
    const roots = Array.from({ length: 65 }, (_, size) => rootFromLeafHashes(leaves.slice(0, size)));
    for (let round = 0; round < 3000; round++) {
      const n = 2 + random(63);
      const m = 1 + random(n - 1);
      let proof = consistencyProof(m, n, leaves);
      if (random(3) === 0) proof = proof.slice(0, random(proof.length + 1));
      if (random(3) === 0) proof = [...proof, ...Array.from({ length: random(3) }, () => leaves[random(64)] as Uint8Array)];
      const claimedOld = random(4) === 0 ? 1 + random(n - 1) : m;
      const claimedNew = random(4) === 0 ? claimedOld + 1 + random(64 - claimedOld) : n;
      const oldRoot = roots[random(5) === 0 ? random(65) : m] as Uint8Array;
      const newRoot = roots[n] as Uint8Array;
      expect(verifyConsistency(claimedOld, claimedNew, oldRoot, newRoot, proof), `${m} → ${n} as ${claimedOld} → ${claimedNew}`).toBe(
        referenceVerifyConsistency(claimedOld, claimedNew, oldRoot, newRoot, proof),
      );
    }
  });
});

describe('the verify functions on hostile input', () => {
  const throwing = new Proxy([], {
    get() {
      throw new Error('hostile getter');
    },
  });
  const throwingElement = [SOME_HASH];
  Object.defineProperty(throwingElement, 0, {
    get() {
      throw new Error('hostile element');
    },
  });
  const sparse = new Array<Uint8Array>(3);
  const junk: unknown[] = [
    undefined,
    null,
    0,
    -1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 53,
    2n,
    '3',
    'ab'.repeat(32),
    {},
    [],
    [[]],
    new Uint8Array(0),
    new Uint8Array(31),
    new Uint8Array(33),
    new Uint16Array(16),
    new ArrayBuffer(32),
    Array.from({ length: 32 }, () => 0),
    throwing,
    throwingElement,
    sparse,
    new Array(1_000_000),
    Symbol('x'),
    () => SOME_HASH,
  ];

  it('verifyInclusion answers false for junk in any argument and never throws', () => {
    const proof = inclusionProof(5, 8, REF_LEAVES);
    const valid: unknown[] = [REF_LEAVES[5], 5, 8, proof, hexToBytes(published.rootsBySize[8] as string)];
    expect((verifyInclusion as (...args: unknown[]) => boolean)(...valid)).toBe(true);
    for (let position = 0; position < valid.length; position++) {
      for (const value of junk) {
        const args = valid.slice();
        args[position] = value;
        expect(() => (verifyInclusion as (...a: unknown[]) => boolean)(...args)).not.toThrow();
        expect((verifyInclusion as (...a: unknown[]) => boolean)(...args)).toBe(false);
      }
    }
    expect((verifyInclusion as (...a: unknown[]) => boolean)()).toBe(false);
  });

  it('verifyConsistency answers false for junk in any argument and never throws', () => {
    const proof = consistencyProof(3, 7, REF_LEAVES);
    const valid: unknown[] = [3, 7, hexToBytes(published.rootsBySize[3] as string), hexToBytes(published.rootsBySize[7] as string), proof];
    expect((verifyConsistency as (...args: unknown[]) => boolean)(...valid)).toBe(true);
    for (let position = 0; position < valid.length; position++) {
      for (const value of junk) {
        const args = valid.slice();
        args[position] = value;
        expect(() => (verifyConsistency as (...a: unknown[]) => boolean)(...args)).not.toThrow();
        expect((verifyConsistency as (...a: unknown[]) => boolean)(...args)).toBe(false);
      }
    }
    expect((verifyConsistency as (...a: unknown[]) => boolean)()).toBe(false);
  });

  it('answers false, without throwing, for random sizes and random proofs, huge sizes included', () => {
    const random = prng(404);
    const sizes = [1, 2, 3, 1023, 1024, 2 ** 31, 2 ** 32 + 1, 2 ** 52, Number.MAX_SAFE_INTEGER];
    for (let round = 0; round < 500; round++) {
      const size = sizes[random(sizes.length)] as number;
      const index = Math.floor((random(1_000_000) / 1_000_000) * size);
      const length = random(60);
      const proof = Array.from({ length }, () => sha256(Uint8Array.of(random(256), random(256))));
      expect(verifyInclusion(SOME_HASH, index, size, proof, emptyTreeRoot())).toBe(false);
      expect(verifyConsistency(Math.max(1, index), size, SOME_HASH, emptyTreeRoot(), proof)).toBe(false);
    }
  });
});

describe('inclusionProofLength and consistencyProofLength', () => {
  // The closed forms transparency-dev/merkle's verifier uses (proof/verify.go: decompInclProof
  // and VerifyConsistency), in BigInt: an independent check of the walks up to 2^53 - 1.
  const bitLength = (v: bigint): number => v.toString(2).replace(/^0+/, '').length;
  const ones = (v: bigint): number => [...v.toString(2)].filter((b) => b === '1').length;
  const trailingZeros = (v: bigint): number => v.toString(2).length - v.toString(2).replace(/0+$/, '').length;
  const inclusionLength = (index: bigint, size: bigint): number => {
    const inner = bitLength(index ^ (size - 1n));
    return inner + ones(index >> BigInt(inner));
  };
  const consistencyLength = (size1: bigint, size2: bigint): number => {
    const inner = bitLength((size1 - 1n) ^ (size2 - 1n));
    const border = ones((size1 - 1n) >> BigInt(inner));
    const shift = trailingZeros(size1);
    return (size1 === 1n << BigInt(shift) ? 0 : 1) + inner - shift + border;
  };

  it('agree with the closed forms on small and huge trees', () => {
    for (let size = 1; size <= 64; size++) {
      for (let index = 0; index < size; index++) expect(inclusionProofLength(index, size)).toBe(inclusionLength(BigInt(index), BigInt(size)));
      for (let m = 1; m < size; m++) expect(consistencyProofLength(m, size)).toBe(consistencyLength(BigInt(m), BigInt(size)));
    }
    const random = prng(53);
    const big = (): number => random(2 ** 21) * 2 ** 32 + random(2 ** 32); // up to 2^53 - 1
    for (let round = 0; round < 2000; round++) {
      const [a, b] = [big(), big()];
      const [low, high] = a < b ? [a, b] : [b, a];
      if (low === 0 || low === high) continue;
      expect(inclusionProofLength(low, high)).toBe(inclusionLength(BigInt(low), BigInt(high)));
      expect(consistencyProofLength(low, high), `${low} → ${high}`).toBe(consistencyLength(BigInt(low), BigInt(high)));
    }
    expect(inclusionProofLength(0, Number.MAX_SAFE_INTEGER)).toBe(53);
    expect(inclusionProofLength(Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER)).toBe(52);
    expect(consistencyProofLength(1, Number.MAX_SAFE_INTEGER)).toBe(53);
  });

  it('answer -1 where no proof exists', () => {
    expect(inclusionProofLength(3, 3)).toBe(-1);
    expect(inclusionProofLength(-1, 3)).toBe(-1);
    expect(inclusionProofLength(0, 2 ** 53)).toBe(-1);
    expect(consistencyProofLength(0, 3)).toBe(-1);
    expect(consistencyProofLength(4, 3)).toBe(-1);
    expect(consistencyProofLength(3, 3)).toBe(0);
  });
});

describe('cost', () => {
  // Measured on the 2-core dev machine (Node 20.20, @noble/hashes, while a CI run shared it):
  // about 3 µs an append (one SHA-256 on average), about 50 µs to verify an inclusion proof in a
  // tree of 2^16 leaves (16 hashes, ~3 µs each), about 45 µs for the 11-hash consistency proof
  // from 40,000 to 2^16 leaves. Timed and logged, never asserted.
  it('logs µs per append and per verification; proofs stay O(log n)', () => {
    const size = 2 ** 16;
    const leaves = Array.from({ length: size }, (_, i) => leafHash(new TextEncoder().encode(`receipt ${i}`)));
    const started = performance.now();
    const tree = new MerkleTree();
    for (const hash of leaves) tree.append(hash);
    const appendMicros = ((performance.now() - started) * 1000) / size;
    const root = tree.root();

    const index = 12_345;
    const proof = inclusionProof(index, size, leaves);
    expect(proof).toHaveLength(16);
    const rounds = 2000;
    const verifyStarted = performance.now();
    for (let i = 0; i < rounds; i++) verifyInclusion(leaves[index] as Uint8Array, index, size, proof, root);
    const verifyMicros = ((performance.now() - verifyStarted) * 1000) / rounds;

    const oldSize = 40_000;
    const oldRoot = rootFromLeafHashes(leaves.slice(0, oldSize));
    const cproof = consistencyProof(oldSize, size, leaves);
    expect(cproof.length).toBeLessThanOrEqual(2 * 16);
    const consistencyStarted = performance.now();
    for (let i = 0; i < rounds; i++) verifyConsistency(oldSize, size, oldRoot, root, cproof);
    const consistencyMicros = ((performance.now() - consistencyStarted) * 1000) / rounds;

    console.info(
      `merkle: append ${appendMicros.toFixed(2)} µs/leaf (n = ${size}); verifyInclusion ${verifyMicros.toFixed(1)} µs (${proof.length} hashes); ` +
        `verifyConsistency ${consistencyMicros.toFixed(1)} µs (${cproof.length} hashes)`,
    );
    expect(verifyInclusion(leaves[index] as Uint8Array, index, size, proof, root)).toBe(true);
    expect(verifyConsistency(oldSize, size, oldRoot, root, cproof)).toBe(true);
  });
});
