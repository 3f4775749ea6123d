// STEP_UP: a forbid annotated @approval("group") can be lifted by operators; when the decision is a
// STEP_UP and when the refusal stands; what break-glass may override.
import { describe, expect, it } from 'vitest';
import { GATE_REASONS, overridable } from '../../src/action/action-result.js';
import type { PrincipalRegistry } from '../../src/identity/principal-registry.js';
import type { PolicyFile } from '../../src/policy/policy-files.js';
import { compilePolicySet } from '../../src/policy/policy-set.js';
import { demoSigner } from '../../src/demo/demo-keys.js';
import {
  DEMO_PRINCIPALS,
  PERMIT_TRANSFER,
  TUESDAY_10_ASSUMED_SIGNED,
  demoRequest,
  identityFiles,
  compileError,
  surfacesJson,
} from './policy-fixtures.js';

const OLIVIA = demoSigner('olivia');
const OMAR = demoSigner('omar');

/** agent-1 and carol, plus two operators (demo keys). */
const WITH_OPERATORS: PrincipalRegistry = {
  version: 1,
  principals: {
    ...DEMO_PRINCIPALS.principals,
    olivia: { type: 'human', attributes: {}, groups: ['treasury'], attestedBy: [], keys: [{ keyId: OLIVIA.keyId, publicKey: OLIVIA.publicKey, purpose: 'operator' }] },
    omar: { type: 'human', attributes: {}, groups: ['treasury', 'security'], attestedBy: [], keys: [{ keyId: OMAR.keyId, publicKey: OMAR.publicKey, purpose: 'operator' }] },
  },
};

const APPROVALS = { approvals: { groups: ['treasury', 'security'], quorum: 1 } };

const LARGE_NEEDS_TREASURY = `
@id("demo.large-needs-treasury")
@approval("treasury")
forbid (principal, action == ActionGate::Action::"transfer", resource) when { context.amount > 1000 };
`;

function set(cedar: string, surfaceConfig: Record<string, unknown> = APPROVALS): PolicyFile[] {
  return [surfacesJson(['demo'], surfaceConfig), ...identityFiles({ principals: WITH_OPERATORS }), { path: 'demo/policies.cedar', text: cedar }];
}

const decide = (files: PolicyFile[], amount: number) => compilePolicySet(files).evaluate(demoRequest({ context: { amount } }), TUESDAY_10_ASSUMED_SIGNED);

describe('when every policy that refuses is an approval policy and the rest of the policies permit', () => {
  it('is STEP_UP, naming those policies and their groups', () => {
    const files = set(`${PERMIT_TRANSFER}${LARGE_NEEDS_TREASURY}`);
    expect(decide(files, 500)).toMatchObject({ outcome: 'PERMIT' });
    expect(decide(files, 5_000)).toMatchObject({ outcome: 'STEP_UP', reasons: ['demo.large-needs-treasury'], approvalGroups: ['treasury'] });
  });

  it('names every group when approval policies of two groups refuse', () => {
    const files = set(`${PERMIT_TRANSFER}${LARGE_NEEDS_TREASURY}
@id("demo.huge-needs-security")
@approval("security")
forbid (principal, action == ActionGate::Action::"transfer", resource) when { context.amount > 100000 };`);
    expect(decide(files, 500_000)).toMatchObject({ outcome: 'STEP_UP', reasons: ['demo.huge-needs-security', 'demo.large-needs-treasury'], approvalGroups: ['security', 'treasury'] });
  });
});

describe('when something besides approval policies stands in the way', () => {
  it('stays DENY when another forbid refuses too, naming both', () => {
    const files = set(`${PERMIT_TRANSFER}${LARGE_NEEDS_TREASURY}
@id("demo.forbid-huge")
forbid (principal, action == ActionGate::Action::"transfer", resource) when { context.amount > 100000 };`);
    expect(decide(files, 500_000)).toMatchObject({ outcome: 'DENY', reasons: ['demo.forbid-huge', 'demo.large-needs-treasury'] });
  });

  it('stays DENY when no permit matches: an approval cannot grant what no policy permits', () => {
    const files = set(`
@id("demo.permit-small")
permit (principal, action == ActionGate::Action::"transfer", resource) when { context.amount <= 2000 };
${LARGE_NEEDS_TREASURY}`);
    expect(decide(files, 1_500)).toMatchObject({ outcome: 'STEP_UP' });
    expect(decide(files, 5_000)).toMatchObject({ outcome: 'DENY', reasons: ['demo.large-needs-treasury', 'no_matching_permit'] });
  });

  it('is SILENCE, never STEP_UP, when the request breaks the schema or the actor is unknown', () => {
    const compiled = compilePolicySet(set(`${PERMIT_TRANSFER}${LARGE_NEEDS_TREASURY}`));
    expect(compiled.evaluate(demoRequest({ context: { amount: '5000' } }), TUESDAY_10_ASSUMED_SIGNED)).toMatchObject({ outcome: 'SILENCE', reasons: ['schema_violation'] });
    expect(compiled.evaluate(demoRequest({ actor: { id: 'stranger', type: 'agent' }, context: { amount: 5000 } }), TUESDAY_10_ASSUMED_SIGNED)).toMatchObject({ outcome: 'SILENCE', reasons: ['unknown_actor'] });
  });
});

describe('when an approval policy cannot be honoured', () => {
  it('refuses to load @approval on a permit', () => {
    expect(compileError(set(`@id("p") @approval("treasury") permit (principal, action, resource);`)).message).toMatch(/@approval is allowed on a forbid only/);
  });

  it('refuses to load @approval on a surface without an approvals grant, or for a group the grant leaves out', () => {
    expect(compileError(set(`${PERMIT_TRANSFER}${LARGE_NEEDS_TREASURY}`, {})).message).toMatch(/asks for approval by "treasury".*is not set/);
    expect(compileError(set(`${PERMIT_TRANSFER}${LARGE_NEEDS_TREASURY}`, { approvals: { groups: ['security'] } })).message).toMatch(/grants only security/);
  });

  it('refuses to load an @approval without one lower-case group', () => {
    expect(compileError(set(`${PERMIT_TRANSFER}@id("x") @approval forbid (principal, action, resource);`)).message).toMatch(/@approval needs one lower-case operator group/);
    expect(compileError(set(`${PERMIT_TRANSFER}@id("x") @approval("Treasury Ops") forbid (principal, action, resource);`)).message).toMatch(/@approval needs one/);
  });
});

describe('which decisions break-glass may override', () => {
  const deny = (reasons: string[], mode: 'enforce' | 'shadow' = 'enforce') => ({ outcome: 'DENY' as const, mode, reasons });

  it('overrides a DENY the policies made, including "no permit matched"', () => {
    expect(overridable(deny(['payments.forbid-agent-over-limit']))).toBe(true);
    expect(overridable(deny([GATE_REASONS.noMatchingPermit]))).toBe(true);
  });

  it.each(Object.values(GATE_REASONS).filter((r) => r !== GATE_REASONS.noMatchingPermit))('never overrides a refusal the gate made itself: %s', (reason) => {
    expect(overridable(deny([reason]))).toBe(false);
    expect(overridable(deny(['payments.forbid-agent-over-limit', reason]))).toBe(false);
  });

  it('never overrides a SILENCE, a STEP_UP, a PERMIT or a shadow-mode DENY', () => {
    expect(overridable({ outcome: 'SILENCE', mode: 'enforce', reasons: ['evaluation_error'] })).toBe(false);
    expect(overridable({ outcome: 'STEP_UP', mode: 'enforce', reasons: ['x'] })).toBe(false);
    expect(overridable({ outcome: 'PERMIT', mode: 'enforce', reasons: ['x'] })).toBe(false);
    expect(overridable(deny(['x'], 'shadow'))).toBe(false);
  });
});
