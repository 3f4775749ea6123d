import type pg from 'pg';
import { compileVerifiedBundle } from '../bundle/compile-verified-bundle.js';
import type { VerifiedBundle } from '../bundle/bundle-types.js';
import { verifyBundle } from '../bundle/verify-bundle.js';
import type { KeySet } from '../keys/key-set.js';
import { DIGEST_PATTERN, digestsEqual, type Digest } from '../request/digest.js';
import { BundleStoreError } from './bundle-store-error.js';
import { withPooledClient } from './pooled-client.js';

/** A published bundle: its metadata as columns and the bundle file exactly as it was published. */
export interface StoredBundle {
  digest: Digest;
  version: string;
  revision: number;
  keyId: string;
  gitCommit: string | null;
  /** The bundle file, byte for byte (canonical JSON and a newline). */
  text: string;
  publishedAt: string;
  publishedBy: string;
}

/** A bundle in a listing: no text, and whether it is the active one. */
export type BundleSummary = Omit<StoredBundle, 'text'> & { active: boolean };

/** One row of the activation log: who made which bundle active, when, and what it replaced. */
export interface Activation {
  /** Position in the log (a bigint, as a string). */
  seq: string;
  digest: Digest;
  version: string;
  revision: number;
  previousDigest: Digest | null;
  previousVersion: string | null;
  previousRevision: number | null;
  activatedBy: string;
  activatedAt: string;
  /** True exactly when a lower revision replaced a higher one. */
  rollback: boolean;
  note: string | null;
}

export interface ActiveBundle {
  activation: Activation;
  bundle: StoredBundle;
}

export interface PublishResult {
  bundle: StoredBundle;
  /** false when this very bundle was already published; `bundle` is then the stored row. */
  inserted: boolean;
}

export interface ActivateOptions {
  /** Who activates (recorded). */
  by: string;
  /** Needed to activate a lower revision than the active one; refused otherwise. */
  rollback?: boolean;
  note?: string | null;
}

export interface ActivateResult {
  activation: Activation;
  /** false when the bundle was already the active one: nothing was recorded. */
  changed: boolean;
}

/** What a worker's policy source needs from the store: reads only. */
export interface BundleStoreReader {
  /** The last activation (no bundle text: cheap enough to poll). */
  lastActivation(): Promise<Activation | undefined>;
  get(digest: Digest): Promise<StoredBundle | undefined>;
}

/** Serialises activations; the activation trigger in 002_policy_bundles.sql takes the same lock. */
export const ACTIVATION_LOCK_ID = 0x4147_4150; // "AGAP"

const BUNDLE_COLUMNS = 'b.digest, b.version, b.revision, b.key_id, b.git_commit, b.published_at, b.published_by';
const ACTIVATION_COLUMNS = `a.seq, a.digest, b.version, a.revision, a.previous_digest, p.version AS previous_version,
  a.previous_revision, a.activated_by, a.activated_at, a.rollback, a.note`;
const ACTIVATION_FROM = `policy_activations a
  JOIN policy_bundles b ON b.digest = a.digest
  LEFT JOIN policy_bundles p ON p.digest = a.previous_digest`;

interface BundleRow {
  digest: string;
  version: string;
  revision: string;
  key_id: string;
  git_commit: string | null;
  text?: string;
  published_at: Date;
  published_by: string;
}

interface ActivationRow {
  seq: string;
  digest: string;
  version: string;
  revision: string;
  previous_digest: string | null;
  previous_version: string | null;
  previous_revision: string | null;
  activated_by: string;
  activated_at: Date;
  rollback: boolean;
  note: string | null;
}

/**
 * Signed policy bundles in Postgres, and which one is active. Insert-only, like receipts: a
 * published bundle never changes, and activating another one (or rolling back) adds a row to
 * the activation log. Only bundles that verify against the trusted keys (and compile) are
 * stored or activated; workers verify them again when they load them.
 *
 * @example
 * const store = new PgBundleStore(pool, { trusted: await loadKeySet('keys/trusted.json') });
 * const { bundle } = await store.publish(await readFile('bundle.json', 'utf8'), 'alice');
 * await store.activate(bundle.version, { by: 'alice', note: 'raise agent limit' });
 */
export class PgBundleStore implements BundleStoreReader {
  private readonly trusted: KeySet | undefined;
  private readonly now: () => Date;

  /**
   * @param options.trusted keys trusted to sign policy bundles; needed by `publish` and `activate` only.
   * @param options.now the clock key validity is checked at (default: the system clock).
   */
  constructor(
    private readonly pool: pg.Pool,
    options: { trusted?: KeySet; now?: () => Date } = {},
  ) {
    this.trusted = options.trusted;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Stores a bundle file after verifying it. Publishing the same bundle again returns the stored row.
   *
   * @throws BundleError when the signature is not valid from a trusted key (or the file is not a
   *   bundle); PolicyError `POLICY_INVALID` when its policies do not compile; BundleStoreError
   *   `VERSION_TAKEN`, `REVISION_TAKEN`, `ALREADY_PUBLISHED` or `NO_TRUSTED_KEYS`.
   */
  async publish(text: string, publishedBy: string): Promise<PublishResult> {
    const verified = this.verify(text);
    // A bundle that would not load in a worker is refused here, not at activation.
    compileVerifiedBundle(verified);
    const { metadata } = verified.body;
    const inserted = await this.pool.query<BundleRow>(
      `INSERT INTO policy_bundles AS b (digest, version, revision, key_id, git_commit, text, published_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT DO NOTHING
       RETURNING ${BUNDLE_COLUMNS}, b.text`,
      [verified.digest, metadata.version, metadata.revision, verified.keyId, metadata.gitCommit, text, publishedBy],
    );
    const row = inserted.rows[0];
    if (row) return { bundle: toBundle(row), inserted: true };

    const { rows } = await this.pool.query<BundleRow>(
      `SELECT ${BUNDLE_COLUMNS}, b.text FROM policy_bundles b WHERE b.digest = $1 OR b.version = $2 OR b.revision = $3`,
      [verified.digest, metadata.version, metadata.revision],
    );
    const same = rows.find((r) => r.digest === verified.digest);
    if (same) {
      if (same.text === text) return { bundle: toBundle(same), inserted: false };
      throw new BundleStoreError(
        'ALREADY_PUBLISHED',
        `bundle ${verified.digest} (version ${same.version}) is already published with other bytes (signed by ${same.key_id}); ` +
          'stored bundles never change: publish the policies under a new version label instead',
        { digest: verified.digest, keyId: same.key_id },
      );
    }
    const byVersion = rows.find((r) => r.version === metadata.version);
    if (byVersion) {
      throw new BundleStoreError('VERSION_TAKEN', `version label ${metadata.version} is already used by bundle ${byVersion.digest}`, {
        version: metadata.version,
        digest: byVersion.digest,
      });
    }
    const byRevision = rows.find((r) => Number(r.revision) === metadata.revision);
    if (byRevision) {
      throw new BundleStoreError(
        'REVISION_TAKEN',
        `revision ${metadata.revision} is already used by bundle ${byRevision.digest} (version ${byRevision.version})`,
        { revision: metadata.revision, digest: byRevision.digest, version: byRevision.version },
      );
    }
    throw new BundleStoreError('CONFLICT', `bundle ${verified.digest} was neither stored nor found; try again`, { digest: verified.digest });
  }

  /** The bundle with this digest, or undefined. */
  async get(digest: Digest): Promise<StoredBundle | undefined> {
    const { rows } = await this.pool.query<BundleRow>(`SELECT ${BUNDLE_COLUMNS}, b.text FROM policy_bundles b WHERE b.digest = $1`, [digest]);
    return rows[0] ? toBundle(rows[0]) : undefined;
  }

  /** The bundle with this version label, or undefined. */
  async getByVersion(version: string): Promise<StoredBundle | undefined> {
    const { rows } = await this.pool.query<BundleRow>(`SELECT ${BUNDLE_COLUMNS}, b.text FROM policy_bundles b WHERE b.version = $1`, [version]);
    return rows[0] ? toBundle(rows[0]) : undefined;
  }

  /** A digest (`sha256:…`) or a version label. @throws BundleStoreError `NOT_FOUND`. */
  async resolve(digestOrVersion: string): Promise<StoredBundle> {
    const bundle = DIGEST_PATTERN.test(digestOrVersion) ? await this.get(digestOrVersion as Digest) : await this.getByVersion(digestOrVersion);
    if (!bundle) {
      throw new BundleStoreError('NOT_FOUND', `no published bundle has ${DIGEST_PATTERN.test(digestOrVersion) ? 'digest' : 'version label'} ${digestOrVersion}`, {
        ref: digestOrVersion,
      });
    }
    return bundle;
  }

  /** Every published bundle, highest revision first. */
  async list(): Promise<BundleSummary[]> {
    const { rows } = await this.pool.query<BundleRow & { active: boolean }>(
      `SELECT ${BUNDLE_COLUMNS},
              b.digest = (SELECT digest FROM policy_activations ORDER BY seq DESC LIMIT 1) IS TRUE AS active
         FROM policy_bundles b ORDER BY b.revision DESC`,
    );
    return rows.map((row) => {
      const { text: _text, ...summary } = toBundle(row);
      return { ...summary, active: row.active };
    });
  }

  /**
   * Makes a published bundle the active one. Activations are serialised (an advisory lock), and
   * the bundle is verified again against the trusted keys: a key withdrawn since publishing
   * stops its bundles from being activated. Activating the active bundle records nothing.
   *
   * @throws BundleStoreError `NOT_FOUND`, `ROLLBACK_REQUIRED` (a lower revision than the active one
   *   without `rollback`), `NOT_A_ROLLBACK` (`rollback` for a bundle that is not lower),
   *   `NO_TRUSTED_KEYS`, `DIGEST_MISMATCH`; BundleError when it no longer verifies.
   */
  async activate(digestOrVersion: string, options: ActivateOptions): Promise<ActivateResult> {
    return withPooledClient(this.pool, async (client) => {
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [ACTIVATION_LOCK_ID]);
        const result = await this.activateLocked(client, digestOrVersion, options);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  private async activateLocked(client: pg.PoolClient, ref: string, options: ActivateOptions): Promise<ActivateResult> {
    const byDigest = DIGEST_PATTERN.test(ref);
    const found = await client.query<BundleRow>(`SELECT ${BUNDLE_COLUMNS}, b.text FROM policy_bundles b WHERE ${byDigest ? 'b.digest' : 'b.version'} = $1`, [ref]);
    const row = found.rows[0];
    if (!row) throw new BundleStoreError('NOT_FOUND', `no published bundle has ${byDigest ? 'digest' : 'version label'} ${ref}`, { ref });
    const bundle = toBundle(row);
    const verified = this.verify(bundle.text);
    if (!digestsEqual(verified.digest, bundle.digest)) {
      throw new BundleStoreError('DIGEST_MISMATCH', `stored bundle ${bundle.digest} has the bytes of ${verified.digest}; refusing to activate it`, {
        digest: bundle.digest,
        actual: verified.digest,
      });
    }

    const last = await client.query<ActivationRow>(`SELECT ${ACTIVATION_COLUMNS} FROM ${ACTIVATION_FROM} ORDER BY a.seq DESC LIMIT 1`);
    const current = last.rows[0] ? toActivation(last.rows[0]) : undefined;
    if (current && current.digest === bundle.digest) return { activation: current, changed: false };

    const lower = current !== undefined && bundle.revision < current.revision;
    if (lower && options.rollback !== true) {
      throw new BundleStoreError(
        'ROLLBACK_REQUIRED',
        `bundle ${bundle.version} (revision ${bundle.revision}) is older than the active ${current.version} (revision ${current.revision}); ` +
          'activate it as a rollback to go back',
        { version: bundle.version, revision: bundle.revision, activeVersion: current.version, activeRevision: current.revision },
      );
    }
    if (!lower && options.rollback === true) {
      throw new BundleStoreError(
        'NOT_A_ROLLBACK',
        current
          ? `bundle ${bundle.version} (revision ${bundle.revision}) is not older than the active ${current.version} (revision ${current.revision}); activate it without rollback`
          : `no bundle is active yet, so activating ${bundle.version} is not a rollback`,
        { version: bundle.version, revision: bundle.revision },
      );
    }

    const inserted = await client.query<{ seq: string }>(
      `INSERT INTO policy_activations (digest, revision, previous_digest, previous_revision, activated_by, rollback, note)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq`,
      [bundle.digest, bundle.revision, current?.digest ?? null, current?.revision ?? null, options.by, lower, options.note ?? null],
    );
    const seq = inserted.rows[0]?.seq;
    const { rows } = await client.query<ActivationRow>(`SELECT ${ACTIVATION_COLUMNS} FROM ${ACTIVATION_FROM} WHERE a.seq = $1`, [seq]);
    if (!rows[0]) throw new BundleStoreError('CONFLICT', `activation of ${bundle.digest} was not recorded; try again`, { digest: bundle.digest });
    return { activation: toActivation(rows[0]), changed: true };
  }

  /** The active bundle and the activation that made it so, or undefined if none was ever activated. */
  async active(): Promise<ActiveBundle | undefined> {
    const { rows } = await this.pool.query<ActivationRow & { text: string; key_id: string; git_commit: string | null; published_at: Date; published_by: string }>(
      `SELECT ${ACTIVATION_COLUMNS}, b.text, b.key_id, b.git_commit, b.published_at, b.published_by
         FROM ${ACTIVATION_FROM} ORDER BY a.seq DESC LIMIT 1`,
    );
    const row = rows[0];
    if (!row) return undefined;
    return { activation: toActivation(row), bundle: toBundle(row) };
  }

  /** The activation that made the active bundle active, or undefined if none was ever activated. */
  async lastActivation(): Promise<Activation | undefined> {
    const { rows } = await this.pool.query<ActivationRow>(`SELECT ${ACTIVATION_COLUMNS} FROM ${ACTIVATION_FROM} ORDER BY a.seq DESC LIMIT 1`);
    return rows[0] ? toActivation(rows[0]) : undefined;
  }

  /** The activation log, oldest first. */
  async activations(): Promise<Activation[]> {
    const { rows } = await this.pool.query<ActivationRow>(`SELECT ${ACTIVATION_COLUMNS} FROM ${ACTIVATION_FROM} ORDER BY a.seq`);
    return rows.map(toActivation);
  }

  private verify(text: string): VerifiedBundle {
    if (!this.trusted) {
      throw new BundleStoreError('NO_TRUSTED_KEYS', 'publishing and activating bundles need the trusted key set (ACTIONGATE_BUNDLE_KEYS)', {});
    }
    return verifyBundle(text, this.trusted, this.now());
  }
}

function toBundle(row: BundleRow): StoredBundle {
  return {
    digest: row.digest as Digest,
    version: row.version,
    revision: Number(row.revision),
    keyId: row.key_id,
    gitCommit: row.git_commit,
    text: row.text ?? '',
    publishedAt: row.published_at.toISOString(),
    publishedBy: row.published_by,
  };
}

function toActivation(row: ActivationRow): Activation {
  return {
    seq: String(row.seq),
    digest: row.digest as Digest,
    version: row.version,
    revision: Number(row.revision),
    previousDigest: row.previous_digest as Digest | null,
    previousVersion: row.previous_version,
    previousRevision: row.previous_revision === null ? null : Number(row.previous_revision),
    activatedBy: row.activated_by,
    activatedAt: row.activated_at.toISOString(),
    rollback: row.rollback,
    note: row.note,
  };
}
