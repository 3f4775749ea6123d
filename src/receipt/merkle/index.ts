/**
 * RFC 9162 (Certificate Transparency v2, §2.1) Merkle trees over SHA-256: leaf and node hashes,
 * tree heads, an append-only tree that keeps O(log n) hashes, and inclusion and consistency
 * proofs with their verifiers. Pure JS (@noble/hashes only), so the stand-alone verifier can use it.
 * Checked against the transparency-dev/merkle test vectors (test/fixtures/merkle/).
 */
export { MerkleError, type MerkleErrorCode } from './merkle-error.js';
export { MERKLE_HASH_LENGTH, emptyTreeRoot, isMerkleHash, leafHash, merkleHashesEqual, nodeHash } from './merkle-hash.js';
export { MerkleTree } from './merkle-tree.js';
export { rootFromLeafHashes } from './tree-hash.js';
export type { LeafHashSource } from './leaf-source.js';
export { completedNodes, nodesRead, subtreeNodes, subtreeRootFromNodes, type TreeNodeId, type TreeNodeSource } from './tree-nodes.js';
export { inclusionProof, inclusionProofLength, verifyInclusion } from './inclusion-proof.js';
export { consistencyProof, consistencyProofLength, verifyConsistency } from './consistency-proof.js';
