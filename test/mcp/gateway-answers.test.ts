// What the gateway answers for the decisions and results the real stack rarely produces on cue
// (operators who have not answered, a dispatch still retried, a key reused, a gate that fails),
// through a submitter that answers as scripted. The real stack: mcp-gateway.test.ts.
import { describe, expect, it } from 'vitest';
import type { ActionDecision, ActionResult } from '../../src/action/action-result.js';
import { ClientError } from '../../src/client/client-error.js';
import { demoSigner } from '../../src/demo/demo-keys.js';
import type { Signer } from '../../src/keys/signer.js';
import { parseGatewayConfig } from '../../src/mcp/gateway-config.js';
import { McpGateway, type ActionSubmitter } from '../../src/mcp/mcp-gateway.js';
import type { ActionRequest } from '../../src/request/action-request.js';

const DECISION_RECEIPT = `sha256:${'d'.repeat(64)}`;
const OUTCOME_RECEIPT = `sha256:${'o'.repeat(64)}` as `sha256:${string}`;

function decisionOf(request: ActionRequest, fields: Partial<ActionDecision> = {}): ActionDecision {
  return {
    idempotencyKey: request.idempotencyKey,
    workflowId: request.idempotencyKey,
    runId: 'run-1',
    requestHash: `sha256:${'h'.repeat(64)}`,
    outcome: 'PERMIT',
    reasons: ['payments.permit-agent-transfer'],
    mode: 'enforce',
    policy: { digest: null, version: null },
    receipts: { decision: DECISION_RECEIPT as `sha256:${string}` },
    fromReceipts: false,
    detail: null,
    ...fields,
  };
}

function resultOf(decision: ActionDecision, dispatch: Partial<ActionResult['dispatch']> = {}, fields: Partial<ActionResult> = {}): ActionResult {
  return {
    ...decision,
    receipts: { decision: decision.receipts.decision, outcome: OUTCOME_RECEIPT },
    dispatch: { status: 'succeeded', resultHash: null, error: null, ...dispatch },
    ...fields,
  };
}

/** A submitter that answers each request as `script` says, and records what it was given. */
function scripted(script: (request: ActionRequest) => { decision: ActionDecision; result: () => Promise<ActionResult> } | Error) {
  const submitted: Array<{ request: ActionRequest; signer: Signer }> = [];
  const submitter: ActionSubmitter = {
    async submit(request, options) {
      submitted.push({ request: request as ActionRequest, signer: options.signer });
      const answer = script(request as ActionRequest);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { submitter, submitted };
}

const never = () => new Promise<ActionResult>(() => undefined);

function gatewayWith(submitter: ActionSubmitter, log: (line: string) => void = () => undefined): McpGateway {
  const config = parseGatewayConfig(
    JSON.stringify({
      actor: { id: 'agent-42', type: 'agent' },
      key: 'k.json',
      resultWaitMs: 100,
      operatorWaitMs: 50,
      upstreams: [
        {
          name: 'ledger',
          url: 'http://127.0.0.1:9/mcp',
          surface: 'payments',
          tools: { transfer_funds: { action: 'transfer', target: { type: 'account', id: '/to' }, context: { amount: '/amount', currency: '/currency' } } },
        },
      ],
    }),
    'mcp.json',
  );
  return new McpGateway({ config, signer: demoSigner('agent-42'), submitter, log });
}

const ARGS = { amount: 12_000, currency: 'EUR', to: 'acct-7' };
const textOf = (result: { content: Array<{ type: string; text?: string }> }) => result.content.map((c) => c.text ?? '').join('\n');

describe('when the action waits for operators (STEP_UP)', () => {
  const wait = { kind: 'approval' as const, requirements: [{ groups: ['treasury'], quorum: 2 }], reasonRequired: true, until: '2026-12-01T03:02:18.345Z' };

  it('answers at once that it waits, for whom and until when, and how to learn the end', async () => {
    const { submitter } = scripted((request) => ({ decision: decisionOf(request, { outcome: 'STEP_UP', reasons: ['payments.new-payee-needs-approval'], waitsFor: wait }), result: never }));
    const answer = await gatewayWith(submitter).callTool('transfer_funds', ARGS);
    expect(answer.isError).toBe(true);
    expect(textOf(answer)).toContain('it waits for approval by 2 of treasury until 2026-12-01T03:02:18.345Z');
    expect(textOf(answer)).toContain('Call this tool again later with the same arguments');
    expect(answer.structuredContent).toMatchObject({ outcome: 'STEP_UP', waitsFor: wait, receipts: { decision: DECISION_RECEIPT, outcome: null } });
  });

  it('answers the upstream tool\'s result once operators approved and it was dispatched (a repeat of the call)', async () => {
    const { submitter } = scripted((request) => {
      const decision = decisionOf(request, { outcome: 'STEP_UP', waitsFor: wait });
      const upstream = { content: [{ type: 'text', text: 'Transferred.' }], structuredContent: { transferId: 'tr-1' }, isError: false };
      const operators = { kind: 'approval' as const, outcome: 'PERMIT' as const, reasons: ['approved'], operators: ['olivia', 'omar'], receiptId: null };
      return { decision, result: async () => resultOf(decision, { result: upstream }, { operators }) };
    });
    const answer = await gatewayWith(submitter).callTool('transfer_funds', ARGS);
    expect(answer).toMatchObject({ content: [{ type: 'text', text: 'Transferred.' }], structuredContent: { transferId: 'tr-1' } });
    expect(answer.isError).toBeUndefined();
  });

  it('answers DENY when operators rejected it: nothing was dispatched', async () => {
    const { submitter } = scripted((request) => {
      const decision = decisionOf(request, { outcome: 'STEP_UP', waitsFor: wait });
      const operators = { kind: 'approval' as const, outcome: 'DENY' as const, reasons: ['approval_rejected'], operators: ['olivia'], receiptId: null };
      return { decision, result: async () => resultOf(decision, { status: 'skipped' }, { operators }) };
    });
    const answer = await gatewayWith(submitter).callTool('transfer_funds', ARGS);
    expect(answer.isError).toBe(true);
    expect(textOf(answer)).toMatch(/^ActionGate did not carry out this action: operators answered DENY\./);
    expect(answer.structuredContent).toMatchObject({ outcome: 'DENY', reasons: ['approval_rejected'], dispatch: { status: 'skipped' } });
  });
});

describe('when a permitted action has not ended within resultWaitMs', () => {
  it('answers that it is still being carried out, and to call again with the same arguments', async () => {
    const { submitter } = scripted((request) => ({ decision: decisionOf(request), result: never }));
    const answer = await gatewayWith(submitter).callTool('transfer_funds', ARGS);
    expect(answer.isError).toBe(true);
    expect(textOf(answer)).toMatch(/^ActionGate permitted this action \(PERMIT\) and is still carrying it out/);
  });
});

describe('when the tool succeeded but its answer is not at hand', () => {
  it('says it was carried out, with the outcome receipt (an answer rebuilt from receipts has no result)', async () => {
    const { submitter } = scripted((request) => {
      const decision = decisionOf(request, { fromReceipts: true });
      return { decision, result: async () => resultOf(decision) };
    });
    const answer = await gatewayWith(submitter).callTool('transfer_funds', ARGS);
    expect(answer.isError).toBeUndefined();
    expect(textOf(answer)).toContain('ActionGate carried out this action (PERMIT) and the tool succeeded, but its answer is not available here');
    expect(textOf(answer)).toContain(`Outcome receipt: ${OUTCOME_RECEIPT}`);
  });
});

describe('when the submitter fails', () => {
  it('an idempotency conflict: says nothing was done, and to use a new key', async () => {
    const { submitter } = scripted(() => new ClientError('IDEMPOTENCY_CONFLICT', 'idempotency key k was first used for a different request'));
    const answer = await gatewayWith(submitter).callTool('transfer_funds', ARGS);
    expect(answer.isError).toBe(true);
    expect(textOf(answer)).toContain('nothing was done for this call. Use a new key.');
    expect(answer.structuredContent).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
  });

  it('an unexpected error: a tool error, and the stack in the log (not in the answer)', async () => {
    const logged: string[] = [];
    const { submitter } = scripted(() => new Error('boom'));
    const answer = await gatewayWith(submitter, (line) => logged.push(line)).callTool('transfer_funds', ARGS);
    expect(answer.isError).toBe(true);
    expect(textOf(answer)).toMatch(/^ActionGate failed to handle this call \(boom\)/);
    expect(textOf(answer)).not.toContain('    at ');
    expect(logged.join('\n')).toMatch(/failed: Error: boom\n\s+at /);
  });
});

it('signs every call with the configured key, as the configured actor', async () => {
  const { submitter, submitted } = scripted((request) => ({ decision: decisionOf(request, { outcome: 'DENY' }), result: never }));
  await gatewayWith(submitter).callTool('transfer_funds', ARGS);
  expect(submitted).toHaveLength(1);
  expect(submitted[0]?.signer.keyId).toBe(demoSigner('agent-42').keyId);
  expect(submitted[0]?.request.actor).toEqual({ id: 'agent-42', type: 'agent' });
});
