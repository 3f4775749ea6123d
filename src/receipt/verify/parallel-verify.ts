// verifyLog on several cores, for Node: the one cost that does not shrink is Ed25519 itself (about
// 110 µs a signature with OpenSSL here, a ceiling near 9,000 receipts/s on one thread).
//
// Exactly verifyLog's answer, by construction: a first pass runs verifyLog unchanged with a back end
// that answers "valid" to every signature and records what it was asked; the recorded checks then
// run on worker threads with the real back end. If every one of them is valid, the first pass asked
// the same questions the real back end would have answered the same way, so its result is the
// result. If any is not, verifyLog runs again sequentially with the real back end (a log with a bad
// signature is the rare case, and then the answer matters more than the time).
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { KeySet } from '../../keys/key-set.js';
import type { Ed25519Backend } from './ed25519-backend.js';
import { verifyLog, type LogVerification, type VerifyLogOptions } from './verify-log.js';
import type { WitnessPolicy } from './witness-cosignatures.js';

/** Below this many lines the threads cost more than they save. */
export const PARALLEL_MIN_LINES = 2_000;

export interface ParallelVerifyOptions {
  /** Worker threads (default: the cores available, at most 8). 1 runs verifyLog as is. */
  threads?: number;
  /** As verifyLog's option: a checkpoint note held elsewhere that the export must extend. */
  trustedCheckpoint?: string;
  /** As verifyLog's option: the witnesses that trusted checkpoint must be co-signed by. */
  witnesses?: WitnessPolicy;
  /** Told how the export was checked: on how many threads, how many signatures, and whether it was checked again on one thread. */
  report?: (how: { threads: number; signatures: number; sequentialAgain: boolean }) => void;
}

interface Check {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

/**
 * verifyLog's answer, with the signatures checked on worker threads by `backend` (a back end module
 * the threads load themselves: `node` or `noble`). Same problems, same order, same notes. Every
 * Ed25519 check verifyLog asks goes the same way: the receipts', the checkpoints', and with
 * `trustedCheckpoint` its note signature and any witness cosignatures `witnesses` requires.
 *
 * @example const result = await verifyLogParallel(lines, keys, 'node');
 */
export async function verifyLogParallel(
  lines: readonly string[],
  keys: KeySet,
  backend: 'node' | 'noble',
  options: ParallelVerifyOptions = {},
): Promise<LogVerification> {
  const real = await loadBackend(backend);
  const threads = Math.max(1, Math.min(options.threads ?? Math.min(8, availableParallelism()), 64));
  if (threads === 1 || lines.length < PARALLEL_MIN_LINES) {
    options.report?.({ threads: 1, signatures: 0, sequentialAgain: false });
    return verifyLog(lines, keys, real, logOptions(options));
  }

  const checks: Check[] = [];
  const recording: Ed25519Backend = {
    name: real.name,
    verify(publicKey, message, signature) {
      checks.push({ publicKey, message, signature });
      return true;
    },
    ...(real.sha256Hex ? { sha256Hex: real.sha256Hex } : {}),
  };
  const optimistic = verifyLog(lines, keys, recording, logOptions(options));
  const valid = await allValid(checks, threads, backend);
  options.report?.({ threads, signatures: checks.length, sequentialAgain: !valid });
  return valid ? optimistic : verifyLog(lines, keys, real, logOptions(options));
}

function logOptions(options: ParallelVerifyOptions): VerifyLogOptions {
  return {
    ...(options.trustedCheckpoint === undefined ? {} : { trustedCheckpoint: options.trustedCheckpoint }),
    ...(options.witnesses === undefined ? {} : { witnesses: options.witnesses }),
  };
}

async function loadBackend(backend: 'node' | 'noble'): Promise<Ed25519Backend> {
  return backend === 'node' ? (await import('./node-backend.js')).nodeBackend : (await import('./noble-backend.js')).nobleBackend;
}

/** Whether every check passes, split over `threads` workers (each gets one contiguous share). */
async function allValid(checks: readonly Check[], threads: number, backend: 'node' | 'noble'): Promise<boolean> {
  if (checks.length === 0) return true;
  const per = Math.ceil(checks.length / threads);
  const shares: Check[][] = [];
  for (let i = 0; i < checks.length; i += per) shares.push(checks.slice(i, i + per));
  const answers = await Promise.all(shares.map((share) => runShare(share, backend)));
  return answers.every(Boolean);
}

/** The worker's source: loads the back end module next to this file and checks its share. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
// Run from the TypeScript sources (tests, tsx): the thread registers tsx's loader itself first.
const ready = workerData.tsxApiUrl ? import(workerData.tsxApiUrl).then((api) => api.register()) : Promise.resolve();
ready.then(() => import(workerData.backendUrl)).then((mod) => {
  const backend = mod.nodeBackend ?? mod.nobleBackend;
  const { buffer, entries } = workerData;
  const bytes = new Uint8Array(buffer);
  let ok = true;
  for (const [k, kl, m, ml, s, sl] of entries) {
    if (!backend.verify(bytes.subarray(k, k + kl), bytes.subarray(m, m + ml), bytes.subarray(s, s + sl))) { ok = false; break; }
  }
  parentPort.postMessage(ok);
}, (err) => parentPort.postMessage({ error: String(err && err.stack || err) }));
`;

function runShare(share: readonly Check[], backend: 'node' | 'noble'): Promise<boolean> {
  // One buffer per share, moved (not copied) to the worker, with offsets into it.
  let size = 0;
  for (const c of share) size += c.publicKey.length + c.message.length + c.signature.length;
  const buffer = new ArrayBuffer(size);
  const bytes = new Uint8Array(buffer);
  const entries: number[][] = [];
  let at = 0;
  const put = (part: Uint8Array): [number, number] => {
    bytes.set(part, at);
    at += part.length;
    return [at - part.length, part.length];
  };
  for (const c of share) entries.push([...put(c.publicKey), ...put(c.message), ...put(c.signature)]);
  const fromSource = import.meta.url.endsWith('.ts');
  const backendUrl = new URL(`./${backend === 'node' ? 'node-backend' : 'noble-backend'}${fromSource ? '.ts' : '.js'}`, import.meta.url).href;
  // tsx's ESM register API (its "import" export of tsx/esm/api), found from its package.json.
  const tsxApiUrl = fromSource ? pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href : null;
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { buffer, entries, backendUrl, tsxApiUrl }, transferList: [buffer] });
    worker.once('message', (answer: boolean | { error: string }) => {
      void worker.terminate();
      if (typeof answer === 'boolean') resolve(answer);
      else reject(new Error(`signature worker failed: ${answer.error}`));
    });
    worker.once('error', reject);
  });
}
