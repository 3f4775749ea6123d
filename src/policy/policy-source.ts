import type { Digest } from '../request/digest.js';
import { compilePolicySet, type CompiledPolicySet } from './policy-set.js';
import { readPolicyDir } from './policy-files.js';

/**
 * Where a worker gets policies from. `active()` is the set a new action pins; `pinned(digest)`
 * returns exactly that set or undefined, never a different one (no fallback to older or built-in
 * policies). Both may be slow (a remote bundle store), hence async.
 */
export interface PolicySource {
  active(): Promise<CompiledPolicySet>;
  pinned(digest: Digest): Promise<CompiledPolicySet | undefined>;
}

/** A policy set loaded once at start; if loading failed, every call rethrows that failure. */
export class StaticPolicySource implements PolicySource {
  constructor(private readonly loaded: { set: CompiledPolicySet } | { error: Error }) {}

  async active(): Promise<CompiledPolicySet> {
    if ('error' in this.loaded) throw this.loaded.error;
    return this.loaded.set;
  }

  async pinned(digest: Digest): Promise<CompiledPolicySet | undefined> {
    if ('error' in this.loaded) return undefined;
    return this.loaded.set.digest === digest ? this.loaded.set : undefined;
  }
}

/**
 * Reads and compiles a policy directory once. A failure does not throw: the returned source
 * answers every action with SILENCE (policy_unavailable), and `error` says why, to be reported loudly.
 */
export async function loadStaticPolicySource(dir: string): Promise<{ source: StaticPolicySource; set?: CompiledPolicySet; error?: Error }> {
  try {
    const set = compilePolicySet(await readPolicyDir(dir));
    return { source: new StaticPolicySource({ set }), set };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    return { source: new StaticPolicySource({ error }), error };
  }
}
