import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoSigner } from '../../src/demo/demo-keys.js';
import { freePort } from '../../src/devstack/free-port.js';
import { signRequest } from '../../src/identity/request-signature.js';
import type { Signer } from '../../src/keys/signer.js';
import { BundleStorePolicySource, type BundleStorePolicySourceOptions } from '../../src/policy/bundle-policy-source.js';
import { PolicyError } from '../../src/policy/policy-error.js';
import type { Digest } from '../../src/request/digest.js';
import { PgBundleStore, type StoredBundle } from '../../src/store/bundle-store.js';
import { eventually, freshDatabase, listenerFactory, newSigner, signedBundle, tamperedBundle, trustedKeys } from '../support/bundles.js';
import { paymentRequest } from '../support/harness.js';

let pool: pg.Pool;
let url: string;
let signer: Signer;
let store: PgBundleStore;
const sources: BundleStorePolicySource[] = [];

beforeAll(async () => {
  ({ pool, url } = await freshDatabase());
  signer = newSigner();
  store = new PgBundleStore(pool, { trusted: trustedKeys(signer) });
});
afterEach(async () => {
  for (const source of sources.splice(0)) await source.close();
});
afterAll(() => pool?.end());

function source(options: Partial<BundleStorePolicySourceOptions> = {}): { source: BundleStorePolicySource; lines: string[] } {
  const lines: string[] = [];
  const made = new BundleStorePolicySource({
    store,
    trusted: trustedKeys(signer),
    log: (line) => lines.push(line),
    connectListener: listenerFactory(url),
    // Long, so a test that sees an activation within seconds saw it through LISTEN.
    pollMs: 60_000,
    ...options,
  });
  sources.push(made);
  return { source: made, lines };
}

async function publishAndActivate(options: { by?: string; rollback?: boolean; signedBy?: Signer } = {}): Promise<StoredBundle> {
  const { bundle } = await new PgBundleStore(pool, { trusted: trustedKeys(signer, options.signedBy ?? signer) }).publish(
    (await signedBundle(options.signedBy ?? signer)).text,
    'alice',
  );
  await new PgBundleStore(pool, { trusted: trustedKeys(signer, options.signedBy ?? signer) }).activate(bundle.digest, {
    by: options.by ?? 'alice',
    rollback: options.rollback ?? false,
  });
  return bundle;
}

async function rejection(promise: Promise<unknown>): Promise<PolicyError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PolicyError);
  return err as PolicyError;
}

describe('when no bundle has ever been activated', () => {
  it('refuses new actions with POLICY_UNAVAILABLE and never falls back to built-in policies', async () => {
    const empty = await freshDatabase();
    try {
      const lines: string[] = [];
      const s = new BundleStorePolicySource({ store: new PgBundleStore(empty.pool), trusted: trustedKeys(signer), log: (l) => lines.push(l) });
      sources.push(s);
      expect((await s.start()).kind).toBe('none');
      expect((await rejection(s.active())).code).toBe('POLICY_UNAVAILABLE');
      expect(lines.join('\n')).toContain('NO ACTIVE POLICY BUNDLE');
    } finally {
      await empty.pool.end();
    }
  });
});

describe('when a bundle is activated while the source runs', () => {
  it('picks it up through LISTEN within a few seconds, without a restart', async () => {
    const first = await publishAndActivate();
    const { source: s, lines } = source();
    await s.start();
    expect((await s.active()).digest).toBe(first.digest);
    expect((await s.active()).version).toBe(first.version);

    const second = await publishAndActivate({ by: 'bob' });
    const ms = await eventually(async () => (await s.active()).digest === second.digest, 3_000, 'the new activation');
    expect(ms).toBeLessThan(3_000);
    expect(lines.some((l) => l.includes(second.version) && l.includes('activated by bob'))).toBe(true);
    // The earlier bundle stays available to actions pinned to it.
    expect((await s.pinned(first.digest))?.digest).toBe(first.digest);
  });

  it('picks it up by polling when there is no listener', async () => {
    await publishAndActivate();
    const { source: s } = source({ connectListener: undefined, pollMs: 200 });
    await s.start();
    const next = await publishAndActivate();
    await eventually(async () => (await s.active()).digest === next.digest, 3_000, 'the polled activation');
  });

  it('listens again after losing its connection, and looks for activations it missed', async () => {
    await publishAndActivate();
    const { source: s, lines } = source({ reconnectMs: { min: 100, max: 200 } });
    await s.start();
    // Kill the listening backend, as a database restart or a network cut would.
    await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN actiongate_policy_activation' AND pid <> pg_backend_pid()`);
    await eventually(() => lines.some((l) => l.includes('lost the policy activation listener')), 3_000, 'the lost listener');
    await eventually(() => lines.some((l) => l.includes('listening for policy activations again')), 3_000, 'the new listener');
    const next = await publishAndActivate();
    await eventually(async () => (await s.active()).digest === next.digest, 3_000, 'an activation after reconnecting');
  });
});

describe('when the active bundle does not verify', () => {
  it('is never used: new actions get POLICY_UNAVAILABLE, and it is logged loudly with the code', async () => {
    const good = await publishAndActivate();
    const { source: s, lines } = source();
    await s.start();
    expect((await s.active()).digest).toBe(good.digest);

    // Signed by a key this worker does not trust (the publisher trusted it).
    const foreign = newSigner();
    const bad = await publishAndActivate({ signedBy: foreign });
    await eventually(() => s.status().kind === 'rejected', 3_000, 'the rejection');
    const err = await rejection(s.active());
    expect(err.code).toBe('POLICY_UNAVAILABLE');
    expect(err.details).toMatchObject({ digest: bad.digest, reason: 'UNTRUSTED_KEY' });
    expect(lines.filter((l) => l.startsWith('POLICY BUNDLE REJECTED: UNTRUSTED_KEY')).join('\n')).toContain(bad.digest);
    expect(await s.pinned(bad.digest)).toBeUndefined();
    // In-flight actions pinned to the good one keep it; connectors follow the last verified one.
    expect((await s.pinned(good.digest))?.digest).toBe(good.digest);
    expect(s.lastVerifiedActive()?.digest).toBe(good.digest);

    // A valid activation afterwards is used again.
    const fixed = await publishAndActivate();
    await eventually(async () => s.status().kind === 'ready' && (await s.active()).digest === fixed.digest, 3_000, 'the fixed bundle');
  });

  it('rejects bytes changed behind the store (a row inserted by hand) with the signature check', async () => {
    const good = await publishAndActivate();
    const goodRow = await store.get(good.digest);
    const tampered = tamperedBundle(goodRow?.text ?? '');
    // Not through publish (which refuses it): straight into the tables, as an attacker with INSERT could.
    const fakeDigest = `sha256:${'e'.repeat(63)}${Math.floor(Math.random() * 10)}` as Digest;
    const revision = good.revision + 1;
    await pool.query(
      `INSERT INTO policy_bundles (digest, version, revision, key_id, text, published_by) VALUES ($1, $2, $3, $4, $5, 'mallory')`,
      [fakeDigest, `forged-${revision}`, revision, signer.keyId, tampered],
    );
    const { source: s, lines } = source();
    await s.start();
    await pool.query(
      `INSERT INTO policy_activations (digest, revision, previous_digest, previous_revision, activated_by, rollback) VALUES ($1, $2, $3, $4, 'mallory', false)`,
      [fakeDigest, revision, good.digest, good.revision],
    );
    await eventually(() => s.status().kind === 'rejected', 3_000, 'the rejection');
    expect((await rejection(s.active())).code).toBe('POLICY_UNAVAILABLE');
    expect(lines.some((l) => l.startsWith('POLICY BUNDLE REJECTED: BAD_SIGNATURE') && l.includes(fakeDigest))).toBe(true);
    expect(await s.pinned(fakeDigest)).toBeUndefined();

    // A valid bundle under a digest that is not its own is refused too.
    const mislabelled = `sha256:${'d'.repeat(63)}${Math.floor(Math.random() * 10)}` as Digest;
    await pool.query(
      `INSERT INTO policy_bundles (digest, version, revision, key_id, text, published_by) VALUES ($1, $2, $3, $4, $5, 'mallory')`,
      [mislabelled, `mislabelled-${revision}`, revision + 1, signer.keyId, goodRow?.text],
    );
    expect(await s.pinned(mislabelled)).toBeUndefined();
    expect(lines.some((l) => l.startsWith('POLICY BUNDLE REJECTED: DIGEST_MISMATCH') && l.includes(mislabelled))).toBe(true);
    await publishAndActivate();
  });
});

describe('when the store cannot be reached', () => {
  it('answers undefined for a digest it does not hold, and keeps serving the ones it does', async () => {
    const active = await publishAndActivate();
    const other = (await store.publish((await signedBundle(signer)).text, 'alice')).bundle;
    const deadPort = await freePort();
    const deadPool = new pg.Pool({ connectionString: `postgres://nobody:x@127.0.0.1:${deadPort}/none`, connectionTimeoutMillis: 500 });
    deadPool.on('error', () => undefined);
    try {
      // Loaded while the store was there...
      const { source: s } = source();
      await s.start();
      expect((await s.active()).digest).toBe(active.digest);
      // ...then a source whose store has gone: what it holds it serves, nothing else.
      let reachable = true;
      const flaky: BundleStorePolicySourceOptions['store'] = {
        lastActivation: () => (reachable ? store.lastActivation() : new PgBundleStore(deadPool).lastActivation()),
        get: (digest) => (reachable ? store.get(digest) : new PgBundleStore(deadPool).get(digest)),
      };
      const { source: cut, lines } = source({ store: flaky, connectListener: undefined, pollMs: 100 });
      await cut.start();
      reachable = false;
      await eventually(() => lines.some((l) => l.includes('store unreachable')), 3_000, 'the outage');
      expect(await cut.pinned(other.digest)).toBeUndefined();
      expect((await cut.pinned(active.digest))?.digest).toBe(active.digest);
      expect((await cut.active()).digest).toBe(active.digest);
      reachable = true;
      expect((await cut.pinned(other.digest))?.digest).toBe(other.digest);
    } finally {
      await deadPool.end();
    }
  });

  it('refuses new actions when it never reached the store', async () => {
    const deadPort = await freePort();
    const deadPool = new pg.Pool({ connectionString: `postgres://nobody:x@127.0.0.1:${deadPort}/none`, connectionTimeoutMillis: 500 });
    deadPool.on('error', () => undefined);
    try {
      const { source: s, lines } = source({
        store: new PgBundleStore(deadPool),
        connectListener: listenerFactory(`postgres://nobody:x@127.0.0.1:${deadPort}/none`),
      });
      expect((await s.start()).kind).toBe('unreachable');
      expect((await rejection(s.active())).code).toBe('POLICY_UNAVAILABLE');
      expect(await s.pinned(`sha256:${'a'.repeat(64)}`)).toBeUndefined();
      expect(lines.join('\n')).toContain('cannot listen for policy activations');
    } finally {
      await deadPool.end();
    }
  });
});

describe('when a set is served', () => {
  it('evaluates with the bundle digest and carries its version label', async () => {
    const bundle = await publishAndActivate();
    const { source: s } = source();
    await s.start();
    const set = await s.active();
    expect(set.version).toBe(bundle.version);
    const request = paymentRequest();
    // Signed as the gate receives it: the served set proves the actor with principals.json from the bundle.
    const decision = set.evaluate(request, { now: new Date('2026-11-24T10:00:00Z'), signature: signRequest(request, demoSigner('agent-42')) });
    expect(decision.outcome).toBe('PERMIT');
    expect(decision.policy.digest).toBe(bundle.digest);
    expect(decision.actorKeyId).toBe(demoSigner('agent-42').keyId);
  });
});
