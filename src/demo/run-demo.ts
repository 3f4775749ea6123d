import type { WorkflowHandle } from '@temporalio/client';
import type { ActionGateHttpClient } from '../client/http-client.js';
import type { ActionGateClient } from '../client/actiongate-client.js';
import { demoSigner } from './demo-keys.js';
import { within } from '../within.js';
import type { ActionDecision, ActionResult } from '../action/action-result.js';
import { approvalStatement, signApproval } from '../identity/operator-approval.js';
import type { DemoGate, DemoOperators, DemoStep } from './demo-scenario.js';
import { SEARCH_ATTRIBUTES, operatorApprovalSignal, operatorsQuery, type OperatorsView } from '../../workflows/contract.js';
import type { governedActionWorkflow } from '../../workflows/governed-action.js';

export interface DemoRow {
  step: number;
  title: string;
  surface: string;
  actor: string;
  /** The decision's outcome; for an action that waited for operators, `<decision> → <their answer>`. */
  outcome: string;
  expected: string;
  /** The decision's reasons. */
  reasons: string[];
  /** Calls the external system received for this key, after the step. */
  callsForKey: number;
  /** Calls this step caused (0 for a duplicate answered from the first run). */
  newCalls: number;
  decisionMs: number;
  doneMs: number;
  /** performance.now() when the decision arrived. */
  decidedAt: number;
  /** The step's receipts and dispatch, for actions that waited for operators (shown under the table). */
  receipts?: { decision: string | null; outcome: string | null; dispatch: string };
  operators?: DemoOperatorsReport;
}

/** What happened while an action waited for operators. */
export interface DemoOperatorsReport {
  kind: 'approval' | 'override';
  /** Who the gate waits for, e.g. `2 of treasury`; null if it never said. */
  needs: string | null;
  until: string | null;
  /** One entry per signed answer sent, with what the gate said to it. */
  answers: Array<{ operatorId: string; verdict: string; said: string }>;
  /** The approval or override receipt; null if none was recorded. */
  resolution: { outcome: 'PERMIT' | 'DENY'; reasons: string[]; operators: string[]; receiptId: string | null } | null;
  /** The workflow's ActionOperators search attribute at the end. */
  searchAttribute: string | null;
  /** What went wrong, if the operators' answers did not go as scripted. */
  problem: string | null;
}

export interface DemoDeps {
  gates: Record<Exclude<DemoGate, 'http'>, ActionGateClient> & { http?: Pick<ActionGateHttpClient, 'submit'> };
  /** How many calls the external system has received for a key so far. */
  callsFor(idempotencyKey: string): number;
  progress?: (line: string) => void;
}

/** How long the demo waits for the gate to say what became of one operator's answer. */
const ANSWER_WAIT_MS = 15_000;
/** How long a signed demo approval holds. */
const APPROVAL_EXPIRES_MS = 10 * 60_000;
const POLL_MS = 100;
/** How long the demo waits for the result of an action its operators did not resolve. */
const UNRESOLVED_RESULT_WAIT_MS = 5_000;

/** Runs the steps one after another, timing submit → decision and submit → done. */
export async function runDemo(steps: DemoStep[], deps: DemoDeps): Promise<DemoRow[]> {
  const rows: DemoRow[] = [];
  for (const [index, step] of steps.entries()) {
    const before = deps.callsFor(step.request.idempotencyKey);
    const say = (line: string) => deps.progress?.(`[${index + 1}/${steps.length}] ${line}`);
    say(`${step.title} ...`);
    const gate = deps.gates[step.gate === 'slow' ? 'slow' : 'normal'];
    const http = deps.gates.http;
    if (step.gate === 'http' && !http) throw new Error(`step ${index + 1} goes through the HTTP API, which is not running`);
    const started = performance.now();
    // Each agent signs with its own key (demo keys: src/demo/demo-keys.ts); over HTTP the API attests it.
    const submitted =
      step.gate === 'http' && http
        ? await http.submit(step.request, { wait: 10 })
        : await gate.submit(step.request, { signer: demoSigner(step.signedBy ?? step.request.actor.id) });
    const decidedAt = performance.now();
    const decisionMs = decidedAt - started;
    let result: ActionResult | undefined;
    let operators: DemoOperatorsReport | undefined;
    if (step.operators) {
      say(`the agent is answered ${submitted.decision.outcome} ${submitted.decision.reasons.join(', ')} (${Math.round(decisionMs)} ms); operators answer`);
      operators = await answerAsOperators(gate, submitted.decision, step.operators, say);
      // Unresolved, it may wait for its window to close (minutes): the demo gives it a moment only.
      result = operators.resolution ? await submitted.result() : await within(submitted.result(), UNRESOLVED_RESULT_WAIT_MS);
      if (result) {
        operators.searchAttribute = await operatorsAttribute(gate.workflow(submitted.decision.workflowId, submitted.decision.runId));
        checkResolution(operators, result);
      }
    } else {
      result = await submitted.result();
    }
    const doneMs = performance.now() - started;
    const after = deps.callsFor(step.request.idempotencyKey);
    const decision = result ?? submitted.decision;
    rows.push({
      step: index + 1,
      title: step.title,
      surface: step.request.surface,
      actor: step.request.actor.id,
      outcome: step.operators ? `${decision.outcome} → ${operators?.resolution?.outcome ?? 'unresolved'}` : decision.outcome,
      expected: step.operators ? `${step.expected} → ${step.operators.expected}` : step.expected,
      reasons: decision.reasons,
      callsForKey: after,
      newCalls: after - before,
      decisionMs,
      doneMs,
      decidedAt,
      ...(operators
        ? {
            operators,
            receipts: {
              decision: submitted.decision.receipts.decision,
              outcome: result?.receipts.outcome ?? null,
              dispatch: result ? result.dispatch.status : 'not settled',
            },
          }
        : {}),
    });
    say(`${decision.outcome} ${decision.reasons.join(', ')}${operators?.resolution ? ` → ${operators.resolution.outcome} ${operators.resolution.reasons.join(', ')}` : ''} (${Math.round(doneMs)} ms)`);
    if (operators?.problem) say(`PROBLEM: ${operators.problem}`);
  }
  return rows;
}

type GovernedHandle = WorkflowHandle<typeof governedActionWorkflow>;

/**
 * Plays the operators: each signs a statement bound to this action's workflow, run, request hash
 * and decision receipt with their demo key and sends it as the `operator-approval` signal, then
 * the demo asks the workflow (`operators` query) what the gate made of it before the next one.
 */
async function answerAsOperators(
  gate: ActionGateClient,
  decision: ActionDecision,
  plan: DemoOperators,
  say: (line: string) => void,
): Promise<DemoOperatorsReport> {
  const report: DemoOperatorsReport = { kind: plan.kind, needs: null, until: null, answers: [], resolution: null, searchAttribute: null, problem: null };
  const decisionReceiptId = decision.receipts.decision;
  if (decisionReceiptId === null) {
    report.problem = `the decision ${decision.outcome} has no receipt: nothing to approve`;
    return report;
  }
  const handle = gate.workflow(decision.workflowId, decision.runId);
  let view = await waitForView(handle, () => true);
  if (!view) {
    report.problem = `the action does not wait for operators (decision ${decision.outcome} ${decision.reasons.join(', ')})`;
    return report;
  }
  report.needs = needsLabel(view);
  report.until = view.until;
  if (view.kind !== plan.kind) report.problem = `it waits for ${view.kind}, not ${plan.kind}`;
  for (const answer of plan.answers) {
    const statement = approvalStatement({ ...decision, decisionReceiptId }, { ...answer, validForMs: APPROVAL_EXPIRES_MS });
    const refusedBefore = refusalsOf(view, answer.operatorId);
    // On the operator's machine in real life (actiongate approve / break-glass): the key never reaches a worker.
    await handle.signal(operatorApprovalSignal, signApproval(statement, demoSigner(answer.operatorId)));
    const answered = (v: OperatorsView) =>
      v.resolution !== null || v.counted.some((c) => c.operatorId === answer.operatorId) || refusalsOf(v, answer.operatorId) > refusedBefore;
    const next = await waitForView(handle, answered);
    let said: string;
    if (!next || !answered(next)) {
      said = `no answer within ${ANSWER_WAIT_MS / 1000} s`;
      report.problem = `${answer.operatorId}'s ${answer.verdict}: ${said}`;
    } else if (next.resolution) {
      said = `${next.resolution.outcome} ${next.resolution.reasons.join(', ')}: the ${next.kind} receipt is on record`;
    } else if (refusalsOf(next, answer.operatorId) > refusedBefore) {
      const refusal = [...next.refused].reverse().find((r) => r.operatorId === answer.operatorId);
      said = `refused: ${refusal?.rejection ?? 'unknown'} ${refusal?.detail ?? ''}`.trimEnd();
      report.problem = `${answer.operatorId}'s ${answer.verdict} was ${said}`;
    } else {
      said = `counted, ${next.counted.length} of ${quorumOf(next)}: still waiting`;
    }
    report.answers.push({ operatorId: answer.operatorId, verdict: answer.verdict, said });
    say(`${answer.operatorId} signs ${answer.verdict}: ${said}`);
    if (next) view = next;
    if (report.problem || view.resolution) break;
  }
  if (view.resolution) {
    report.resolution = { outcome: view.resolution.outcome, reasons: view.resolution.reasons, operators: [], receiptId: view.resolution.receiptId };
  } else if (!report.problem) {
    report.problem = `every scripted answer was sent and the action still waits (${view.counted.length} of ${quorumOf(view)} counted)`;
  }
  return report;
}

/** The workflow's result must agree with what the operators query said. */
function checkResolution(report: DemoOperatorsReport, result: ActionResult): void {
  const resolved = result.operators;
  if (!resolved) {
    report.problem ??= 'the result says nothing about operators';
    return;
  }
  report.resolution = { outcome: resolved.outcome, reasons: resolved.reasons, operators: resolved.operators, receiptId: resolved.receiptId };
}

/** Asks the workflow where its operators stand until `done` holds (null: it does not wait for them). */
async function waitForView(handle: GovernedHandle, done: (view: OperatorsView) => boolean): Promise<OperatorsView | null | undefined> {
  const deadline = Date.now() + ANSWER_WAIT_MS;
  let last: OperatorsView | null | undefined;
  for (;;) {
    try {
      last = await handle.query(operatorsQuery);
      if (last === null || done(last)) return last;
    } catch {
      // Not yet: the query's handler is set once the decision is on record.
    }
    if (Date.now() >= deadline) return last;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function operatorsAttribute(handle: GovernedHandle): Promise<string | null> {
  try {
    return (await handle.describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTES.operators) ?? null;
  } catch {
    return null;
  }
}

function refusalsOf(view: OperatorsView, operatorId: string): number {
  return view.refused.filter((r) => r.operatorId === operatorId).length;
}

function quorumOf(view: OperatorsView): number {
  return view.requirements.reduce((sum, r) => sum + r.quorum, 0);
}

function needsLabel(view: OperatorsView): string {
  return view.requirements.map((r) => `${r.quorum} of ${r.groups.join(' or ')}`).join(' and ');
}
