// What a tools/call answers the model, from the gate's decision and the action's result. Every
// answer but the upstream's own success is ActionGate speaking: text the model can read (what
// happened, why, what to do next) and the same facts as structuredContent, with the receipt ids.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ActionDecision, ActionResult } from '../action/action-result.js';
import type { OperatorWait } from '../receipt/receipt-body.js';

/** The `_meta` key of every answer: the idempotency key and receipts of the action behind it. */
export const ANSWER_META_KEY = 'actiongate/action';

/** The structuredContent of ActionGate's own answers. */
export interface GateAnswer {
  /** The decision's outcome; after operators answered, theirs (`PERMIT` or `DENY`). */
  outcome: string;
  /** Policy ids or gate reasons, sorted. */
  reasons: string[];
  /** Why a refusal was made, when the reasons alone do not say. */
  detail: string | null;
  /** The action's key: the same arguments reach the same action (and its first answer) again. */
  idempotencyKey: string;
  receipts: { decision: string | null; outcome: string | null };
  /** What dispatch did, once the action ended. */
  dispatch?: { status: string; error: { code: string; message: string } | null };
  /** Present while the action waits for operators. */
  waitsFor?: OperatorWait;
}

/** DENY or SILENCE (or any decision that lets nothing through and waits for no one): nothing was sent to the tool. */
export function refusalAnswer(decision: ActionDecision): CallToolResult {
  const why =
    decision.outcome === 'SILENCE'
      ? 'the gate could not accept this request as it is (see the reasons); '
      : 'the policies forbid it; ';
  return gateError(
    [
      `ActionGate refused this action: ${decision.outcome}. Nothing was sent to the tool.`,
      `It was refused because ${why}calling again with the same arguments gets the same answer.`,
      ...decisionLines(decision),
    ],
    answerOf(decision, { decision: decision.receipts.decision, outcome: null }),
  );
}

/** A STEP_UP (or a break-glass DENY) whose operators have not answered within the wait. */
export function waitingForOperatorsAnswer(decision: ActionDecision): CallToolResult {
  const wait = decision.waitsFor;
  const whom = wait ? `${wait.kind === 'approval' ? 'approval' : 'an override'} by ${requirementsLabel(wait)} until ${wait.until}` : 'operators';
  return gateError(
    [
      `ActionGate has not carried out this action yet: ${decision.outcome}, it waits for ${whom}. Nothing was sent to the tool so far.`,
      'Call this tool again later with the same arguments to learn how it ended; it is never carried out twice.',
      ...decisionLines(decision),
    ],
    { ...answerOf(decision, { decision: decision.receipts.decision, outcome: null }), ...(wait ? { waitsFor: wait } : {}) },
  );
}

/** A permitted action whose dispatch had not ended within the wait (the upstream is slow, or down and retried). */
export function dispatchPendingAnswer(decision: ActionDecision): CallToolResult {
  return gateError(
    [
      `ActionGate permitted this action (${decision.outcome}) and is still carrying it out: the tool has not answered yet (it may be retried).`,
      'Call this tool again later with the same arguments to get its result; it is never carried out twice.',
      ...decisionLines(decision),
    ],
    answerOf(decision, { decision: decision.receipts.decision, outcome: null }),
  );
}

/**
 * The end of the action. Dispatch succeeded: the upstream tool's own answer (its content and
 * structuredContent, from `dispatch.result`), or, when that answer is not at hand (too large to be
 * passed back, rebuilt from receipts after Temporal forgot the run), a text saying it was carried
 * out, with the outcome receipt. Anything else is an error the model can read.
 */
export function resultAnswer(result: ActionResult): CallToolResult {
  const receipts = { decision: result.receipts.decision, outcome: result.receipts.outcome };
  const facts: GateAnswer = {
    ...answerOf(result, receipts),
    ...(result.operators ? { outcome: result.operators.outcome, reasons: result.operators.reasons } : {}),
    dispatch: { status: result.dispatch.status, error: result.dispatch.error },
  };
  const meta = { [ANSWER_META_KEY]: { idempotencyKey: result.idempotencyKey, receipts } };
  if (result.dispatch.status === 'succeeded') {
    const upstream = toolResultOf(result.dispatch.result);
    if (upstream.kind === 'tool') return { ...upstream.answer, _meta: meta };
    return {
      content: [
        text(
          [
            `ActionGate carried out this action (${facts.outcome}) and the tool succeeded, but its answer is not available here: ${upstream.why}.`,
            `Outcome receipt: ${receipts.outcome}`,
            `Idempotency key: ${result.idempotencyKey}`,
          ].join('\n'),
        ),
      ],
      structuredContent: { ...facts },
      _meta: meta,
    };
  }
  const lines =
    result.dispatch.status === 'failed'
      ? [`ActionGate permitted this action (${facts.outcome}), but the tool failed: ${errorLine(result.dispatch.error)}.`]
      : result.dispatch.status === 'skipped'
        ? [
            `ActionGate did not carry out this action: ${result.operators ? `operators answered ${result.operators.outcome}` : result.outcome}.` +
              (result.dispatch.error ? ` ${errorLine(result.dispatch.error)}.` : ''),
          ]
        : [`ActionGate cannot tell whether this action was carried out (dispatch status ${result.dispatch.status}); check the receipts before trying again.`];
  return gateError([...lines, ...decisionLines({ ...result, ...facts }), `Outcome receipt: ${receipts.outcome ?? 'none'}`], facts);
}

/** An answer for a call the gateway could not put to the gate, or that the gate could not finish. */
export function gatewayErrorAnswer(message: string, facts: Record<string, unknown> = {}): CallToolResult {
  return { content: [text(message)], structuredContent: facts, isError: true };
}

function gateError(lines: string[], facts: GateAnswer): CallToolResult {
  return {
    content: [text(lines.join('\n'))],
    structuredContent: { ...facts },
    isError: true,
    _meta: { [ANSWER_META_KEY]: { idempotencyKey: facts.idempotencyKey, receipts: facts.receipts } },
  };
}

function answerOf(decision: Pick<ActionDecision, 'outcome' | 'reasons' | 'detail' | 'idempotencyKey'>, receipts: GateAnswer['receipts']): GateAnswer {
  return { outcome: decision.outcome, reasons: [...decision.reasons], detail: decision.detail, idempotencyKey: decision.idempotencyKey, receipts };
}

function decisionLines(decision: Pick<ActionDecision, 'reasons' | 'detail' | 'idempotencyKey'> & { receipts: { decision: string | null } }): string[] {
  return [
    `Reasons: ${decision.reasons.length > 0 ? decision.reasons.join(', ') : '(none)'}`,
    ...(decision.detail ? [`Detail: ${decision.detail}`] : []),
    `Decision receipt: ${decision.receipts.decision ?? '(not recorded yet)'}`,
    `Idempotency key: ${decision.idempotencyKey}`,
  ];
}

function errorLine(error: { code: string; message: string } | null): string {
  return error ? `${error.code}: ${error.message}` : 'no error was recorded';
}

/** `2 of treasury`, `1 of sre or security and 1 of legal`. */
function requirementsLabel(wait: OperatorWait): string {
  return wait.requirements.map((r) => `${r.quorum} of ${r.groups.join(' or ')}`).join(' and ');
}

function text(value: string): { type: 'text'; text: string } {
  return { type: 'text', text: value };
}

/**
 * The upstream's tool result in what the connector returned: the MCP connector's
 * `{ content, structuredContent?, isError: false }`. Another connector's answer (an HTTP
 * connector's `{ httpStatus, body }`) is shown as JSON text.
 */
function toolResultOf(result: unknown): { kind: 'tool'; answer: CallToolResult } | { kind: 'none'; why: string } {
  if (result === undefined) return { kind: 'none', why: 'it was larger than the gate passes back, or this answer was rebuilt from the receipts' };
  if (typeof result === 'object' && result !== null && !Array.isArray(result)) {
    const r = result as Record<string, unknown>;
    if (typeof r['answerOmitted'] === 'string') return { kind: 'none', why: r['answerOmitted'] };
    if (Array.isArray(r['content'])) {
      const structured = r['structuredContent'];
      return {
        kind: 'tool',
        answer: {
          content: r['content'] as CallToolResult['content'],
          ...(typeof structured === 'object' && structured !== null && !Array.isArray(structured) ? { structuredContent: structured as Record<string, unknown> } : {}),
        },
      };
    }
  }
  return { kind: 'tool', answer: { content: [text(JSON.stringify(result))] } };
}
