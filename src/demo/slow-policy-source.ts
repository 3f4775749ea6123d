import type { PolicySource } from '../policy/policy-source.js';

/**
 * A policy source whose pinned sets arrive only after `delayMs`, like a bundle store that hangs.
 * The demo uses it to show a gate that misses its budget turning into a DENY (gate_timeout).
 */
export function slowPolicySource(source: PolicySource, delayMs: number): PolicySource {
  return {
    active: () => source.active(),
    pinned: async (digest) => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return source.pinned(digest);
    },
  };
}
