import type pg from 'pg';
import { MerkleTree } from '../receipt/merkle/index.js';
import { leafHash } from '../receipt/merkle/index.js';

const BATCH = 1_000;

/**
 * The Merkle tree of the signed receipt log as it stands: the head's size is read first, then the
 * receipts 1..size in batches, each leaf SHA-256(0x00 ‖ its export line) (docs/RECEIPTS.md). Reads
 * the whole log (O(n) time, O(log n) memory for the tree, the leaf hashes kept when asked for).
 *
 * @example const { tree } = await receiptLogTree(pool); tree.root()
 */
export async function receiptLogTree(pool: pg.Pool, options: { keepLeaves?: boolean } = {}): Promise<{ tree: MerkleTree; leaves: Uint8Array[] }> {
  const { rows: head } = await pool.query<{ size: string }>('SELECT size FROM receipt_log_head WHERE id = 1');
  const size = Number(head[0]?.size ?? 0);
  const tree = new MerkleTree();
  const leaves: Uint8Array[] = [];
  const encoder = new TextEncoder();
  let after = 0;
  while (after < size) {
    const { rows } = await pool.query<{ log_seq: string; envelope_canonical: string }>(
      'SELECT log_seq, envelope_canonical FROM receipts WHERE log_seq > $1 AND log_seq <= $2 ORDER BY log_seq LIMIT $3',
      [after, size, BATCH],
    );
    if (rows.length === 0) break;
    for (const row of rows) {
      const seq = Number(row.log_seq);
      if (seq !== tree.size + 1) throw new Error(`the receipt log has a gap before seq ${seq}`);
      const hash = leafHash(encoder.encode(row.envelope_canonical));
      tree.append(hash);
      if (options.keepLeaves) leaves.push(hash);
    }
    after = Number(rows.at(-1)?.log_seq);
  }
  if (tree.size !== size) throw new Error(`the receipt log head says ${size} receipts; ${tree.size} were read`);
  return { tree, leaves };
}
