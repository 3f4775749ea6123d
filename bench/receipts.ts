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
import { receiptLogTree } from '../src/store/receipt-tree.js';
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

/** N appends by `writers` concurrent loops through one store on a pool of its own. */
async function appendAll(url: string, writers: number, run: string, signer?: Signer): Promise<Run> {
  const pool = new pg.Pool({ connectionString: url, max: writers + 2 });
  pool.on('error', () => undefined);
  try {
    const store = new PgReceiptStore(pool, signer ? { signer } : {});
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
    await pool.end();
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
  const runs: Array<{ writers: number; unsigned: Run; signed: Run }> = [];
  for (const writers of WRITERS) {
    const unsigned = await appendAll(unsignedUrl, writers, `unsigned-${writers}`);
    const signed = await appendAll(signedUrl, writers, `signed-${writers}`, signer);
    runs.push({ writers, unsigned, signed });
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
  await exportPool.end();
  const viaNode = verifyLog(lines, keys, nodeBackend);
  const t2 = performance.now();
  const viaNoble = verifyLog(lines, keys, nobleBackend);
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
    ...runs.flatMap(({ writers, unsigned, signed }) => [
      `| append, unsigned, ${writers} writers (baseline) | ${Math.round(unsigned.rate)} | not batched |`,
      `| append, signed and chained, ${writers} writers | ${Math.round(signed.rate)} (${(signed.rate / unsigned.rate).toFixed(2)}× the baseline) | ${signed.meanBatch?.toFixed(1)} (${signed.largestBatch}) |`,
    ]),
    `| Node CPU to sign one receipt the reference way (src/receipt: canonical JSON, receipt id, Ed25519, receipt hash): ${cpuMicros.toFixed(0)} µs | ${Math.round(1e6 / cpuMicros)} | |`,
    `| export (streamed from Postgres, ${receipts} receipts) | ${rate(t1 - t0)} | |`,
    `| export + verify, Node crypto | ${rate(t1 - t0 + (t2 - t1))} | |`,
    `| export + verify, @noble/ed25519 | ${rate(t1 - t0 + (t3 - t2))} | |`,
    `| export + verify, Node crypto, signatures on ${threads} threads (verifyLogParallel, as \`actiongate verify\`) | ${rate(t1 - t0 + (t4 - t3))} | |`,
    `| Merkle tree of the whole log from Postgres (as \`actiongate checkpoint\`, O(n)) | ${Math.round(tree.size / ((tree1 - tree0) / 1000))} | |`,
    `| inclusion proof of one receipt in ${tree.size}: ${proof.length} hashes (O(log n)), checked in ${checkMicros.toFixed(0)} µs | | |`,
  ].join('\n');
  console.log(table);
  const doc = process.env.BENCH_RECEIPTS_DOC ?? 'docs/PERFORMANCE-RECEIPTS.md';
  if (doc !== '-') {
    await writeFile(
      doc,
      `# Receipt log performance\n\nWritten by \`npm run bench:receipts\` (bench/receipts.ts).\n\n- Date: ${new Date().toISOString()}\n- Machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores; Node ${process.version}; Postgres: ${server ? 'embedded PostgreSQL 18 (fresh databases)' : 'DATABASE_URL'}\n- Method: ${N} decision receipts per run appended through PgReceiptStore by ${WRITERS.join(', then ')} concurrent writers (one store, a pool of writers + 2 connections), unsigned (after a warm-up run) into one fresh database, signed and chained (group commit: batches of up to 100, one statement each on the head the store last wrote, else under the head-row lock; Ed25519 with Node's crypto; checkpoint every 100) into another. Then the signed log is exported (batches of 1,000) and verified in full (signatures, chain, links, checkpoint) with each back end.\n- Targets (issue 14; not tests): signed append ≥ 2,000 receipts/s (about 910/s before group commit); export + verify ≥ 10,000 receipts/s with Node crypto (about 3,900/s before).\n\n${table}\n\n## What dominates (measured 2026-12-01, not re-derived by each run)\n\n- Signed appends go by group commit (src/store/group-commit.ts): while one write is in flight the next appends queue, and go together as the next one (at most 100); a lone append goes at once. A write is one statement when the store wrote the current head itself (the head moves only if it is still there, which locks it), else BEGIN with the head lock, a lookup of the keys, the statement, COMMIT. With 8 closed-loop writers a batch holds about 8 (the callers a batch answers get one turn of the event loop to append again before the next batch leaves), with 50 about 25-50.\n- Per signed receipt, on the two cores: about 170-200 µs of Node CPU (Ed25519 about 40 µs, canonical JSON and SHA-256 about 30 µs, the rest the pg driver encoding the arrays, promises, GC) and about 180-240 µs of Postgres backend CPU (three jsonb parses, seven index entries, WAL); the commit's fdatasync is shared by the batch and no longer shows (synchronous_commit=off gains under 10 %). The appends are CPU-bound: other load on the machine moves the rate more than anything here.\n- The Merkle tree (issue 15) costs appends nothing: it is built from the export lines when a checkpoint or a proof is asked for (\`actiongate checkpoint\`, \`receipts prove\`, \`receipts consistency\`), reading the whole log (O(n), the rate above); proofs are O(log n) hashes and check in tens of µs. Storing the tree's frontier with the log head, so that these do not read the whole log, is not built yet.\n- Unsigned appends are not batched: each is one INSERT ... ON CONFLICT in autocommit, concurrent ones running in parallel.\n- Verification per line on one thread, measured by CPU: about 110 µs is OpenSSL's Ed25519 verify itself (a ceiling near 9,000 receipts/s per core on this machine; \`openssl speed ed25519\` gives 9,776 verifies/s), and about 20 µs everything else (parse against a canonical re-encoding built once, a hand-written shape check with zod only to name problems, the strict byte checks, cached key objects, the links). It was about 300 µs before: the pure-JS decompression of R (about 60 µs, now left to OpenSSL, which compares R byte for byte), \`createPublicKey\` per receipt (about 80 µs), zod, canonical JSON and pure-JS SHA-256. Past the one-thread ceiling only more cores help: \`verifyLogParallel\` checks the signatures on worker threads after an optimistic pass (the same answer as verifyLog by construction: any bad signature and the export is checked again on one thread).\n`,
    );
  }
} finally {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
}
