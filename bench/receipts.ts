// npm run bench:receipts — how fast the signed receipt log appends, and how fast an export verifies.
// Appends go through PgReceiptStore into a fresh database (embedded Postgres unless DATABASE_URL is
// set), signed and unsigned in the same run so the ratio tells what signing and the chain cost.
import { writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import pg from 'pg';
import { startLocalPostgres } from '../src/devstack/local-postgres.js';
import { generatePrivateKeyFile, parsePrivateKeyFile } from '../src/keys/private-key-file.js';
import type { KeySet } from '../src/keys/key-set.js';
import type { DecisionReceiptBody } from '../src/receipt/receipt-body.js';
import { nobleBackend, verifyLog } from '../src/receipt/verify/index.js';
import { nodeBackend } from '../src/receipt/verify/node-backend.js';
import { migrate } from '../src/store/migrate.js';
import { exportReceiptLog } from '../src/store/receipt-export.js';
import { PgReceiptStore } from '../src/store/receipt-store.js';

const N = Number(process.env.BENCH_RECEIPTS ?? 5_000);
const CONCURRENCY = 8;

function body(i: number, run: string): DecisionReceiptBody {
  const key = `${run}-${i}`;
  return {
    v: 1, kind: 'decision', idempotencyKey: key, workflowId: key, runId: 'run-1',
    requestHash: `sha256:${'a'.repeat(64)}`, actor: { id: 'agent-1', type: 'agent', keyId: null }, surface: 'payments',
    action: 'transfer', target: { type: 'account', id: 'acct-1' }, issuedAt: new Date(Date.UTC(2026, 10, 24, 10, 0, 0, i)).toISOString(),
    outcome: 'PERMIT', reasons: ['payments.permit-agent-transfer'], mode: 'enforce', policy: { digest: null, version: null }, detail: null,
  };
}

async function appendAll(store: PgReceiptStore, run: string): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let i = next++; i < N; i = next++) await store.append(body(i, run));
  }));
  return N / ((performance.now() - started) / 1000);
}

async function freshPool(adminUrl: string, name: string): Promise<pg.Pool> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: CONCURRENCY + 2 });
  // The server is stopped at the end; an idle client hearing that must not crash the run.
  pool.on('error', () => undefined);
  await migrate(pool);
  return pool;
}

const dir = await mkdtemp(join(tmpdir(), 'actiongate-bench-receipts-'));
const server = process.env.DATABASE_URL ? undefined : await startLocalPostgres({ dataDir: join(dir, 'pg') });
const adminUrl = process.env.DATABASE_URL ?? (server?.adminUrl as string);
try {
  const key = generatePrivateKeyFile();
  const signer = parsePrivateKeyFile(JSON.stringify(key), 'bench key');
  const keys: KeySet = { version: 1, keys: [{ keyId: signer.keyId, publicKey: signer.publicKey, purpose: 'receipt' }] };
  const stamp = Date.now();
  const unsignedPool = await freshPool(adminUrl, `bench_unsigned_${stamp}`);
  const signedPool = await freshPool(adminUrl, `bench_signed_${stamp}`);
  console.error(`appending ${N} receipts, concurrency ${CONCURRENCY}: unsigned, then signed and chained ...`);
  await appendAll(new PgReceiptStore(unsignedPool), 'warm'); // warm-up run on the unsigned db
  const unsignedRate = await appendAll(new PgReceiptStore(unsignedPool), 'unsigned');
  const signedRate = await appendAll(new PgReceiptStore(signedPool, { signer }), 'signed');

  console.error('exporting and verifying ...');
  const t0 = performance.now();
  const lines: string[] = [];
  for await (const line of exportReceiptLog(signedPool)) lines.push(line);
  const t1 = performance.now();
  const viaNode = verifyLog(lines, keys, nodeBackend);
  const t2 = performance.now();
  const viaNoble = verifyLog(lines, keys, nobleBackend);
  const t3 = performance.now();
  if (!viaNode.ok || !viaNoble.ok) throw new Error(`the exported log did not verify: ${JSON.stringify(viaNode.problems.slice(0, 3))}`);
  const receipts = viaNode.receipts.length;
  const rate = (ms: number) => Math.round(receipts / (ms / 1000));
  const table = [
    '| measure | receipts/s |',
    '| --- | ---: |',
    `| append, unsigned (baseline) | ${Math.round(unsignedRate)} |`,
    `| append, signed and chained | ${Math.round(signedRate)} (${(signedRate / unsignedRate).toFixed(2)}× the baseline) |`,
    `| export (streamed from Postgres) | ${rate(t1 - t0)} |`,
    `| export + verify, Node crypto | ${rate(t1 - t0 + (t2 - t1))} |`,
    `| export + verify, @noble/ed25519 | ${rate(t1 - t0 + (t3 - t2))} |`,
  ].join('\n');
  console.log(table);
  await writeFile(
    'docs/PERFORMANCE-RECEIPTS.md',
    `# Receipt log performance\n\nWritten by \`npm run bench:receipts\` (bench/receipts.ts).\n\n- Date: ${new Date().toISOString()}\n- Machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores; Node ${process.version}; Postgres: ${server ? 'embedded PostgreSQL 18 (fresh databases)' : 'DATABASE_URL'}\n- Method: ${N} decision receipts appended through PgReceiptStore, ${CONCURRENCY} at a time, into a fresh database each; unsigned first (after a warm-up run), then signed and chained (head-row lock, Ed25519 with Node's crypto, checkpoint every 100). Then the signed log is exported (batches of 1,000) and verified in full (signatures, chain, links, checkpoint) with each back end.\n- Targets (not tests): append ≥ 1,000 receipts/s; export + verify ≥ 5,000 receipts/s.\n\n${table}\n\n## What dominates (measured 2026-11-24, not re-derived by each run)\n\n- Signed appends are serialised by the head-row lock, and the lock is held for the INSERT, the head UPDATE and the COMMIT round trips (about 1.1 ms), so the rate is about 1 / that, whatever the concurrency. Ways up, not done: sign and insert several receipts per lock (group commit), or keep the head in an advisory-locked sequence.\n- Verification per line: Node's Ed25519 verify alone runs at about 20,000/s here; the rest is the pure-JS strict check of R (a point decompression in BigInt arithmetic, kept so both back ends answer alike), the zod parse and the canonical re-encoding. Caching the public-key check per key (one decompression per key instead of per receipt) took Node from about 3,200 to 3,900-4,000/s.\n`,
  );
  await unsignedPool.end();
  await signedPool.end();
} finally {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
}
