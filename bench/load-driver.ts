// Runs actions through one variant at a fixed concurrency and times each one.
import { randomUUID } from 'node:crypto';
import type { ActionRequest } from '../src/request/action-request.js';
import type { ActionTiming, SubmitAction, Variant } from './variants.js';

export interface RoundResult {
  variant: Variant;
  timings: ActionTiming[];
  failures: string[];
  /** From the first submit to the last result. */
  wallMs: number;
}

/** A payments transfer the sample policies permit (agent, 120.00 EUR), under a fresh key. */
export function benchRequest(variant: Variant, runId: string): ActionRequest {
  return {
    idempotencyKey: `bench-${runId}-${variant}-${randomUUID()}`,
    actor: { id: 'agent-42', type: 'agent' },
    surface: 'payments',
    action: 'transfer',
    target: { type: 'account', id: 'acct-7' },
    context: { amount: 12_000, currency: 'EUR' },
    payload: { amount: 12_000, currency: 'EUR', to: 'acct-7' },
  };
}

/** `count` actions of one variant, at most `concurrency` in flight at once. */
export async function runRound(options: {
  variant: Variant;
  submit: SubmitAction;
  count: number;
  concurrency: number;
  runId: string;
}): Promise<RoundResult> {
  const timings: ActionTiming[] = [];
  const failures: string[] = [];
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < options.count) {
      next++;
      const request = benchRequest(options.variant, options.runId);
      try {
        timings.push(await options.submit(request));
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, lane));
  return { variant: options.variant, timings, failures, wallMs: performance.now() - started };
}
