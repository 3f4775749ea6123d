import type pg from 'pg';
import type { LogLine } from '../logging/log-line.js';
import { compileVerifiedBundle } from '../bundle/compile-verified-bundle.js';
import { verifyBundle } from '../bundle/verify-bundle.js';
import { ActionGateError } from '../errors.js';
import type { KeySet } from '../keys/key-set.js';
import { digestsEqual, type Digest } from '../request/digest.js';
import { BundleStoreError } from '../store/bundle-store-error.js';
import type { Activation, BundleStoreReader, StoredBundle } from '../store/bundle-store.js';
import { PolicyError } from './policy-error.js';
import type { CompiledPolicySet } from './policy-set.js';
import type { PolicySource } from './policy-source.js';

/** The channel the activation trigger notifies (002_policy_bundles.sql), with the new digest as payload. */
export const POLICY_ACTIVATION_CHANNEL = 'actiongate_policy_activation';

export interface BundleStorePolicySourceOptions {
  store: BundleStoreReader;
  /** Keys trusted to sign policy bundles. A bundle that does not verify against them is never used. */
  trusted: KeySet;
  /** Where state changes go; a rejected bundle is logged with "POLICY BUNDLE REJECTED" and its code. */
  log: LogLine;
  /**
   * Opens a new, connected client for LISTEN (called again after the connection drops). Without
   * it, activations are picked up by polling only.
   */
  connectListener?: () => Promise<pg.Client>;
  /** Backstop polling interval (default 5000 ms): a lost notification is picked up by then. */
  pollMs?: number;
  /** First and longest wait before connecting the listener again (default 1 s and 30 s). */
  reconnectMs?: { min: number; max: number };
  /** The clock key validity is checked at (default: the system clock). */
  now?: () => Date;
  /**
   * A last check of a verified, compiled set before it is used (the worker resolves the
   * connectors' secrets here). Throwing rejects the bundle like one that does not verify.
   */
  accept?: (set: CompiledPolicySet) => void;
}

/** What the source holds as the active policy set, for logs and status lines. */
export type ActivePolicyState =
  | { kind: 'loading' }
  | { kind: 'unreachable'; error: Error }
  | { kind: 'none' }
  | { kind: 'ready'; set: CompiledPolicySet; activation: Activation }
  | { kind: 'rejected'; digest: Digest; version: string; code: string; error: Error };

const DEFAULT_POLL_MS = 5_000;
const DEFAULT_RECONNECT_MS = { min: 1_000, max: 30_000 };

/**
 * Policies from the bundle store: the active bundle for new actions, any published bundle by
 * digest for actions pinned to it. Every bundle is verified against the trusted keys and its
 * digest checked before it is compiled; one that fails is never used and is logged loudly.
 * A new activation is picked up without a restart: at once through LISTEN on
 * {@link POLICY_ACTIVATION_CHANNEL} (a dedicated connection, reconnected when lost), and at the
 * latest after `pollMs` by polling. Nothing ever falls back to another bundle or to built-in
 * policies: no usable active bundle means `active()` throws `POLICY_UNAVAILABLE`, and a pinned
 * digest that cannot be fetched or verified means `pinned()` answers undefined (SILENCE).
 *
 * @example
 * const source = new BundleStorePolicySource({ store: new PgBundleStore(pool), trusted, log, connectListener });
 * await source.start();
 * const worker = await createActionGateWorker({ policies: source, ... });
 * // on shutdown
 * await source.close();
 */
export class BundleStorePolicySource implements PolicySource {
  private readonly store: BundleStoreReader;
  private readonly trusted: KeySet;
  private readonly log: LogLine;
  private readonly connectListener: (() => Promise<pg.Client>) | undefined;
  private readonly pollMs: number;
  private readonly reconnectMs: { min: number; max: number };
  private readonly now: () => Date;
  private readonly accept: (set: CompiledPolicySet) => void;

  private state: ActivePolicyState = { kind: 'loading' };
  /** The last active set that verified: what connectors follow while a newer activation is rejected. */
  private lastVerified: CompiledPolicySet | undefined;
  /** Verified and compiled sets by digest. Stored bundles never change, so entries never go stale. */
  private readonly compiled = new Map<Digest, CompiledPolicySet>();
  private readonly loading = new Map<Digest, Promise<CompiledPolicySet | undefined>>();
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private storeDown = false;

  private listener: pg.Client | undefined;
  private listenerDown = false;
  private reconnectDelay: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: BundleStorePolicySourceOptions) {
    this.store = options.store;
    this.trusted = options.trusted;
    this.log = options.log;
    this.connectListener = options.connectListener;
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.reconnectMs = options.reconnectMs ?? DEFAULT_RECONNECT_MS;
    this.reconnectDelay = this.reconnectMs.min;
    this.now = options.now ?? (() => new Date());
    this.accept = options.accept ?? (() => undefined);
  }

  /**
   * Starts listening (first, so no activation falls between the first read and LISTEN), loads
   * the active bundle and starts polling. Never throws: a store or listener that is not there
   * yet is logged and tried again.
   */
  async start(): Promise<ActivePolicyState> {
    await this.listen();
    await this.refresh();
    this.pollTimer = setInterval(() => void this.refresh(), this.pollMs);
    this.pollTimer.unref();
    return this.state;
  }

  /** The active policy set as held now (no store round trip). */
  status(): ActivePolicyState {
    return this.state;
  }

  /** The most recent active set that verified, even if a later activation was rejected. */
  lastVerifiedActive(): CompiledPolicySet | undefined {
    return this.lastVerified;
  }

  async active(): Promise<CompiledPolicySet> {
    if (this.state.kind === 'loading') await this.refresh();
    const state = this.state;
    switch (state.kind) {
      case 'ready':
        return state.set;
      case 'rejected':
        throw new PolicyError(
          'POLICY_UNAVAILABLE',
          `active policy bundle ${state.version} (${state.digest}) was rejected: ${state.code}: ${state.error.message}`,
          { digest: state.digest, version: state.version, reason: state.code },
        );
      case 'none':
        throw new PolicyError('POLICY_UNAVAILABLE', 'no policy bundle has been activated (actiongate policy publish, then policy activate)', {});
      case 'unreachable':
        throw new PolicyError('POLICY_UNAVAILABLE', `the policy bundle store cannot be reached: ${state.error.message}`, {});
      case 'loading':
        throw new PolicyError('POLICY_UNAVAILABLE', 'the active policy bundle is not loaded yet', {});
    }
  }

  async pinned(digest: Digest): Promise<CompiledPolicySet | undefined> {
    const held = this.compiled.get(digest);
    if (held) return held;
    let pending = this.loading.get(digest);
    if (!pending) {
      pending = this.loadPinned(digest).finally(() => this.loading.delete(digest));
      this.loading.set(digest, pending);
    }
    return pending;
  }

  /** Reads the active bundle now; concurrent calls share one read (and one more if asked meanwhile). */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        await this.refreshOnce();
      } while (this.refreshAgain && !this.closed);
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Stops polling and listening. In-memory sets stay usable for calls still in progress. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.refreshing?.catch(() => undefined);
  }

  private async refreshOnce(): Promise<void> {
    let activation: Activation | undefined;
    let bundle: StoredBundle | undefined;
    try {
      activation = await this.store.lastActivation();
      const state = this.state;
      const known = state.kind === 'ready' ? state.set.digest : state.kind === 'rejected' ? state.digest : undefined;
      // Only a new activation costs a fetch of the bundle (which may be large); polls are one small row.
      if (activation && activation.digest !== known && !this.compiled.has(activation.digest)) {
        bundle = await this.store.get(activation.digest);
        if (!bundle) throw new BundleStoreError('NOT_FOUND', `activated bundle ${activation.digest} is not in the store`, { digest: activation.digest });
      }
    } catch (err) {
      const error = asError(err);
      if (!this.storeDown) {
        this.storeDown = true;
        this.log(
          `policy bundle store unreachable (${firstLine(error)}): ` +
            (this.state.kind === 'ready'
              ? `new actions keep pinning ${describeSet(this.state.set)} until it answers`
              : 'new actions are refused with SILENCE (policy_unavailable) until it answers'),
          { level: 'warn', error: firstLine(error) },
        );
      }
      if (this.state.kind === 'loading' || this.state.kind === 'unreachable') this.state = { kind: 'unreachable', error };
      return;
    }
    if (this.storeDown) {
      this.storeDown = false;
      this.log('policy bundle store reachable again');
    }
    if (!activation) {
      if (this.state.kind !== 'none') {
        this.log('NO ACTIVE POLICY BUNDLE: every action is refused with SILENCE (policy_unavailable) until one is published and activated', { level: 'error' });
      }
      this.state = { kind: 'none' };
      return;
    }
    const state = this.state;
    if ((state.kind === 'ready' && state.set.digest === activation.digest) || (state.kind === 'rejected' && state.digest === activation.digest)) return;
    try {
      const set = this.compiled.get(activation.digest) ?? this.compile(bundle as StoredBundle);
      this.compiled.set(activation.digest, set);
      this.state = { kind: 'ready', set, activation };
      this.lastVerified = set;
      this.log(
        `policy bundle ${describeSet(set)} is active (revision ${activation.revision}, activated by ${activation.activatedBy} at ${activation.activatedAt}` +
          `${activation.rollback ? ', a rollback' : ''})`,
        { policyVersion: set.version, policyDigest: set.digest, revision: activation.revision, activatedBy: activation.activatedBy, rollback: activation.rollback },
      );
    } catch (err) {
      const error = asError(err);
      const code = codeOf(error);
      this.state = { kind: 'rejected', digest: activation.digest, version: activation.version, code, error };
      this.logRejected(bundle as StoredBundle, code, error, 'it was activated, but every new action is refused with SILENCE (policy_unavailable) until a valid bundle is activated');
    }
  }

  private async loadPinned(digest: Digest): Promise<CompiledPolicySet | undefined> {
    let bundle: StoredBundle | undefined;
    try {
      bundle = await this.store.get(digest);
    } catch (err) {
      this.log(`pinned policy bundle ${digest} cannot be fetched (${firstLine(asError(err))}): the action is refused with SILENCE (policy_unavailable)`, { level: 'error', policyDigest: digest });
      return undefined;
    }
    if (!bundle) {
      this.log(`pinned policy bundle ${digest} is not in the bundle store: the action is refused with SILENCE (policy_unavailable)`, { level: 'error', policyDigest: digest });
      return undefined;
    }
    try {
      const set = this.compile(bundle);
      this.compiled.set(digest, set);
      return set;
    } catch (err) {
      const error = asError(err);
      this.logRejected(bundle, codeOf(error), error, 'actions pinned to it are refused with SILENCE (policy_unavailable)');
      return undefined;
    }
  }

  /** Verify (trusted key, signature, canonical bytes), check the digest it is stored under, compile. */
  private compile(bundle: StoredBundle): CompiledPolicySet {
    const verified = verifyBundle(bundle.text, this.trusted, this.now());
    if (!digestsEqual(verified.digest, bundle.digest)) {
      throw new BundleStoreError('DIGEST_MISMATCH', `stored under ${bundle.digest} but its content is ${verified.digest}`, {
        digest: bundle.digest,
        actual: verified.digest,
      });
    }
    const set = compileVerifiedBundle(verified);
    this.accept(set);
    return set;
  }

  private logRejected(bundle: StoredBundle, code: string, error: Error, consequence: string): void {
    this.log(`POLICY BUNDLE REJECTED: ${code}: bundle ${bundle.version} (${bundle.digest}, signed by ${bundle.keyId}): ${firstLine(error)}; ${consequence}`, {
      level: 'error',
      event: 'policy_bundle_rejected',
      code,
      policyVersion: bundle.version,
      policyDigest: bundle.digest,
      keyId: bundle.keyId,
      error: firstLine(error),
    });
  }

  private async listen(): Promise<void> {
    if (this.closed || !this.connectListener) return;
    let client: pg.Client | undefined;
    try {
      client = await this.connectListener();
      const connected = client;
      let lost = false;
      const onLost = (err: Error) => {
        if (lost) return;
        lost = true;
        if (this.listener === connected) this.listener = undefined;
        connected.removeAllListeners('notification');
        void connected.end().catch(() => undefined);
        if (this.closed) return;
        this.listenerDown = true;
        this.log(`lost the policy activation listener (${firstLine(err)}); polling every ${this.pollMs / 1000} s meanwhile, reconnecting`, { level: 'warn', error: firstLine(err) });
        this.scheduleListen();
      };
      connected.on('error', onLost);
      connected.on('end', () => onLost(new Error('connection ended')));
      connected.on('notification', (message) => {
        if (message.channel === POLICY_ACTIVATION_CHANNEL) void this.refresh();
      });
      await connected.query(`LISTEN ${POLICY_ACTIVATION_CHANNEL}`);
      if (this.closed) {
        await connected.end().catch(() => undefined);
        return;
      }
      this.listener = connected;
      this.reconnectDelay = this.reconnectMs.min;
      if (this.listenerDown) {
        this.listenerDown = false;
        this.log('listening for policy activations again');
        // Notifications sent while the listener was away are lost: look now.
        void this.refresh();
      }
    } catch (err) {
      await client?.end().catch(() => undefined);
      if (this.closed) return;
      if (!this.listenerDown) {
        this.log(`cannot listen for policy activations (${firstLine(asError(err))}); polling every ${this.pollMs / 1000} s meanwhile, retrying`, { level: 'warn', error: firstLine(asError(err)) });
      }
      this.listenerDown = true;
      this.scheduleListen();
    }
  }

  private scheduleListen(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(this.reconnectMs.max, delay * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.listen();
    }, delay);
    this.reconnectTimer.unref();
  }
}

function describeSet(set: CompiledPolicySet): string {
  return set.version === null ? set.digest : `${set.version} (${set.digest})`;
}

function codeOf(error: Error): string {
  return error instanceof ActionGateError ? error.code : 'ERROR';
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function firstLine(error: Error): string {
  return error.message.split('\n')[0] ?? '';
}
