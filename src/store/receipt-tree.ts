import { createHash } from 'node:crypto';
import type pg from 'pg';
import {
  MerkleTree,
  consistencyProof,
  inclusionProof,
  leafHash,
  nodesRead,
  subtreeNodes,
  subtreeRootFromNodes,
  type TreeNodeId,
  type TreeNodeSource,
} from '../receipt/merkle/index.js';
import type { FaultPoints } from '../faults/fault-points.js';
import { withPooledClient } from './pooled-client.js';

/** Receipts integrated per transaction. */
const INTEGRATE_BATCH = 2_000;
/** Receipts read per query when the tree is rebuilt from the whole log. */
const READ_BATCH = 1_000;

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/**
 * The RFC 9162 Merkle tree of the signed receipt log, integrated behind the hash chain: appends
 * write the chain only (their rate is the chain's), and this brings the stored tree up to the log's
 * head. Leaf k−1 is receipt seq k, hashed SHA-256(0x00 ‖ its export line) (docs/RECEIPTS.md). The
 * tree is stored as its perfect subtree roots (`receipt_tree_nodes`: about two rows per receipt,
 * each written once, when its last leaf comes in), so a root or a proof later reads O(log n) rows.
 *
 * Batches of {@link INTEGRATE_BATCH} receipts, each one transaction under the lock of
 * `receipt_tree_head`: concurrent integrators take turns and a crash anywhere loses nothing (the
 * batch rolls back, the next call does it again). A receipt missing below the log head (a gap)
 * stops it with an error; nothing past the gap is integrated.
 *
 * @returns the number of receipts in the stored tree afterwards (at least the log head read at the start).
 * @example const size = await integrateReceiptTree(pool); const root = await receiptTreeRoot(pool, size);
 */
export async function integrateReceiptTree(
  pool: pg.Pool,
  options: { onProgress?: (size: number, logSize: number) => void; faultPoints?: FaultPoints } = {},
): Promise<number> {
  for (;;) {
    const step = await withPooledClient(pool, (client) => integrateBatch(client, options.faultPoints));
    if (step.done) return step.size;
    options.onProgress?.(step.size, step.logSize);
  }
}

async function integrateBatch(client: pg.PoolClient, faultPoints: FaultPoints | undefined): Promise<{ size: number; logSize: number; done: boolean }> {
  try {
    const [, locked, log] = (await client.query(
      'BEGIN; SELECT size FROM receipt_tree_head WHERE id = 1 FOR UPDATE; SELECT size FROM receipt_log_head WHERE id = 1',
    )) as unknown as [pg.QueryResult, pg.QueryResult<{ size: string }>, pg.QueryResult<{ size: string }>];
    if (!locked.rows[0] || !log.rows[0]) throw new Error('receipt_tree_head or receipt_log_head is missing: run actiongate db migrate');
    const size = Number(locked.rows[0].size);
    const logSize = Number(log.rows[0].size);
    if (size >= logSize) {
      await client.query('COMMIT');
      return { size, logSize, done: true };
    }
    const upTo = Math.min(logSize, size + INTEGRATE_BATCH);
    // The frontier: the perfect subtrees [0, size) splits into, largest first, as a stack; each new
    // leaf is pushed and merged with equal-sized subtrees below it, each merge a completed node.
    const frontierIds = size === 0 ? [] : subtreeNodes(0, size);
    const frontierHashes = size === 0 ? new Map<string, Uint8Array>() : await readNodes(client, frontierIds);
    const stack = frontierIds.map((id) => ({ ...id, hash: frontierHashes.get(nodeKey(id.level, id.index)) as Uint8Array }));
    // Leaf hashes computed by Postgres, next to the rows: 32 bytes a receipt cross the wire instead
    // of its export line. The same bytes as leafHash(utf8(line)): the test suite holds the stored
    // tree against the pure-JS rebuild (receiptLogTree).
    const { rows } = await client.query<{ log_seq: string; leaf: Buffer }>(
      `SELECT log_seq, sha256('\\x00'::bytea || convert_to(envelope_canonical, 'UTF8')) AS leaf
         FROM receipts WHERE log_seq > $1 AND log_seq <= $2 ORDER BY log_seq`,
      [size, upTo],
    );
    const levels: number[] = [];
    const indexes: number[] = [];
    const hashes: Uint8Array[] = [];
    const completed = (node: { level: number; index: number; hash: Uint8Array }): void => {
      stack.push(node);
      levels.push(node.level);
      indexes.push(node.index);
      hashes.push(node.hash);
    };
    let n = size;
    for (const row of rows) {
      if (Number(row.log_seq) !== n + 1) break;
      completed({ level: 0, index: n, hash: row.leaf });
      n += 1;
      for (let top = stack.length - 1; top > 0 && stack[top - 1]?.level === stack[top]?.level; top--) {
        const right = stack.pop() as (typeof stack)[number];
        const left = stack.pop() as (typeof stack)[number];
        completed({ level: left.level + 1, index: left.index / 2, hash: interiorHash(left.hash, right.hash) });
      }
    }
    if (n < upTo) throw new Error(`the receipt log has a gap: receipt ${n + 1} is missing below its head ${logSize}; the Merkle tree stops at ${n}`);
    // The hashes go as one bytea, cut into 32-byte pieces by position (an array of byteas would be escaped element by element).
    await client.query(
      `INSERT INTO receipt_tree_nodes (level, idx, hash)
       SELECT t.level, t.idx, substring($3::bytea FROM (t.n::int - 1) * 32 + 1 FOR 32)
         FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY AS t(level, idx, n)`,
      [levels, indexes, Buffer.concat(hashes)],
    );
    await client.query('UPDATE receipt_tree_head SET size = $1 WHERE id = 1', [n]);
    await faultPoints?.reach('tree.before-commit', String(n));
    await client.query('COMMIT');
    return { size: n, logSize, done: n >= logSize };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

const NODE_PREFIX = Buffer.of(0x01);

/** RFC 9162's interior node hash, SHA-256(0x01 ‖ left ‖ right), with Node's crypto (about 1 µs; the pure-JS nodeHash takes about 2.4). */
function interiorHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** How many receipts the stored tree holds (it may be behind the log: see {@link integrateReceiptTree}). */
export async function receiptTreeSize(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ size: string }>('SELECT size FROM receipt_tree_head WHERE id = 1');
  if (!rows[0]) throw new Error('receipt_tree_head is missing: run actiongate db migrate');
  return Number(rows[0].size);
}

/**
 * MTH of the first `size` receipts, from the stored tree: popcount(size) node reads.
 *
 * @throws Error when `size` is not 1..the stored tree's size.
 */
export async function receiptTreeRoot(db: Queryable, size: number): Promise<Uint8Array> {
  await assertIntegrated(db, size, 'a root');
  return fromStoredNodes(db, (source) => subtreeRootFromNodes(source, 0, size));
}

/** The RFC 9162 inclusion proof of leaf `index` (receipt seq index + 1) in the tree of `size` receipts, from the stored tree: O(log size) node reads. */
export async function receiptInclusionProof(db: Queryable, index: number, size: number): Promise<Uint8Array[]> {
  await assertIntegrated(db, size, 'an inclusion proof');
  return fromStoredNodes(db, (source) => inclusionProof(index, size, source));
}

/** The RFC 9162 consistency proof from `oldSize` to `newSize` receipts, from the stored tree: O(log newSize) node reads. */
export async function receiptConsistencyProof(db: Queryable, oldSize: number, newSize: number): Promise<Uint8Array[]> {
  await assertIntegrated(db, newSize, 'a consistency proof');
  return fromStoredNodes(db, (source) => consistencyProof(oldSize, newSize, source));
}

/**
 * Runs a proof or root builder on stored nodes: the nodes it needs listed first (they depend on
 * sizes and indexes only), read in one query, then the builder run on them.
 */
async function fromStoredNodes<T>(db: Queryable, build: (source: TreeNodeSource) => T): Promise<T> {
  const nodes = await readNodes(db, nodesRead(build));
  return build({
    node(level, index) {
      const hash = nodes.get(nodeKey(level, index));
      if (!hash) throw new Error(`the stored Merkle tree has no node ${level}/${index}`);
      return hash;
    },
  });
}

async function readNodes(db: Queryable, ids: readonly TreeNodeId[]): Promise<Map<string, Uint8Array>> {
  const { rows } = await db.query<{ level: number; idx: string; hash: Buffer }>(
    'SELECT level, idx, hash FROM receipt_tree_nodes WHERE (level, idx) IN (SELECT * FROM unnest($1::smallint[], $2::bigint[]))',
    [ids.map((id) => id.level), ids.map((id) => id.index)],
  );
  const nodes = new Map(rows.map((row) => [nodeKey(row.level, Number(row.idx)), new Uint8Array(row.hash)]));
  const missing = ids.find((id) => !nodes.has(nodeKey(id.level, id.index)));
  if (missing) throw new Error(`the stored Merkle tree has no node ${missing.level}/${missing.index}: receipt_tree_nodes is incomplete`);
  return nodes;
}

async function assertIntegrated(db: Queryable, size: number, what: string): Promise<void> {
  const stored = await receiptTreeSize(db);
  if (!Number.isSafeInteger(size) || size < 1 || size > stored) {
    throw new Error(`${what} needs a tree size from 1 to the ${stored} receipts integrated, not ${size}`);
  }
}

function nodeKey(level: number, index: number): string {
  return `${level}/${index}`;
}

/**
 * The Merkle tree of the signed receipt log rebuilt from every receipt, without the stored tree:
 * the head's size is read first, then the receipts 1..size in batches (O(n) time, O(log n) memory
 * for the tree, the leaf hashes kept when asked for). What an audit of the stored tree compares
 * it with, and the baseline bench:receipts measures it against.
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
      [after, size, READ_BATCH],
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
