// Governed tools for the Vercel AI SDK (`ai` 5): each call the model makes becomes an ActionRequest
// submitted through ActionGate's HTTP API. Only a PERMIT reaches the external system, and the tool
// returns what that system answered; a DENY or SILENCE comes back to the model as the tool's result
// (outcome, reasons, receipt id), in words it can pass on, so it neither retries nor pretends.
//
//   import { openai } from '@ai-sdk/openai';
//   import { generateText, stepCountIs } from 'ai';
//   const gate = new ActionGateHttpClient({ baseUrl: process.env.ACTIONGATE_URL!, token: process.env.ACTIONGATE_TOKEN });
//   const tools = paymentTools({ gate, actor: { id: 'agent-42', type: 'agent' } });
//   const { text } = await generateText({ model: openai('gpt-4o'), tools, stopWhen: stepCountIs(5), prompt: 'Pay invoice 17: 120 EUR to acct-7' });
//
// (In your project, import from 'actiongate/client'; this repository imports its sources.)
import { createHash } from 'node:crypto';
import { tool, type Tool } from 'ai';
import { z } from 'zod';
import { ActionGateHttpClient, type ActionDecision, type ActionRequestInput, type JsonValue } from '../../src/client/index.js';

/** What a governed tool needs to turn a call into an action. */
export interface GatedToolSpec<INPUT> {
  description: string;
  inputSchema: z.ZodType<INPUT>;
  gate: ActionGateHttpClient;
  /** The agent the actions are attributed to: the principal the gate client authenticates as. */
  actor: { id: string; type: string };
  surface: string;
  action: string;
  target(input: INPUT): { type: string; id: string };
  context(input: INPUT): Record<string, JsonValue>;
  payload?(input: INPUT): JsonValue;
  /**
   * The action's idempotency key. By default it is derived from the tool call's id, so a call the
   * SDK runs again is the same action (answered from the first decision, never dispatched twice).
   */
  idempotencyKey?(input: INPUT, toolCallId: string): string;
  /** Seconds the gate may take to finish the action before the tool answers that it is under way (default 10). */
  wait?: number;
}

/** What the model reads when the gate did not let the action through. */
export interface GateRefusal {
  refused: true;
  outcome: ActionDecision['outcome'];
  reasons: string[];
  detail: string | null;
  receiptId: string | null;
  message: string;
}

/** What the model reads while the action waits for people (a step-up approval, or break-glass). */
export interface GateWaiting {
  refused: false;
  waiting: true;
  outcome: ActionDecision['outcome'];
  reasons: string[];
  receiptId: string | null;
  message: string;
}

/**
 * A tool whose every call goes through the gate.
 *
 * @example
 * const transfer = gatedTool({ description: 'Pay a supplier', inputSchema, gate, actor, surface: 'payments', action: 'transfer',
 *   target: (i) => ({ type: 'account', id: i.to }), context: (i) => ({ amount: i.amount, currency: i.currency }) });
 */
export function gatedTool<INPUT>(spec: GatedToolSpec<INPUT>): Tool<INPUT, unknown> {
  return tool<INPUT, unknown>({
    description: spec.description,
    inputSchema: spec.inputSchema,
    execute: async (input, { toolCallId }) => {
      const request: ActionRequestInput = {
        idempotencyKey: spec.idempotencyKey?.(input, toolCallId) ?? keyOfCall(spec.surface, spec.action, toolCallId),
        actor: spec.actor,
        surface: spec.surface,
        action: spec.action,
        target: spec.target(input),
        context: spec.context(input),
        ...(spec.payload ? { payload: spec.payload(input) } : {}),
      };
      const { decision, result } = await spec.gate.submit(request, { wait: spec.wait ?? 10 });
      if (decision.waitsFor) return waiting(decision);
      if (decision.outcome !== 'PERMIT' && decision.mode === 'enforce') return refusal(decision);
      const final = await result();
      if (final.dispatch.status !== 'succeeded') {
        // Permitted, but the external system did not take it: an error the model should report, not retry.
        throw new Error(`ActionGate permitted ${spec.surface}.${spec.action} but its dispatch ${final.dispatch.status}: ${final.dispatch.error?.message ?? 'no answer'} (receipt ${final.receipts.outcome})`);
      }
      // What the external system answered, as an ungoverned tool would return it.
      return final.dispatch.result;
    },
  });
}

function refusal(decision: ActionDecision): GateRefusal {
  const why = decision.reasons.join(', ') || 'no reason given';
  return {
    refused: true,
    outcome: decision.outcome,
    reasons: decision.reasons,
    detail: decision.detail,
    receiptId: decision.receipts.decision,
    message: `ActionGate refused this action (${decision.outcome}: ${why}). It was not carried out. Do not retry it; tell the user it was refused and why, citing receipt ${decision.receipts.decision ?? '(pending)'}.`,
  };
}

function waiting(decision: ActionDecision): GateWaiting {
  const waits = decision.waitsFor;
  const who = waits?.requirements.map((r) => `${r.quorum} of ${r.groups.join('/')}`).join(' and ') ?? 'operators';
  return {
    refused: false,
    waiting: true,
    outcome: decision.outcome,
    reasons: decision.reasons,
    receiptId: decision.receipts.decision,
    message: `ActionGate holds this action for ${waits?.kind ?? 'approval'} by ${who} until ${waits?.until ?? 'the window closes'}. It has not been carried out yet; tell the user it awaits approval.`,
  };
}

/** A valid idempotency key from the tool call's id (any text): kept when it fits, hashed when not. */
function keyOfCall(surface: string, action: string, toolCallId: string): string {
  const key = `ai.${surface}.${action}.${toolCallId}`;
  if (/^[A-Za-z0-9][A-Za-z0-9._:@=+-]{0,199}$/.test(key)) return key;
  return `ai.${surface}.${action}.${createHash('sha256').update(toolCallId).digest('hex').slice(0, 32)}`;
}

const TransferInput = z.object({
  to: z.string().min(1).describe('The account to pay.'),
  amount: z.int().positive().describe('In minor units of the currency: 12000 is 120.00 EUR.'),
  currency: z.enum(['EUR', 'USD']),
  reference: z.string().max(140).optional().describe('The invoice or reference the payee sees.'),
});

/**
 * The sample payments surface as a tool set: `transfer_money`, governed by policies/payments.
 *
 * @example const tools = paymentTools({ gate, actor: { id: 'agent-42', type: 'agent' } });
 */
export function paymentTools(options: { gate: ActionGateHttpClient; actor: { id: string; type: string }; wait?: number }) {
  return {
    transfer_money: gatedTool({
      description: 'Transfer money to an account. Governed by ActionGate: the result says whether it was carried out, refused, or awaits approval.',
      inputSchema: TransferInput,
      gate: options.gate,
      actor: options.actor,
      surface: 'payments',
      action: 'transfer',
      target: (input) => ({ type: 'account', id: input.to }),
      context: (input) => ({ amount: input.amount, currency: input.currency }),
      payload: (input) => ({ amount: input.amount, currency: input.currency, to: input.to, ...(input.reference ? { reference: input.reference } : {}) }),
      ...(options.wait === undefined ? {} : { wait: options.wait }),
    }),
  };
}
