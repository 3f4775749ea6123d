// Signed policy bundles and a bundle store of their own, for tests of the store, the policy source and workers.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { buildBundle } from '../../src/bundle/build-bundle.js';
import { encodeBundle } from '../../src/bundle/bundle-encoding.js';
import type { SignedBundle } from '../../src/bundle/bundle-types.js';
import type { KeySet } from '../../src/keys/key-set.js';
import { generatePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { createSigner, type Signer } from '../../src/keys/signer.js';
import { readPolicyDir, type PolicyFile } from '../../src/policy/policy-files.js';
import { migrate } from '../../src/store/migrate.js';
import { pgListenerFactory } from '../../src/store/pg-listener.js';
import { POLICIES_DIR } from './paths.js';
import { testEnv } from './harness.js';

export function newSigner(): Signer {
  return createSigner(generatePrivateKeyFile().privateKey, 'test key');
}

/** A key set trusting these signers for policy bundles. */
export function trustedKeys(...signers: Signer[]): KeySet {
  return { version: 1, keys: signers.map((s) => ({ keyId: s.keyId, publicKey: s.publicKey, purpose: 'policy-bundle' as const })) };
}

let lastRevision = 0;

/** Increasing across the run and unique per call: Date.now() based, as bundles of a run share nothing else. */
export function nextRevision(): number {
  lastRevision = Math.max(lastRevision + 1, Date.now() * 1000 + Math.floor(Math.random() * 1000));
  return lastRevision;
}

export function uniqueVersion(prefix = 't'): string {
  return `${prefix}-${randomUUID().slice(0, 13)}`;
}

export interface TestBundle {
  text: string;
  version: string;
  revision: number;
}

/** A signed bundle file of these policy files (default: the sample policies/). */
export async function signedBundle(
  signer: Signer,
  options: { files?: readonly PolicyFile[]; dir?: string; version?: string; revision?: number } = {},
): Promise<TestBundle> {
  const files = options.files ?? (await readPolicyDir(options.dir ?? POLICIES_DIR));
  const version = options.version ?? uniqueVersion();
  const revision = options.revision ?? nextRevision();
  return { text: encodeBundle(buildBundle(files, { version, revision, gitCommit: null }, signer)), version, revision };
}

/**
 * A new database on the run's Postgres, migrated: which bundle is active is global to a
 * database, and test files run in parallel, so each file that activates bundles gets its own.
 */
export async function freshDatabase(): Promise<{ url: string; pool: pg.Pool }> {
  const base = new URL(testEnv().databaseUrl);
  const name = `actiongate_bundles_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 10 });
  pool.on('error', () => undefined);
  await migrate(pool);
  return { url: url.toString(), pool };
}

/** A connected client for LISTEN, made exactly as the worker makes one. */
export function listenerFactory(url: string): () => Promise<pg.Client> {
  return pgListenerFactory(url, 2_000);
}

/** Resolves when `check` is true, polling every 25 ms; rejects after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The same bundle with one policy file changed after signing, still in canonical form: its signature no longer matches. */
export function tamperedBundle(text: string): string {
  const bundle = JSON.parse(text) as SignedBundle;
  const registry = bundle.body.files['surfaces.json'] ?? '';
  const changed = registry.replace('"budgetMs": 2000', '"budgetMs": 2001');
  if (changed === registry) throw new Error('tamperedBundle: nothing to change');
  return encodeBundle({ ...bundle, body: { ...bundle.body, files: { ...bundle.body.files, 'surfaces.json': changed } } });
}
