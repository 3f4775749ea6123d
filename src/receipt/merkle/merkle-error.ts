import { ActionGateError } from '../../errors.js';

/**
 * `INVALID_HASH`: a leaf hash, node hash or frontier entry that is not a 32-byte `Uint8Array`.
 * `INVALID_RANGE`: an index or tree size that is not a safe integer in range (index ≥ size, a
 * consistency proof from size 0 or back in time, more leaves asked for than were given).
 * `INVALID_FRONTIER`: a stored frontier whose number of hashes does not fit its tree size.
 */
export type MerkleErrorCode = 'INVALID_HASH' | 'INVALID_RANGE' | 'INVALID_FRONTIER';

/**
 * A Merkle tree or proof that cannot be built as asked. Only the builders throw it (a caller's
 * mistake); the verify functions never throw and answer `false` instead.
 *
 * @example
 * try {
 *   inclusionProof(5, 5, leafHashes);
 * } catch (error) {
 *   if (error instanceof MerkleError && error.code === 'INVALID_RANGE') fix();
 * }
 */
export class MerkleError extends ActionGateError<MerkleErrorCode> {}
