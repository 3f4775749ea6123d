// examples/vercel-ai/gated-tools.ts with the real Vercel AI SDK loop (generateText) and a scripted
// model (MockLanguageModelV2) that calls the governed tool twice, against a real `actiongate serve`
// stack: the permitted transfer reaches the external system once, the denied one never, and the
// model reads the refusal as the tool's result.
import { generateText, stepCountIs } from 'ai';
import { MockLanguageModelV2 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionGateHttpClient } from '../../src/client/http-client.js';
import { paymentTools } from '../../examples/vercel-ai/gated-tools.js';
import { startApiStack, type ApiStack } from '../support/api-server.js';
import { uniqueId } from '../support/harness.js';

let stack: ApiStack;

beforeAll(async () => {
  stack = await startApiStack();
});

afterAll(async () => {
  await stack?.stop();
});

const usage = { inputTokens: 10, outputTokens: 10, totalTokens: 20 };

/** One model turn that calls transfer_money. */
function callTransfer(toolCallId: string, input: Record<string, unknown>) {
  return { content: [{ type: 'tool-call' as const, toolCallId, toolName: 'transfer_money', input: JSON.stringify(input) }], finishReason: 'tool-calls' as const, usage, warnings: [] };
}

describe('when a scripted model pays twice through the governed tool', () => {
  it('the permitted payment reaches the external system once, the denied one never, and the model reads the refusal', async () => {
    const permittedCall = uniqueId('call');
    const deniedCall = uniqueId('call');
    const model = new MockLanguageModelV2({
      doGenerate: [
        callTransfer(permittedCall, { to: 'acct-7', amount: 12_000, currency: 'EUR', reference: 'INV-17' }),
        callTransfer(deniedCall, { to: 'acct-7', amount: 500_000, currency: 'EUR' }),
        { content: [{ type: 'text' as const, text: 'Paid 120.00 EUR; the 5,000.00 EUR payment was refused.' }], finishReason: 'stop' as const, usage, warnings: [] },
      ],
    });
    const gate = new ActionGateHttpClient({ baseUrl: stack.url, token: await stack.token('agent-42'), poll: { initialMs: 50 } });

    const outcome = await generateText({
      model,
      tools: paymentTools({ gate, actor: { id: 'agent-42', type: 'agent' } }),
      stopWhen: stepCountIs(5),
      prompt: 'Pay invoice INV-17 (120 EUR) and the 5000 EUR deposit, both to acct-7.',
    });

    const results = outcome.steps.flatMap((step) => step.toolResults);
    expect(results.map((r) => r.toolCallId)).toEqual([permittedCall, deniedCall]);

    // PERMIT: the tool returned what the external system answered, which got the call exactly once.
    const permittedKey = `ai.payments.transfer.${permittedCall}`;
    expect(stack.fake.callsFor(permittedKey)).toHaveLength(1);
    expect(stack.fake.callsFor(permittedKey)[0]?.body).toEqual({ amount: 12_000, currency: 'EUR', to: 'acct-7', reference: 'INV-17' });
    expect(results[0]?.output).toEqual({ httpStatus: 200, body: { accepted: true, n: 1 } });

    // DENY: nothing dispatched; the model's next turn has the refusal as the tool result.
    expect(stack.fake.callsFor(`ai.payments.transfer.${deniedCall}`)).toHaveLength(0);
    const refusal = results[1]?.output as { refused: boolean; outcome: string; reasons: string[]; receiptId: string; message: string };
    expect(refusal).toMatchObject({ refused: true, outcome: 'DENY', reasons: ['payments.forbid-agent-over-limit'] });
    expect(refusal.receiptId).toMatch(/^sha256:[0-9a-f]{64}$/);
    const { rows } = await stack.pool.query<{ outcome: string }>('SELECT outcome FROM receipts WHERE receipt_id = $1', [refusal.receiptId]);
    expect(rows[0]?.outcome).toBe('DENY');

    const lastPrompt = JSON.stringify(model.doGenerateCalls.at(-1)?.prompt);
    expect(lastPrompt).toContain('ActionGate refused this action (DENY: payments.forbid-agent-over-limit)');
    expect(lastPrompt).toContain(refusal.receiptId);
    expect(outcome.text).toBe('Paid 120.00 EUR; the 5,000.00 EUR payment was refused.');
  });

  it('a tool call the SDK runs again is the same action: one dispatch', async () => {
    const callId = uniqueId('call');
    const tools = paymentTools({ gate: new ActionGateHttpClient({ baseUrl: stack.url, token: await stack.token('agent-42') }), actor: { id: 'agent-42', type: 'agent' } });
    const input = { to: 'acct-7', amount: 1_000, currency: 'EUR' as const };
    const first = await tools.transfer_money.execute?.(input, { toolCallId: callId, messages: [] });
    const again = await tools.transfer_money.execute?.(input, { toolCallId: callId, messages: [] });
    expect(again).toEqual(first);
    expect(stack.fake.callsFor(`ai.payments.transfer.${callId}`)).toHaveLength(1);
  });
});
