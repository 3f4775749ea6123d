import type { ApprovalVerdict } from '../identity/operator-approval.js';
import type { Outcome } from '../policy/decision.js';
import type { ActionRequest } from '../request/action-request.js';

/**
 * Which way a step goes in: the normal gate, one whose policy store hangs on purpose, or the HTTP
 * API (`actiongate serve`) in front of the normal gate, as an agent without Temporal credentials.
 */
export type DemoGate = 'normal' | 'slow' | 'http';

export interface DemoStep {
  title: string;
  gate: DemoGate;
  request: ActionRequest;
  /** What the sample policies should answer; the demo flags any difference. */
  expected: Outcome;
  /** The same request as an earlier step: it must get that answer and cause no new dispatch. */
  repeatOf?: number;
  /**
   * Whose demo key signs the request: the actor's own by default; another principal's to show a
   * forged request (SILENCE, bad_signature). Steps through the HTTP API are not signed by the agent:
   * the API authenticates it (an API key) and attests it with its gateway key.
   */
  signedBy?: string;
  /**
   * The action waits for operators (a STEP_UP, or a DENY whose request asks for break-glass):
   * they answer it one after another, each signing with their demo key.
   */
  operators?: DemoOperators;
}

export interface DemoOperators {
  /** `approval` for a STEP_UP, `override` for break-glass on a DENY. */
  kind: 'approval' | 'override';
  answers: DemoOperatorAnswer[];
  /** What the approval or override receipt should say once the last answer is in. */
  expected: 'PERMIT' | 'DENY';
}

export interface DemoOperatorAnswer {
  /** An operator in policies/principals.json (demo key: src/demo/demo-keys.ts). */
  operatorId: string;
  verdict: ApprovalVerdict;
  reason: string;
}

/**
 * The scripted scenario: a permit, a denial, an unknown surface, a duplicate, a gate timeout,
 * one action on each other sample surface, a payment to a new payee that waits for two treasury
 * operators (STEP_UP), and a production change without a ticket that the on-call operator
 * overrides (break-glass). Keys start with `runId`, so a run's workflows
 * can be found together in the Temporal UI and a second run never collides with the first.
 */
export function demoScenario(runId: string): DemoStep[] {
  const key = (name: string) => `${runId}-${name}`;
  const payment = (name: string, amount: number): ActionRequest => ({
    idempotencyKey: key(name),
    actor: { id: 'agent-42', type: 'agent' },
    surface: 'payments',
    action: 'transfer',
    target: { type: 'account', id: 'acct-7' },
    context: { amount, currency: 'EUR' },
    payload: { amount, currency: 'EUR', to: 'acct-7' },
  });
  const first = payment('payment-small', 12_000);
  return [
    { title: 'payment of 120.00 EUR by an agent', gate: 'normal', request: first, expected: 'PERMIT' },
    { title: 'payment of 5,000.00 EUR by an agent', gate: 'normal', request: payment('payment-large', 500_000), expected: 'DENY' },
    {
      title: 'action on a surface nobody registered',
      gate: 'normal',
      request: { ...payment('unknown-surface', 100), surface: 'crypto-trades', action: 'buy' },
      expected: 'SILENCE',
    },
    { title: 'the first payment, submitted again', gate: 'normal', request: first, expected: 'PERMIT', repeatOf: 0 },
    {
      title: 'restricted data exported to a partner',
      gate: 'normal',
      request: {
        idempotencyKey: key('export-restricted'),
        actor: { id: 'agent-analyst', type: 'agent' },
        surface: 'data-exports',
        action: 'export',
        target: { type: 'dataset', id: 'customers.pii' },
        context: { classification: 'restricted', destination: 'partner' },
        payload: { dataset: 'customers.pii', to: 'partner-sftp' },
      },
      expected: 'DENY',
    },
    {
      title: 'email to 40 customers by an agent',
      gate: 'normal',
      request: {
        idempotencyKey: key('message-email'),
        actor: { id: 'agent-support', type: 'agent' },
        surface: 'customer-messages',
        action: 'send',
        target: { type: 'customer-segment', id: 'open-tickets-eu' },
        context: { channel: 'email', recipient_count: 40 },
        payload: { template: 'ticket-update', segment: 'open-tickets-eu' },
      },
      expected: 'PERMIT',
    },
    {
      title: 'a payment signed with another agent\'s key',
      gate: 'normal',
      request: payment('payment-forged', 12_000),
      expected: 'SILENCE',
      signedBy: 'agent-support',
    },
    {
      title: 'an agent that claims to be a human',
      gate: 'normal',
      request: { ...payment('payment-claims-human', 500_000_000), actor: { id: 'agent-42', type: 'human' } },
      expected: 'SILENCE',
    },
    { title: 'payment while the policy store hangs', gate: 'slow', request: payment('payment-slow-gate', 12_000), expected: 'DENY' },
    {
      // targets.json tags this account new-payee: payments.new-payee-needs-approval (@approval("treasury"))
      // refuses it and nothing else does, so it is a STEP_UP; surfaces.json asks for 2 treasury operators.
      title: 'payment of 120.00 EUR to a new payee',
      gate: 'normal',
      request: {
        idempotencyKey: key('payment-new-payee'),
        actor: { id: 'agent-ap-clerk', type: 'agent' },
        surface: 'payments',
        action: 'transfer',
        target: { type: 'supplier-account', id: 'NL91ABNA0417164300' },
        context: { amount: 12_000, currency: 'EUR' },
        payload: { amount: 12_000, currency: 'EUR', to: 'NL91ABNA0417164300', invoice: 'INV-2291' },
      },
      expected: 'STEP_UP',
      operators: {
        kind: 'approval',
        answers: [
          { operatorId: 'olivia', verdict: 'approve', reason: 'invoice INV-2291 matches purchase order PO-7730' },
          { operatorId: 'omar', verdict: 'approve', reason: "supplier's bank details confirmed by phone with their finance desk" },
        ],
        expected: 'PERMIT',
      },
    },
    {
      // No change ticket: config-changes.forbid-production-without-ticket (and, outside Mon-Thu
      // 09:00-16:00 UTC, forbid-production-outside-window too). The request asks for break-glass,
      // and surfaces.json grants it to sre-oncall (quorum 1).
      title: 'production config change, no ticket, break-glass',
      gate: 'normal',
      request: {
        idempotencyKey: key('config-break-glass'),
        actor: { id: 'agent-deployer', type: 'agent' },
        surface: 'config-changes',
        action: 'apply',
        target: { type: 'service-config', id: 'api-gateway' },
        context: { environment: 'production' },
        payload: { service: 'api-gateway', rollbackTo: 'r41' },
        breakGlass: { reason: 'incident INC-7: api-gateway answers 502 since r42, rolling back to r41' },
      },
      expected: 'DENY',
      operators: {
        kind: 'override',
        answers: [{ operatorId: 'sam', verdict: 'override', reason: 'INC-7 on-call: rollback to r41 approved, ticket to follow' }],
        expected: 'PERMIT',
      },
    },
    {
      // An agent with an API key and no Temporal credentials or signing key: the HTTP API checks that
      // the key's principal is the actor and attests it with its gateway key (actiongate-http).
      title: 'payment of 80.00 EUR over the HTTP API',
      gate: 'http',
      request: payment('payment-over-http', 8_000),
      expected: 'PERMIT',
    },
  ];
}
