// Named operators and their signed approvals: the pieces step-up and break-glass are built on.
import { describe, expect, it } from 'vitest';
import { checkApproval, signApproval, type ApprovalExpectation, type ApprovalStatement } from '../../src/identity/operator-approval.js';
import { parsePrincipalRegistry } from '../../src/identity/principal-registry.js';
import { proveActor, signRequest } from '../../src/identity/request-signature.js';
import { demoSigner } from '../../src/demo/demo-keys.js';
import { PolicyError } from '../../src/policy/policy-error.js';
import { compilePolicySet } from '../../src/policy/policy-set.js';
import { parseSurfaceRegistry } from '../../src/policy/surface-registry.js';
import { nodeBackend } from '../../src/receipt/verify/node-backend.js';
import { nobleBackend } from '../../src/receipt/verify/noble-backend.js';
import { agentRequest } from './identity-fixtures.js';
import { demoSet, PERMIT_TRANSFER } from '../policy/policy-fixtures.js';

// Demo keys derived from public labels: tests only.
const OLIVIA = demoSigner('operator-olivia');
const OSCAR = demoSigner('operator-oscar');
const OLIVIA_REQUEST_KEY = demoSigner('olivia-requests');
const AGENT = demoSigner('agent-42');

const PRINCIPALS = {
  version: 1,
  principals: {
    olivia: {
      type: 'human',
      groups: ['treasury'],
      keys: [
        { keyId: OLIVIA.keyId, publicKey: OLIVIA.publicKey, purpose: 'operator', validUntil: '2027-01-01T00:00:00Z' },
        { keyId: OLIVIA_REQUEST_KEY.keyId, publicKey: OLIVIA_REQUEST_KEY.publicKey },
      ],
    },
    oscar: { type: 'human', groups: ['sre-oncall'], keys: [{ keyId: OSCAR.keyId, publicKey: OSCAR.publicKey, purpose: 'operator' }] },
    'agent-42': { type: 'agent', keys: [{ keyId: AGENT.keyId, publicKey: AGENT.publicKey }] },
  },
};
const REGISTRY = parsePrincipalRegistry(JSON.stringify(PRINCIPALS));
const NOW = new Date('2026-11-24T10:00:00Z');
const HASH = `sha256:${'a'.repeat(64)}` as const;
const DECISION = `sha256:${'b'.repeat(64)}` as const;

const EXPECT: ApprovalExpectation = {
  workflowId: 'pay-1',
  runId: 'run-1',
  requestHash: HASH,
  decisionReceiptId: DECISION,
  verdicts: ['approve', 'reject'],
  groups: ['treasury'],
  reasonRequired: true,
};

function statement(overrides: Partial<ApprovalStatement> = {}): ApprovalStatement {
  return {
    v: 1,
    workflowId: 'pay-1',
    runId: 'run-1',
    requestHash: HASH,
    decisionReceiptId: DECISION,
    verdict: 'approve',
    reason: 'invoice 4711 checked against the PO',
    operatorId: 'olivia',
    expiresAt: '2026-11-24T10:15:00.000Z',
    nonce: 'n0nce-0123456789abcdefXYZ',
    ...overrides,
  };
}

const check = (input: unknown, expect: Partial<ApprovalExpectation> = {}, now = NOW) =>
  checkApproval(REGISTRY, input, { ...EXPECT, ...expect }, { now, backend: nodeBackend });

describe('when an operator signs an approval for exactly this action', () => {
  it('counts it, naming the operator and key, with either strict back end', () => {
    const approval = signApproval(statement(), OLIVIA);
    for (const backend of [nodeBackend, nobleBackend]) {
      expect(checkApproval(REGISTRY, approval, EXPECT, { now: NOW, backend })).toMatchObject({ ok: true, operatorId: 'olivia', keyId: OLIVIA.keyId, verdict: 'approve' });
    }
  });
});

describe('when an approval must not count', () => {
  it.each([
    ['an unknown operator', () => signApproval(statement({ operatorId: 'mallory' }), OLIVIA), {}, 'unknown_operator'],
    ["a key that is not the operator's", () => signApproval(statement(), OSCAR), {}, 'not_an_operator_key'],
    ["the operator's request key", () => signApproval(statement(), OLIVIA_REQUEST_KEY), {}, 'not_an_operator_key'],
    ['an operator outside the granted groups', () => signApproval(statement({ operatorId: 'oscar' }), OSCAR), {}, 'not_in_group'],
    ['a signature over another statement', () => ({ ...signApproval(statement(), OLIVIA), statement: statement({ reason: 'changed after signing' }) }), {}, 'bad_signature'],
    ["another workflow's approval", () => signApproval(statement({ workflowId: 'pay-2' }), OLIVIA), {}, 'wrong_action'],
    ["another run's approval", () => signApproval(statement({ runId: 'run-0' }), OLIVIA), {}, 'wrong_action'],
    ["another request's approval", () => signApproval(statement({ requestHash: `sha256:${'c'.repeat(64)}` }), OLIVIA), {}, 'wrong_action'],
    ['an override where a step-up is asked', () => signApproval(statement({ verdict: 'override' }), OLIVIA), {}, 'wrong_verdict'],
    ['an expired approval', () => signApproval(statement({ expiresAt: '2026-11-24T09:59:59.000Z' }), OLIVIA), {}, 'expired'],
    ['no reason where one is required', () => signApproval(statement({ reason: '  ' }), OLIVIA), {}, 'reason_required'],
    ['a short nonce', () => signApproval(statement({ nonce: 'short' }), OLIVIA), {}, 'malformed'],
  ] as const)('refuses %s', (_title, make, overrides, rejection) => {
    expect(check(make(), overrides)).toMatchObject({ ok: false, rejection });
  });

  it('refuses an operator key outside its validity', () => {
    expect(check(signApproval(statement({ expiresAt: '2027-06-01T00:00:00.000Z' }), OLIVIA), {}, new Date('2027-02-01T00:00:00Z'))).toMatchObject({ ok: false, rejection: 'key_not_valid' });
  });
});

describe('when keys are kept to their purpose', () => {
  it('refuses a request signed with an operator key (bad_signature), and accepts the request key', () => {
    const request = agentRequest({ actor: { id: 'olivia', type: 'human' } });
    const options = { now: NOW, allowUnsigned: false };
    expect(proveActor(REGISTRY, request, signRequest(request, OLIVIA), options)).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(proveActor(REGISTRY, request, signRequest(request, OLIVIA_REQUEST_KEY), options)).toMatchObject({ ok: true, keyId: OLIVIA_REQUEST_KEY.keyId });
  });

  it('refuses a principal in a group without an operator key', () => {
    const text = JSON.stringify({ version: 1, principals: { ann: { type: 'human', groups: ['treasury'], keys: [{ keyId: AGENT.keyId, publicKey: AGENT.publicKey }] } } });
    expect(() => parsePrincipalRegistry(text)).toThrow(PolicyError);
  });
});

describe('when surfaces.json grants approvals or break-glass', () => {
  it('applies the defaults: quorum 1, a 15-minute window, a reason required', () => {
    const registry = parseSurfaceRegistry(JSON.stringify({
      version: 1,
      surfaces: { payments: { approvals: { groups: ['treasury'] }, connector: { kind: 'http', url: 'http://127.0.0.1:8787/p' } } },
    }));
    expect(registry.surfaces.payments?.approvals).toEqual({ groups: ['treasury'], quorum: 1, windowMs: 900_000, reasonRequired: true });
  });

  it('refuses a grant that not enough operators can use, at load', () => {
    const files = demoSet(PERMIT_TRANSFER).map((file) =>
      file.path === 'surfaces.json'
        ? { ...file, text: JSON.stringify({ version: 1, surfaces: { demo: { approvals: { groups: ['treasury'], quorum: 2 }, connector: { kind: 'http', url: 'http://127.0.0.1:8787/demo' } } } }) }
        : file.path === 'principals.json'
          ? { ...file, text: JSON.stringify(PRINCIPALS) }
          : file,
    );
    let error: unknown;
    try {
      compilePolicySet(files);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).message).toContain('surfaces.demo.approvals needs 2 operator(s) in treasury');
    // One operator is enough for a quorum of one.
    const one = files.map((file) => (file.path === 'surfaces.json' ? { ...file, text: file.text.replace('"quorum":2', '"quorum":1') } : file));
    expect(() => compilePolicySet(one)).not.toThrow();
  });
});
