import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  MerkleError,
  completedNodes,
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  nodesRead,
  rootFromLeafHashes,
  subtreeNodes,
  subtreeRootFromNodes,
  type TreeNodeSource,
} from '../../../src/receipt/merkle/index.js';
import { referenceRoot } from './rfc9162-reference.js';

const leaves = Array.from({ length: 300 }, (_, i) => leafHash(sha256(new TextEncoder().encode(`leaf ${i}`))));

/** Every perfect subtree root of a tree, written the way a store writes them: the nodes each append completes. */
function storedNodes(size: number): Map<string, Uint8Array> {
  const nodes = new Map<string, Uint8Array>();
  for (let n = 1; n <= size; n++) {
    for (const { level, index } of completedNodes(n)) {
      const hash = level === 0 ? (leaves[index] as Uint8Array) : nodeHash(nodes.get(`${level - 1}/${2 * index}`) as Uint8Array, nodes.get(`${level - 1}/${2 * index + 1}`) as Uint8Array);
      expect(nodes.has(`${level}/${index}`)).toBe(false); // each node is completed exactly once
      nodes.set(`${level}/${index}`, hash);
    }
  }
  return nodes;
}

function sourceOf(nodes: Map<string, Uint8Array>, reads: string[] = []): TreeNodeSource {
  return {
    node(level, index) {
      reads.push(`${level}/${index}`);
      const hash = nodes.get(`${level}/${index}`);
      if (!hash) throw new Error(`node ${level}/${index} is not stored`);
      return hash;
    },
  };
}

describe('stored perfect subtrees', () => {
  const stored = storedNodes(leaves.length);

  it('give the RFC 9162 root of every prefix of the tree', () => {
    for (let size = 1; size <= leaves.length; size++) {
      expect(subtreeRootFromNodes(sourceOf(stored), 0, size)).toEqual(referenceRoot(leaves.slice(0, size)));
    }
  });

  it('give the same inclusion and consistency proofs as the leaves do, for every index and size up to 70 and sampled up to 300', () => {
    const sizes = [...Array.from({ length: 70 }, (_, i) => i + 1), 127, 128, 129, 255, 256, 257, 300];
    for (const size of sizes) {
      const step = size <= 70 ? 1 : 7;
      for (let index = 0; index < size; index += step) {
        expect(inclusionProof(index, size, sourceOf(stored))).toEqual(inclusionProof(index, size, leaves));
      }
      for (let old = 1; old <= size; old += step) {
        expect(consistencyProof(old, size, sourceOf(stored))).toEqual(consistencyProof(old, size, leaves));
      }
    }
  });

  it('are read O(log n) times per proof, and exactly the nodes nodesRead lists', () => {
    for (const [index, size] of [[0, 300], [150, 300], [299, 300], [77, 129]] as const) {
      const reads: string[] = [];
      inclusionProof(index, size, sourceOf(stored, reads));
      expect(reads.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(size)));
      expect(new Set(reads)).toEqual(new Set(nodesRead((source) => inclusionProof(index, size, source)).map((n) => `${n.level}/${n.index}`)));
    }
    const reads: string[] = [];
    consistencyProof(100, 300, sourceOf(stored, reads));
    expect(reads.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(300)));
  });

  it('a changed stored node changes the root: nothing is read around it', () => {
    const changed = new Map(stored);
    changed.set('5/2', new Uint8Array(32)); // leaves 64..95, one of the three subtrees of 100
    expect(subtreeRootFromNodes(sourceOf(changed), 0, 100)).not.toEqual(rootFromLeafHashes(leaves.slice(0, 100)));
  });

  it('split ranges as RFC 9162 does', () => {
    expect(subtreeNodes(0, 6)).toEqual([
      { level: 2, index: 0 },
      { level: 1, index: 2 },
    ]);
    expect(subtreeNodes(0, 1)).toEqual([{ level: 0, index: 0 }]);
    expect(subtreeNodes(8, 13)).toEqual([
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(() => subtreeNodes(3, 3)).toThrow(MerkleError);
  });

  it('completedNodes: the leaf, then one node per trailing one bit of its index', () => {
    expect(completedNodes(1)).toEqual([{ level: 0, index: 0 }]);
    expect(completedNodes(4)).toEqual([
      { level: 0, index: 3 },
      { level: 1, index: 1 },
      { level: 2, index: 0 },
    ]);
    expect(completedNodes(6)).toEqual([
      { level: 0, index: 5 },
      { level: 1, index: 2 },
    ]);
  });
});
