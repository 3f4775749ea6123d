// npm run bench:receipts — how fast the signed receipt log appends, and how fast an export verifies.
// Appends go through PgReceiptStore into fresh databases (embedded Postgres unless DATABASE_URL is
// set), unsigned and signed, at 8 and at 50 concurrent writers, so the ratio tells what signing and
// the chain cost, and the mean batch what group commit gathers.
// BENCH_RECEIPTS (default 5,000): receipts per run. BENCH_RECEIPTS_DOC: where the report goes
// (default docs/PERFORMANCE-RECEIPTS.md; `-` for none).
import { writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import pg from 'pg';
import { startLocalPostgres } from '../src/devstack/local-postgres.js';
import { generatePrivateKeyFile, parsePrivateKeyFile } from '../src/keys/private-key-file.js';
import type { KeySet } from '../src/keys/key-set.js';
import type { Signer } from '../src/keys/signer.js';
import type { DecisionReceiptBody } from '../src/receipt/receipt-body.js';
import { receiptId } from '../src/receipt/receipt-id.js';
import { receiptHash, signReceipt } from '../src/receipt/signed-receipt.js';
import { canonicalJson } from '../src/request/canonical-json.js';
import { nobleBackend, verifyLog } from '../src/receipt/verify/index.js';
import { nodeBackend } from '../src/receipt/verify/node-backend.js';
import { verifyLogParallel } from '../src/receipt/verify/parallel-verify.js';
import { inclusionProof, verifyInclusion } from '../src/receipt/merkle/index.js';
import { parseCheckpointDestination } from '../src/store/checkpoint-destination.js';
import { CheckpointPublisher } from '../src/store/checkpoint-publisher.js';
import { integrateReceiptTree, receiptInclusionProof, receiptLogTree, receiptTreeRoot } from '../src/store/receipt-tree.js';
import { migrate } from '../src/store/migrate.js';
import { exportReceiptLog } from '../src/store/receipt-export.js';
import { PgReceiptStore } from '../src/store/receipt-store.js';

const N = Number(process.env.BENCH_RECEIPTS ?? 5_000);
const WRITERS = [8, 50] as const;

function body(i: number, run: string): DecisionReceiptBody {
  const key = `${run}-${i}`;
  return {
    v: 1, kind: 'decision', idempotencyKey: key, workflowId: key, runId: 'run-1',
    requestHash: `sha256:${'a'.repeat(64)}`, actor: { id: 'agent-1', type: 'agent', keyId: null }, surface: 'payments',
    action: 'transfer', target: { type: 'account', id: 'acct-1' }, issuedAt: new Date(Date.UTC(2026, 10, 24, 10, 0, 0, i)).toISOString(),
    outcome: 'PERMIT', reasons: ['payments.permit-agent-transfer'], mode: 'enforce', policy: { digest: null, version: null }, detail: null,
  };
}

interface Run {
  rate: number;
  /** Mean signed appends per transaction (group commit); undefined for unsigned appends, which are not batched. */
  meanBatch?: number;
  largestBatch?: number;
}

/**
 * N appends by `writers` concurrent loops through one store on a pool of its own; with `publishTo`,
 * as a worker with ACTIONGATE_CHECKPOINT_PUBLISH: the Merkle tree integrated and a checkpoint note
 * written to that file after each checkpoint, concurrently with the appends (the rate is the appends').
 */
async function appendAll(url: string, writers: number, run: string, signer?: Signer, publishTo?: string): Promise<Run> {
  const pool = new pg.Pool({ connectionString: url, max: writers + 4 });
  pool.on('error', () => undefined);
  const publisher = signer && publishTo ? new CheckpointPublisher({ pool, signer, origin: 'bench/receipts', destination: parseCheckpointDestination(publishTo) }) : undefined;
  try {
    const store = new PgReceiptStore(pool, signer ? { signer, ...(publisher ? { onCheckpoint: () => publisher.notify() } : {}) } : {});
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: writers }, async () => {
      for (let i = next++; i < N; i = next++) await store.append(body(i, run));
    }));
    const rate = N / ((performance.now() - started) / 1000);
    if (!signer) return { rate };
    const { meanBatch, largestBatch } = store.groupCommitStats;
    return { rate, meanBatch, largestBatch };
  } finally {
    await publisher?.close();
    await pool.end();
  }
}

/** The mean rate and batch of several runs, the largest batch of all. */
function meanRun(runs: readonly Run[]): Run & { spread: string } {
  const mean = (f: (run: Run) => number) => runs.reduce((sum, run) => sum + f(run), 0) / runs.length;
  const rates = runs.map((r) => r.rate);
  return {
    rate: mean((r) => r.rate),
    meanBatch: mean((r) => r.meanBatch ?? 0),
    largestBatch: Math.max(...runs.map((r) => r.largestBatch ?? 0)),
    spread: `${Math.round(Math.min(...rates))}-${Math.round(Math.max(...rates))}`,
  };
}

/** Mean ms of `build` over `count` calls, one after another. */
async function meanMs(count: number, build: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await build(i);
  return (performance.now() - started) / count;
}

/**
 * A stored tree of `size` leaves without the receipts behind it: every perfect subtree a tree of
 * that size holds, with made-up hashes, written by SQL. What proofs from stored nodes cost at a size
 * this bench cannot append, compared with the log it did append.
 */
async function syntheticTree(url: string, size: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO receipt_tree_nodes (level, idx, hash)
       SELECT l, i, sha256(convert_to(l || '/' || i, 'UTF8'))
         FROM generate_series(0, 62) AS l, LATERAL generate_series(0, ($1::bigint >> l) - 1) AS i
        WHERE ($1::bigint >> l) > 0`,
      [size],
    );
    await client.query('UPDATE receipt_tree_head SET size = $1', [size]);
    await client.query('ANALYZE receipt_tree_nodes');
  } finally {
    await client.end();
  }
}

/** The Node CPU of signing one receipt with src/receipt (canonical JSON, receipt id, Ed25519, receipt hash); the store splices the canonical body instead of canonicalising it again. */
function cpuPerSignedReceipt(signer: Signer): number {
  const count = 2_000;
  const bodies = Array.from({ length: count }, (_, i) => body(i, 'cpu'));
  let prevHash: ReturnType<typeof receiptHash> | null = null;
  const started = performance.now();
  bodies.forEach((b, i) => {
    canonicalJson(b);
    receiptId(b);
    const envelope = signReceipt(b, { seq: i + 1, prevHash }, signer);
    prevHash = receiptHash(envelope);
  });
  return ((performance.now() - started) * 1000) / count;
}

async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
  await migrate(pool);
  await pool.end();
  return url.toString();
}

const dir = await mkdtemp(join(tmpdir(), 'actiongate-bench-receipts-'));
const server = process.env.DATABASE_URL ? undefined : await startLocalPostgres({ dataDir: join(dir, 'pg') });
const adminUrl = process.env.DATABASE_URL ?? (server?.adminUrl as string);
try {
  const key = generatePrivateKeyFile();
  const signer = parsePrivateKeyFile(JSON.stringify(key), 'bench key');
  const keys: KeySet = { version: 1, keys: [{ keyId: signer.keyId, publicKey: signer.publicKey, purpose: 'receipt' }] };
  const stamp = Date.now();
  const unsignedUrl = await freshDatabase(adminUrl, `bench_unsigned_${stamp}`);
  const signedUrl = await freshDatabase(adminUrl, `bench_signed_${stamp}`);
  console.error(`appending ${N} receipts per run at ${WRITERS.join(' and ')} concurrent writers: unsigned, then signed and chained ...`);
  await appendAll(unsignedUrl, WRITERS[0], 'warm'); // warm-up run on the unsigned db
  const publishedUrl = await freshDatabase(adminUrl, `bench_published_${stamp}`);
  const runs: Array<{ writers: number; unsigned: Run; signed: Run & { spread: string }; published: Run & { spread: string } }> = [];
  for (const writers of WRITERS) {
    const unsigned = await appendAll(unsignedUrl, writers, `unsigned-${writers}`);
    // The chain alone and the chain with the tree published, in the order ABBAABBAAB (each database
    // grows alike), so drift on the machine falls on both; their mean rates are compared.
    const chainOnly: Run[] = [];
    const withTree: Run[] = [];
    for (const [i, which] of (['chain', 'tree', 'tree', 'chain', 'chain', 'tree', 'tree', 'chain', 'chain', 'tree'] as const).entries()) {
      if (which === 'chain') chainOnly.push(await appendAll(signedUrl, writers, `signed-${writers}-${i}`, signer));
      else withTree.push(await appendAll(publishedUrl, writers, `published-${writers}-${i}`, signer, join(dir, 'checkpoint.note')));
    }
    runs.push({ writers, unsigned, signed: meanRun(chainOnly), published: meanRun(withTree) });
  }
  const cpuMicros = cpuPerSignedReceipt(signer);

  console.error('exporting and verifying ...');
  const exportPool = new pg.Pool({ connectionString: signedUrl, max: 2 });
  exportPool.on('error', () => undefined);
  const t0 = performance.now();
  const lines: string[] = [];
  for await (const line of exportReceiptLog(exportPool)) lines.push(line);
  const t1 = performance.now();
  // The transparency log (issue 15): the Merkle tree over the log as \`actiongate checkpoint\` reads it,
  // and one inclusion proof, its size and its check.
  const tree0 = performance.now();
  const { tree, leaves } = await receiptLogTree(exportPool, { keepLeaves: true });
  const tree1 = performance.now();
  const proofIndex = Math.floor(tree.size / 2);
  const proof = inclusionProof(proofIndex, tree.size, leaves);
  const proofChecks = 1_000;
  const check0 = performance.now();
  for (let i = 0; i < proofChecks; i++) if (!verifyInclusion(leaves[proofIndex] as Uint8Array, proofIndex, tree.size, proof, tree.root())) throw new Error('inclusion proof did not verify');
  const checkMicros = ((performance.now() - check0) * 1000) / proofChecks;
  // The stored tree (src/store/receipt-tree.ts): integrated from scratch here (the signed runs had
  // no publisher), then a root and inclusion proofs read from O(log n) stored nodes.
  const integrate0 = performance.now();
  const integrated = await integrateReceiptTree(exportPool);
  const integrateMs = performance.now() - integrate0;
  if (integrated !== tree.size) throw new Error(`integrated ${integrated} receipts of ${tree.size}`);
  const storedRoot = await receiptTreeRoot(exportPool, tree.size);
  if (Buffer.compare(Buffer.from(storedRoot), Buffer.from(tree.root())) !== 0) throw new Error('the stored tree root is not the log root');
  const rootMs = await meanMs(200, () => receiptTreeRoot(exportPool, tree.size));
  const storedProofMs = await meanMs(500, async (i) => {
    const index = (i * 7_919) % tree.size;
    const stored = await receiptInclusionProof(exportPool, index, tree.size);
    if (i === 0 && !verifyInclusion(leaves[index] as Uint8Array, index, tree.size, stored, tree.root())) throw new Error('a stored-tree proof did not verify');
  });
  await exportPool.end();
  const BIG = 1_000_003;
  console.error(`a synthetic stored tree of ${BIG} leaves ...`);
  const bigUrl = await freshDatabase(adminUrl, `bench_bigtree_${stamp}`);
  await syntheticTree(bigUrl, BIG);
  const bigPool = new pg.Pool({ connectionString: bigUrl, max: 2 });
  bigPool.on('error', () => undefined);
  const bigProofLength = (await receiptInclusionProof(bigPool, 12_345, BIG)).length;
  const bigRootMs = await meanMs(200, () => receiptTreeRoot(bigPool, BIG));
  const bigProofMs = await meanMs(500, (i) => receiptInclusionProof(bigPool, (i * 104_729) % BIG, BIG));
  await bigPool.end();
  // The verify timings start here: the tree work above is timed on its own.
  const v0 = performance.now();
  const viaNode = verifyLog(lines, keys, nodeBackend);
  const t2 = performance.now();
  // The pure-JS back end is about ten times slower: it checks the first 5,000 receipts (a prefix of a log is a log).
  const nobleLines = lines.filter((line) => !line.includes('"kind":"checkpoint"')).slice(0, 5_000);
  const viaNoble = verifyLog(nobleLines, keys, nobleBackend);
  const t3 = performance.now();
  const threads = Math.min(8, cpus().length);
  const viaThreads = await verifyLogParallel(lines, keys, 'node', { threads });
  const t4 = performance.now();
  if (!viaNode.ok || !viaNoble.ok || !viaThreads.ok) throw new Error(`the exported log did not verify: ${JSON.stringify(viaNode.problems.slice(0, 3))}`);
  const receipts = viaNode.receipts.length;
  const rate = (ms: number) => Math.round(receipts / (ms / 1000));
  const table = [
    '| measure | receipts/s | mean batch (largest) |',
    '| --- | ---: | ---: |',
    ...runs.flatMap(({ writers, unsigned, signed, published }) => [
      `| append, unsigned, ${writers} writers (baseline) | ${Math.round(unsigned.rate)} | not batched |`,
      `| append, signed and chained, ${writers} writers (mean of 5 runs: ${signed.spread}) | ${Math.round(signed.rate)} (${(signed.rate / unsigned.rate).toFixed(2)}× the baseline) | ${signed.meanBatch?.toFixed(1)} (${signed.largestBatch}) |`,
      `| append, signed and chained, with the Merkle tree integrated and a checkpoint note published at each checkpoint (as a worker with ACTIONGATE_CHECKPOINT_PUBLISH), ${writers} writers (mean of 5 runs: ${published.spread}, interleaved ABBAABBAAB with the chain alone) | ${Math.round(published.rate)} (${(published.rate / signed.rate).toFixed(2)}× the chain alone) | ${published.meanBatch?.toFixed(1)} (${published.largestBatch}) |`,
    ]),
    `| Node CPU to sign one receipt the reference way (src/receipt: canonical JSON, receipt id, Ed25519, receipt hash): ${cpuMicros.toFixed(0)} µs | ${Math.round(1e6 / cpuMicros)} | |`,
    `| export (streamed from Postgres, ${receipts} receipts) | ${rate(t1 - t0)} | |`,
    `| export + verify, Node crypto | ${rate(t1 - t0 + (t2 - v0))} | |`,
    `| export + verify, @noble/ed25519 (the first ${nobleLines.length} receipts) | ${Math.round(1 / ((t1 - t0) / 1000 / receipts + (t3 - t2) / 1000 / nobleLines.length))} | |`,
    `| export + verify, Node crypto, signatures on ${threads} threads (verifyLogParallel, as \`actiongate verify\`) | ${rate(t1 - t0 + (t4 - t3))} | |`,
    `| Merkle tree rebuilt from every receipt in Postgres (O(n), no stored tree; what an audit of the stored tree does) | ${Math.round(tree.size / ((tree1 - tree0) / 1000))} | |`,
    `| stored Merkle tree integrated from scratch (${tree.size} receipts: leaf hashes and every perfect subtree written, batches of 2,000) | ${Math.round(tree.size / (integrateMs / 1000))} | |`,
    `| checkpoint root from the stored tree of ${tree.size}: ${rootMs.toFixed(2)} ms; of a synthetic ${BIG}-leaf tree: ${bigRootMs.toFixed(2)} ms (${(bigRootMs / rootMs).toFixed(2)}×) | | |`,
    `| inclusion proof from the stored tree, read and built: ${storedProofMs.toFixed(2)} ms in ${tree.size} (${proof.length} hashes); ${bigProofMs.toFixed(2)} ms in ${BIG} (${bigProofLength} hashes), ${(bigProofMs / storedProofMs).toFixed(2)}× for ${Math.round(BIG / tree.size)}× the size (O(log n)) | | |`,
    `| inclusion proof of one receipt in ${tree.size}: ${proof.length} hashes, checked in ${checkMicros.toFixed(0)} µs | | |`,
  ].join('\n');
  console.log(table);
  const doc = process.env.BENCH_RECEIPTS_DOC ?? 'docs/PERFORMANCE-RECEIPTS.md';
  if (doc !== '-') {
    await writeFile(
      doc,
      `# Receipt log performance\n\nWritten by \`npm run bench:receipts\` (bench/receipts.ts).\n\n- Date: ${new Date().toISOString()}\n- Machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores; Node ${process.version}; Postgres: ${server ? 'embedded PostgreSQL 18 (fresh databases)' : 'DATABASE_URL'}\n- Method: ${N} decision receipts per run appended through PgReceiptStore by ${WRITERS.join(', then ')} concurrent writers (one store, a pool of writers + 4 connections), unsigned (after a warm-up run) into one fresh database, signed and chained (group commit: batches of up to 100, one statement each on the head the store last wrote, else under the head-row lock; Ed25519 with Node's crypto; checkpoint every 100) into another, five times, interleaved ABBAABBAAB with five runs into a third database whose store also has a CheckpointPublisher (the Merkle tree integrated and a checkpoint note written to a file after each checkpoint, at most once a second, as a worker with ACTIONGATE_CHECKPOINT_PUBLISH does). The stored tree of the signed log is then integrated from scratch and proofs read from it; a synthetic stored tree of 1,000,003 leaves (made-up node hashes written by SQL) gives the same reads at a size this bench cannot append. Then the signed log is exported (batches of 1,000) and verified in full (signatures, chain, links, checkpoint) with each back end.\n- Targets (not tests): issue 14, signed append ≥ 2,000 receipts/s (about 910/s before group commit), export + verify ≥ 10,000 receipts/s with Node crypto (about 3,900/s before); issue 15, appends with the tree published not below the chain alone, proofs O(log n).\n\n${table}\n\n## What dominates (measured 2026-12-01, not re-derived by each run)\n\n- Signed appends go by group commit (src/store/group-commit.ts): while one write is in flight the next appends queue, and go together as the next one (at most 100); a lone append goes at once. A write is one statement when the store wrote the current head itself (the head moves only if it is still there, which locks it), else BEGIN with the head lock, a lookup of the keys, the statement, COMMIT. With 8 closed-loop writers a batch holds about 8 (the callers a batch answers get one turn of the event loop to append again before the next batch leaves), with 50 about 25-50.\n- Per signed receipt, on the two cores: about 170-200 µs of Node CPU (Ed25519 about 40 µs, canonical JSON and SHA-256 about 30 µs, the rest the pg driver encoding the arrays, promises, GC) and about 180-240 µs of Postgres backend CPU (three jsonb parses, seven index entries, WAL); the commit's fdatasync is shared by the batch and no longer shows (synchronous_commit=off gains under 10 %). The appends are CPU-bound: other load on the machine moves the rate more than anything here.\n- The Merkle tree (issue 15) is integrated behind the chain (src/store/receipt-tree.ts): appends write the chain only; a worker with ACTIONGATE_CHECKPOINT_PUBLISH integrates the new receipts (leaf hashes and every perfect subtree they complete, about two rows a receipt, batches of 2,000 under the tree head's lock) and publishes a note after each checkpoint, beside the appends, not in their transaction. \`actiongate checkpoint\`, \`receipts prove\` and \`receipts consistency\` integrate what is missing, then read O(log n) stored nodes in one query: a root is popcount(n) rows, a proof at most 2·log2(n). Rebuilding the tree from every receipt (O(n)) is what an audit of the stored tree does. Its cost, measured: about 15 µs of Node CPU per receipt integrated (Postgres hashes the leaves next to the rows, sha256() over the export line; Node merges the frontier with its own crypto; the batch's hashes go as one bytea), against roughly 400 µs of Node and Postgres CPU per signed append; with appends and integration sharing two cores, the interleaved runs above put appends with the tree published within a few per cent of the chain alone (their ranges overlap). The first version (a round at every checkpoint, export lines read into Node, pure-JS hashes, a map of node ids, an array of byteas: about 28 µs per receipt) measured 0.73-0.86× the chain alone, in single runs.\n- Unsigned appends are not batched: each is one INSERT ... ON CONFLICT in autocommit, concurrent ones running in parallel.\n- Verification per line on one thread, measured by CPU: about 110 µs is OpenSSL's Ed25519 verify itself (a ceiling near 9,000 receipts/s per core on this machine; \`openssl speed ed25519\` gives 9,776 verifies/s), and about 20 µs everything else (parse against a canonical re-encoding built once, a hand-written shape check with zod only to name problems, the strict byte checks, cached key objects, the links). It was about 300 µs before: the pure-JS decompression of R (about 60 µs, now left to OpenSSL, which compares R byte for byte), \`createPublicKey\` per receipt (about 80 µs), zod, canonical JSON and pure-JS SHA-256. Past the one-thread ceiling only more cores help: \`verifyLogParallel\` checks the signatures on worker threads after an optimistic pass (the same answer as verifyLog by construction: any bad signature and the export is checked again on one thread).\n`,
    );
  }
} finally {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
}
