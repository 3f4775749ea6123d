import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleError } from '../../src/bundle/bundle-error.js';
import type { Signer } from '../../src/keys/signer.js';
import { PolicyError } from '../../src/policy/policy-error.js';
import { BundleStoreError } from '../../src/store/bundle-store-error.js';
import { PgBundleStore } from '../../src/store/bundle-store.js';
import { eventually, freshDatabase, listenerFactory, newSigner, nextRevision, signedBundle, tamperedBundle, trustedKeys, uniqueVersion } from '../support/bundles.js';

let pool: pg.Pool;
let url: string;
let signer: Signer;
let store: PgBundleStore;

beforeAll(async () => {
  ({ pool, url } = await freshDatabase());
  signer = newSigner();
  store = new PgBundleStore(pool, { trusted: trustedKeys(signer) });
});
afterAll(() => pool?.end());

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: unknown) => err,
  );
}

describe('when a bundle is published', () => {
  it('stores its exact bytes and metadata, once', async () => {
    const bundle = await signedBundle(signer);
    const first = await store.publish(bundle.text, 'alice');
    expect(first.inserted).toBe(true);
    expect(first.bundle).toMatchObject({ version: bundle.version, revision: bundle.revision, keyId: signer.keyId, gitCommit: null, publishedBy: 'alice' });
    expect(first.bundle.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first.bundle.text).toBe(bundle.text);

    const again = await store.publish(bundle.text, 'bob');
    expect(again.inserted).toBe(false);
    expect(again.bundle).toEqual(first.bundle);
    expect(await store.get(first.bundle.digest)).toEqual(first.bundle);
    expect(await store.getByVersion(bundle.version)).toEqual(first.bundle);
    expect(await store.get(`sha256:${'0'.repeat(64)}`)).toBeUndefined();
  });

  it('refuses a bundle signed by a key that is not trusted, storing nothing', async () => {
    const bundle = await signedBundle(newSigner());
    const err = await caught(store.publish(bundle.text, 'mallory'));
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).code).toBe('UNTRUSTED_KEY');
    expect(await store.getByVersion(bundle.version)).toBeUndefined();
  });

  it('refuses a bundle whose content was changed after signing', async () => {
    const bundle = await signedBundle(signer);
    const tampered = tamperedBundle(bundle.text);
    const err = await caught(store.publish(tampered, 'mallory'));
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).code).toBe('BAD_SIGNATURE');
    expect(await store.getByVersion(bundle.version)).toBeUndefined();
  });

  it('refuses a signed bundle whose policies do not compile', async () => {
    // buildBundle compiles first; sign the broken body by hand to get past it.
    const { buildBundle } = await import('../../src/bundle/build-bundle.js');
    const { readPolicyDir } = await import('../../src/policy/policy-files.js');
    const files = await readPolicyDir((await import('../support/paths.js')).POLICIES_DIR);
    const good = buildBundle(files, { version: uniqueVersion(), revision: nextRevision(), gitCommit: null }, signer);
    const { bundleSigningInput, encodeBundle } = await import('../../src/bundle/bundle-encoding.js');
    const { encodeBase64url } = await import('../../src/keys/base64url.js');
    const body = { ...good.body, files: { ...good.body.files, 'payments/broken.cedar': 'permit(principal, action, resource) when { 1 < };' } };
    const text = encodeBundle({ body, signature: { ...good.signature, value: encodeBase64url(signer.sign(bundleSigningInput(body))) } });
    const err = await caught(store.publish(text, 'alice'));
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).code).toBe('POLICY_INVALID');
  });

  it('refuses another bundle under a version label or revision already used', async () => {
    const first = await signedBundle(signer);
    await store.publish(first.text, 'alice');
    const sameLabel = await signedBundle(signer, { version: first.version });
    const err1 = await caught(store.publish(sameLabel.text, 'alice'));
    expect(err1).toBeInstanceOf(BundleStoreError);
    expect((err1 as BundleStoreError).code).toBe('VERSION_TAKEN');
    const sameRevision = await signedBundle(signer, { revision: first.revision });
    const err2 = await caught(store.publish(sameRevision.text, 'alice'));
    expect((err2 as BundleStoreError).code).toBe('REVISION_TAKEN');
  });

  it('refuses the same content signed again by another trusted key (stored bytes never change)', async () => {
    const other = newSigner();
    const both = new PgBundleStore(pool, { trusted: trustedKeys(signer, other) });
    const first = await signedBundle(signer);
    await both.publish(first.text, 'alice');
    const resigned = await signedBundle(other, { version: first.version, revision: first.revision });
    const err = await caught(both.publish(resigned.text, 'alice'));
    expect((err as BundleStoreError).code).toBe('ALREADY_PUBLISHED');
  });

  it('needs the trusted keys to publish', async () => {
    const readOnly = new PgBundleStore(pool);
    const err = await caught(readOnly.publish((await signedBundle(signer)).text, 'alice'));
    expect((err as BundleStoreError).code).toBe('NO_TRUSTED_KEYS');
  });
});

describe('when someone tries to change the stored bundles or the activation log', () => {
  it('the database refuses UPDATE, DELETE and TRUNCATE on both tables', async () => {
    const { bundle } = await store.publish((await signedBundle(signer)).text, 'alice');
    await store.activate(bundle.digest, { by: 'alice' });
    for (const sql of [
      `UPDATE policy_bundles SET text = 'x' WHERE digest = '${bundle.digest}'`,
      `DELETE FROM policy_bundles WHERE digest = '${bundle.digest}'`,
      'TRUNCATE policy_bundles CASCADE',
      `UPDATE policy_activations SET activated_by = 'x'`,
      'DELETE FROM policy_activations',
      'TRUNCATE policy_activations',
    ]) {
      await expect(pool.query(sql), sql).rejects.toMatchObject({ code: '42501' });
    }
    expect((await store.get(bundle.digest))?.text).toBe(bundle.text);
  });

  it('the database refuses an activation row that does not follow the one before', async () => {
    const { bundle } = await store.publish((await signedBundle(signer)).text, 'alice');
    await expect(
      pool.query(`INSERT INTO policy_activations (digest, revision, activated_by, rollback) VALUES ($1, $2, 'mallory', false)`, [bundle.digest, bundle.revision]),
    ).rejects.toMatchObject({ code: '40001' });
    const active = await store.active();
    await expect(
      pool.query(
        `INSERT INTO policy_activations (digest, revision, previous_digest, previous_revision, activated_by, rollback) VALUES ($1, $2, $3, $4, 'mallory', false)`,
        [bundle.digest, bundle.revision + 1, active?.activation.digest, active?.activation.revision],
      ),
    ).rejects.toMatchObject({ code: '23514' });
  });
});

describe('when bundles are activated', () => {
  it('records who, when, from and to, and refuses a lower revision unless it is a rollback', async () => {
    const before = await store.active();
    const older = (await store.publish((await signedBundle(signer)).text, 'alice')).bundle;
    const newer = (await store.publish((await signedBundle(signer)).text, 'alice')).bundle;

    const first = await store.activate(older.version, { by: 'alice', note: 'first' });
    expect(first.changed).toBe(true);
    expect(first.activation).toMatchObject({
      digest: older.digest,
      version: older.version,
      revision: older.revision,
      previousDigest: before?.activation.digest ?? null,
      activatedBy: 'alice',
      rollback: false,
      note: 'first',
    });
    expect(Date.now() - Date.parse(first.activation.activatedAt)).toBeLessThan(60_000);

    const second = await store.activate(newer.digest, { by: 'bob' });
    expect(second.activation).toMatchObject({
      digest: newer.digest,
      previousDigest: older.digest,
      previousVersion: older.version,
      previousRevision: older.revision,
      activatedBy: 'bob',
      rollback: false,
      note: null,
    });

    const refused = await caught(store.activate(older.version, { by: 'carol' }));
    expect(refused).toBeInstanceOf(BundleStoreError);
    expect((refused as BundleStoreError).code).toBe('ROLLBACK_REQUIRED');
    expect((await store.active())?.bundle.digest).toBe(newer.digest);

    const back = await store.activate(older.version, { by: 'carol', rollback: true, note: 'bad limit in newer' });
    expect(back.activation).toMatchObject({ digest: older.digest, previousDigest: newer.digest, rollback: true, activatedBy: 'carol', note: 'bad limit in newer' });

    const notRollback = await caught(store.activate(newer.version, { by: 'carol', rollback: true }));
    expect((notRollback as BundleStoreError).code).toBe('NOT_A_ROLLBACK');

    const log = await store.activations();
    expect(log.slice(-3).map((a) => [a.version, a.previousVersion, a.activatedBy, a.rollback])).toEqual([
      [older.version, before?.activation.version ?? null, 'alice', false],
      [newer.version, older.version, 'bob', false],
      [older.version, newer.version, 'carol', true],
    ]);
    const listed = await store.list();
    expect(listed.filter((b) => b.active).map((b) => b.digest)).toEqual([older.digest]);
    expect(listed.map((b) => b.revision)).toEqual([...listed.map((b) => b.revision)].sort((a, b) => b - a));
    expect(listed[0]).not.toHaveProperty('text');
  });

  it('activating the active bundle records nothing', async () => {
    const { bundle } = await store.publish((await signedBundle(signer)).text, 'alice');
    await store.activate(bundle.version, { by: 'alice' });
    const count = (await store.activations()).length;
    const again = await store.activate(bundle.digest, { by: 'bob' });
    expect(again.changed).toBe(false);
    expect(again.activation.activatedBy).toBe('alice');
    expect(await store.lastActivation()).toEqual(again.activation);
    expect((await store.active())?.activation).toEqual(again.activation);
    expect(await store.activations()).toHaveLength(count);
  });

  it('refuses an unknown digest or label, naming it', async () => {
    const err = await caught(store.activate('no-such-version', { by: 'alice' }));
    expect((err as BundleStoreError).code).toBe('NOT_FOUND');
    expect((err as BundleStoreError).message).toContain('no-such-version');
    expect(((await caught(store.resolve(`sha256:${'1'.repeat(64)}`))) as BundleStoreError).code).toBe('NOT_FOUND');
  });

  it('refuses to activate a stored bundle whose key is no longer trusted', async () => {
    const retired = newSigner();
    const old = new PgBundleStore(pool, { trusted: trustedKeys(signer, retired) });
    const { bundle } = await old.publish((await signedBundle(retired)).text, 'alice');
    const err = await caught(store.activate(bundle.version, { by: 'alice' }));
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).code).toBe('UNTRUSTED_KEY');
  });

  it('serialises concurrent activations into one unbroken chain', async () => {
    const bundles = [];
    for (let i = 0; i < 6; i++) bundles.push((await store.publish((await signedBundle(signer)).text, 'alice')).bundle);
    const seqBefore = (await store.activations()).length;
    const results = await Promise.allSettled(bundles.map((b, i) => store.activate(b.version, { by: `op-${i}` })));
    // Some may lose to a higher revision activated first (ROLLBACK_REQUIRED); none may corrupt the chain.
    for (const r of results) if (r.status === 'rejected') expect((r.reason as BundleStoreError).code).toBe('ROLLBACK_REQUIRED');
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    const log = await store.activations();
    for (let i = 1; i < log.length; i++) expect(log[i]?.previousDigest).toBe(log[i - 1]?.digest);
    expect(log.length).toBeGreaterThan(seqBefore);
    expect((await store.active())?.bundle.digest).toBe(bundles.at(-1)?.digest);
  });

  it('notifies listeners with the new digest, in the same transaction', async () => {
    const listener = await listenerFactory(url)();
    const heard: string[] = [];
    listener.on('notification', (m) => {
      if (m.channel === 'actiongate_policy_activation' && m.payload) heard.push(m.payload);
    });
    await listener.query('LISTEN actiongate_policy_activation');
    try {
      const { bundle } = await store.publish((await signedBundle(signer)).text, 'alice');
      const refusedRollback = await store.publish((await signedBundle(signer, { revision: 1 })).text, 'alice');
      await caught(store.activate(refusedRollback.bundle.version, { by: 'alice' }));
      await store.activate(bundle.version, { by: 'alice' });
      await eventually(() => heard.length > 0, 5_000, 'a notification');
      await new Promise((r) => setTimeout(r, 200));
      expect(heard).toEqual([bundle.digest]);
    } finally {
      await listener.end();
    }
  });
});
