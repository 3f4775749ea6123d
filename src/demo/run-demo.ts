import type { ActionGateClient } from '../client/actiongate-client.js';
import { demoSigner } from './demo-keys.js';
import type { ActionResult } from '../action/action-result.js';
import type { DemoGate, DemoStep } from './demo-scenario.js';

export interface DemoRow {
  step: number;
  title: string;
  surface: string;
  actor: string;
  outcome: string;
  expected: string;
  reasons: string[];
  /** Calls the external system received for this key, after the step. */
  callsForKey: number;
  /** Calls this step caused (0 for a duplicate answered from the first run). */
  newCalls: number;
  decisionMs: number;
  doneMs: number;
  /** performance.now() when the decision arrived. */
  decidedAt: number;
}

export interface DemoDeps {
  gates: Record<DemoGate, ActionGateClient>;
  /** How many calls the external system has received for a key so far. */
  callsFor(idempotencyKey: string): number;
  progress?: (line: string) => void;
}

/** Runs the steps one after another, timing submit → decision and submit → done. */
export async function runDemo(steps: DemoStep[], deps: DemoDeps): Promise<DemoRow[]> {
  const rows: DemoRow[] = [];
  for (const [index, step] of steps.entries()) {
    const before = deps.callsFor(step.request.idempotencyKey);
    deps.progress?.(`[${index + 1}/${steps.length}] ${step.title} ...`);
    const started = performance.now();
    // Each agent signs with its own key (demo keys: src/demo/demo-keys.ts).
    const submitted = await deps.gates[step.gate].submit(step.request, { signer: demoSigner(step.signedBy ?? step.request.actor.id) });
    const decidedAt = performance.now();
    const decisionMs = decidedAt - started;
    const result: ActionResult = await submitted.result();
    const doneMs = performance.now() - started;
    const after = deps.callsFor(step.request.idempotencyKey);
    rows.push({
      step: index + 1,
      title: step.title,
      surface: step.request.surface,
      actor: step.request.actor.id,
      outcome: result.outcome,
      expected: step.expected,
      reasons: result.reasons,
      callsForKey: after,
      newCalls: after - before,
      decisionMs,
      doneMs,
      decidedAt,
    });
    deps.progress?.(`[${index + 1}/${steps.length}] ${result.outcome} ${result.reasons.join(', ')} (${Math.round(doneMs)} ms)`);
  }
  return rows;
}
