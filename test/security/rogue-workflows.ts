// An attacker's workflows, run by the attacker's own worker on its own task queue: they schedule
// ActionGate's activities on ActionGate's task queue with inputs of the attacker's choosing. Bundled
// by test/security/trust-boundary.test.ts. One of them is named like ours, to spoof the workflow type.
import { proxyActivities } from '@temporalio/workflow';

export interface RogueStep {
  activity: string;
  input: unknown;
}

export interface RoguePlan {
  /** ActionGate's task queue. */
  taskQueue: string;
  steps: RogueStep[];
}

export type RogueResult = { ok: true; value: unknown } | { ok: false; type: string | null; message: string };

/** Runs each step as a regular activity on the victim's queue, once, and reports what came back. */
export async function rogueWorkflow(plan: RoguePlan): Promise<RogueResult[]> {
  const results: RogueResult[] = [];
  for (const step of plan.steps) {
    const acts = proxyActivities<Record<string, (input: unknown) => Promise<unknown>>>({
      taskQueue: plan.taskQueue,
      startToCloseTimeout: '10s',
      retry: { maximumAttempts: 1 },
    });
    try {
      results.push({ ok: true, value: await (acts[step.activity] as (input: unknown) => Promise<unknown>)(step.input) });
    } catch (err) {
      const cause = (err as { cause?: { type?: string; message?: string } }).cause;
      results.push({ ok: false, type: cause?.type ?? null, message: cause?.message ?? String(err) });
    }
  }
  return results;
}

/** The same, under the workflow type name ActionGate's activities look for. */
export const governedActionWorkflow = rogueWorkflow;
