import { isAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import { describe, expect, it } from 'vitest';
import { signRequest } from '../../src/identity/request-signature.js';
import { compilePolicySet } from '../../src/policy/policy-set.js';
import {
  AGENT_1_SIGNER,
  CAROL_SIGNER,
  compileError,
  DEMO_PRINCIPALS,
  demoRequest,
  demoSet,
  identityFiles,
  PERMIT_TRANSFER,
  surfacesJson,
  TUESDAY_10_ASSUMED_SIGNED,
  TUESDAY_10_UTC,
} from './policy-fixtures.js';

// How CompiledPolicySet.evaluate proves who asks and checks the request against trusted data
// (principals.json, targets.json, the schema) before any policy decides.

const PERMIT_ALL = '@id("demo.permit-all") permit (principal, action, resource);';

describe('CompiledPolicySet.evaluate, proving the actor', () => {
  const set = compilePolicySet(demoSet(PERMIT_TRANSFER));

  describe('when the request is signed with a key of its actor', () => {
    it('decides it and names the key', () => {
      const request = demoRequest();
      expect(set.evaluate(request, { ...TUESDAY_10_UTC, signature: signRequest(request, AGENT_1_SIGNER) })).toEqual({
        outcome: 'PERMIT',
        reasons: ['demo.permit-transfer'],
        policy: { digest: set.digest },
        actorKeyId: AGENT_1_SIGNER.keyId,
      });
    });
  });

  describe('when the request is not signed, on an enforce surface', () => {
    it('is SILENCE bad_signature', () => {
      const decision = set.evaluate(demoRequest(), TUESDAY_10_UTC);
      expect(decision).toMatchObject({ outcome: 'SILENCE', reasons: ['bad_signature'], policy: { digest: set.digest } });
      expect(decision.detail).toBeTruthy();
    });
  });

  describe('when the request is signed with a key of another principal', () => {
    it('is SILENCE bad_signature', () => {
      const request = demoRequest();
      expect(set.evaluate(request, { ...TUESDAY_10_UTC, signature: signRequest(request, CAROL_SIGNER) })).toMatchObject({
        outcome: 'SILENCE',
        reasons: ['bad_signature'],
      });
    });
  });

  describe('when the signature is the string "assumed"', () => {
    it('is checked like any signature, and refused', () => {
      expect(set.evaluate(demoRequest(), { ...TUESDAY_10_UTC, signature: 'assumed' })).toMatchObject({ outcome: 'SILENCE', reasons: ['bad_signature'] });
    });
  });

  describe('when assumeSigned is truthy but not true', () => {
    it('does not skip the signature', () => {
      expect(set.evaluate(demoRequest(), { ...TUESDAY_10_UTC, assumeSigned: 'true' as never })).toMatchObject({ reasons: ['bad_signature'] });
    });
  });

  describe('when the actor is not in principals.json', () => {
    it('is SILENCE unknown_actor, even with the signature assumed', () => {
      const decision = set.evaluate(demoRequest({ actor: { id: 'agent-99', type: 'agent' } }), TUESDAY_10_ASSUMED_SIGNED);
      expect(decision).toMatchObject({ outcome: 'SILENCE', reasons: ['unknown_actor'], policy: { digest: set.digest } });
      expect(decision.detail).toContain('agent-99');
    });
  });

  describe('when the actor claims another type than its registered one', () => {
    it('is SILENCE unknown_actor, even signed with its own key', () => {
      const request = demoRequest({ actor: { id: 'agent-1', type: 'human' } });
      const decision = set.evaluate(request, { ...TUESDAY_10_UTC, signature: signRequest(request, AGENT_1_SIGNER) });
      expect(decision).toMatchObject({ outcome: 'SILENCE', reasons: ['unknown_actor'] });
      expect(decision.detail).toContain('"human"');
    });
  });

  describe('when the policy set has no principals.json', () => {
    it('knows no actor', () => {
      const bare = compilePolicySet(demoSet(PERMIT_ALL).filter((file) => file.path !== 'principals.json'));
      expect(bare.principals.principals).toEqual({});
      expect(bare.evaluate(demoRequest(), TUESDAY_10_ASSUMED_SIGNED)).toMatchObject({ outcome: 'SILENCE', reasons: ['unknown_actor'] });
    });
  });
});

describe('CompiledPolicySet.evaluate on a shadow surface', () => {
  const files = (config: Record<string, unknown>) => [surfacesJson(['demo'], config), ...identityFiles(), { path: 'demo/policies.cedar', text: PERMIT_TRANSFER }];

  describe('when it accepts unsigned requests', () => {
    const set = compilePolicySet(files({ mode: 'shadow', acceptUnsigned: true }));

    it('decides an unsigned request, naming no key', () => {
      expect(set.evaluate(demoRequest(), TUESDAY_10_UTC)).toMatchObject({ outcome: 'PERMIT', actorKeyId: null });
    });

    it('still refuses a signature that does not verify', () => {
      const request = demoRequest();
      expect(set.evaluate(request, { ...TUESDAY_10_UTC, signature: signRequest(request, CAROL_SIGNER) })).toMatchObject({ reasons: ['bad_signature'] });
    });

    it('still refuses an unknown actor', () => {
      expect(set.evaluate(demoRequest({ actor: { id: 'agent-99', type: 'agent' } }), TUESDAY_10_UTC)).toMatchObject({ reasons: ['unknown_actor'] });
    });
  });

  describe('when it does not say acceptUnsigned', () => {
    it('refuses an unsigned request like an enforce surface', () => {
      const set = compilePolicySet(files({ mode: 'shadow' }));
      expect(set.evaluate(demoRequest(), TUESDAY_10_UTC)).toMatchObject({ outcome: 'SILENCE', reasons: ['bad_signature'] });
    });
  });
});

describe('compilePolicySet, trusted data', () => {
  describe('when an enforce surface says acceptUnsigned', () => {
    it('is POLICY_INVALID naming surfaces.json and the field', () => {
      const error = compileError([
        surfacesJson(['demo'], { mode: 'enforce', acceptUnsigned: true }),
        ...identityFiles(),
        { path: 'demo/policies.cedar', text: PERMIT_TRANSFER },
      ]);
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['file']).toBe('surfaces.json');
      expect(error.details?.['issues']).toEqual([expect.objectContaining({ path: 'surfaces.demo.acceptUnsigned' })]);
    });
  });

  describe('when principals.json is invalid', () => {
    it('is POLICY_INVALID naming principals.json', () => {
      const principals = { version: 1, principals: { 'agent-1': { type: 'robot' } } } as never;
      const error = compileError(demoSet(PERMIT_TRANSFER, { principals }));
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['file']).toBe('principals.json');
    });
  });

  describe('when targets.json is invalid', () => {
    it('is POLICY_INVALID naming targets.json', () => {
      const targets = { version: 1, targets: { 'IR-0001': { type: 'Account' } } } as never;
      const error = compileError(demoSet(PERMIT_TRANSFER, { targets }));
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['file']).toBe('targets.json');
    });
  });
});

describe('CompiledPolicySet.evaluate, validating the request against the schema', () => {
  const CURRENCY_SCHEMA = `namespace ActionGate {
  entity Actor = { "type": String };
  entity Target = { "type": String, "tags": Set<String> };
  type Gate = { now: Long, hourUtc: Long, weekdayUtc: Long, surface: String };
  action transfer appliesTo { principal: [Actor], resource: [Target], context: { gate: Gate, amount: Long, currency: String } };
}
`;
  const FORBID_BTC = '@id("demo.forbid-btc") forbid (principal, action, resource) when { context.currency == "BTC" };';
  const set = compilePolicySet(demoSet(`${PERMIT_ALL}\n${FORBID_BTC}`, { schema: CURRENCY_SCHEMA }));

  describe('when the currency is the string "BTC"', () => {
    it('is DENY by the forbid', () => {
      expect(set.evaluate(demoRequest({ context: { amount: 100, currency: 'BTC' } }), TUESDAY_10_ASSUMED_SIGNED)).toMatchObject({
        outcome: 'DENY',
        reasons: ['demo.forbid-btc'],
      });
    });
  });

  describe('when the currency is the list ["BTC"]', () => {
    it('would be allowed by Cedar without the schema: a list is not equal to "BTC", so the forbid does not apply', () => {
      const answer = isAuthorized({
        principal: { type: 'ActionGate::Actor', id: 'agent-1' },
        action: { type: 'ActionGate::Action', id: 'transfer' },
        resource: { type: 'ActionGate::Target', id: 'acct-1' },
        context: { amount: 100, currency: ['BTC'] },
        policies: { staticPolicies: `${PERMIT_ALL}\n${FORBID_BTC}` },
        entities: [],
      });
      expect(answer.type === 'success' && answer.response.decision).toBe('allow');
    });

    it('is SILENCE schema_violation, its detail naming context.currency', () => {
      const decision = set.evaluate(demoRequest({ context: { amount: 100, currency: ['BTC'] } }), TUESDAY_10_ASSUMED_SIGNED);
      expect(decision).toMatchObject({ outcome: 'SILENCE', reasons: ['schema_violation'], policy: { digest: set.digest } });
      expect(decision.detail).toContain('context.currency: expected String, got a list');
    });
  });

  describe('when the action is not declared in the schema', () => {
    it('is SILENCE schema_violation, though a policy permits every action', () => {
      const decision = set.evaluate(demoRequest({ action: 'transfer-all', context: { amount: 100, currency: 'EUR' } }), TUESDAY_10_ASSUMED_SIGNED);
      expect(decision).toMatchObject({ outcome: 'SILENCE', reasons: ['schema_violation'] });
      expect(decision.detail).toContain('transfer-all');
    });
  });

  describe('when the context has an attribute the schema does not declare', () => {
    it('is SILENCE schema_violation naming it: contexts are closed records', () => {
      const decision = set.evaluate(demoRequest({ context: { amount: 100, currency: 'EUR', approved: true } }), TUESDAY_10_ASSUMED_SIGNED);
      expect(decision).toMatchObject({ outcome: 'SILENCE', reasons: ['schema_violation'] });
      expect(decision.detail).toContain('approved');
    });
  });

  describe('when the context lacks a declared attribute', () => {
    it('is SILENCE schema_violation naming it', () => {
      const decision = set.evaluate(demoRequest({ context: { amount: 100 } }), TUESDAY_10_ASSUMED_SIGNED);
      expect(decision).toMatchObject({ outcome: 'SILENCE', reasons: ['schema_violation'] });
      expect(decision.detail).toContain('currency');
    });
  });
});

describe('CompiledPolicySet.evaluate with targets.json', () => {
  const FORBID_SANCTIONED = '@id("demo.forbid-sanctioned") forbid (principal, action, resource) when { resource.tags.contains("sanctioned") };';
  const set = compilePolicySet(
    demoSet(`${PERMIT_TRANSFER}\n${FORBID_SANCTIONED}`, {
      targets: { version: 1, targets: { 'IR-0001': { type: 'account', tags: ['sanctioned'] } } },
    }),
  );

  describe('when the request names a listed target with another type', () => {
    it('is SILENCE target_mismatch, naming both types', () => {
      const decision = set.evaluate(demoRequest({ target: { type: 'supplier-account', id: 'IR-0001' } }), TUESDAY_10_ASSUMED_SIGNED);
      expect(decision).toMatchObject({ outcome: 'SILENCE', reasons: ['target_mismatch'], policy: { digest: set.digest } });
      expect(decision.detail).toContain('"supplier-account"');
      expect(decision.detail).toContain('"account"');
    });
  });

  describe('when the request names a listed target with its type', () => {
    it('gives the policies its tags from targets.json', () => {
      expect(set.evaluate(demoRequest({ target: { type: 'account', id: 'IR-0001' } }), TUESDAY_10_ASSUMED_SIGNED)).toMatchObject({
        outcome: 'DENY',
        reasons: ['demo.forbid-sanctioned'],
      });
    });
  });

  describe('when the target is not listed', () => {
    it.each(['acct-1', 'constructor', '__proto__'])('gives %s no tags', (id) => {
      expect(set.evaluate(demoRequest({ target: { type: 'account', id } }), TUESDAY_10_ASSUMED_SIGNED)).toMatchObject({
        outcome: 'PERMIT',
        reasons: ['demo.permit-transfer'],
      });
    });
  });
});

describe('CompiledPolicySet.evaluate with principal attributes', () => {
  const LIMIT_SCHEMA = `namespace ActionGate {
  entity Actor = { "type": String, "limit": Long };
  entity Target = { "type": String, "tags": Set<String> };
  type Gate = { now: Long, hourUtc: Long, weekdayUtc: Long, surface: String };
  action transfer appliesTo { principal: [Actor], resource: [Target], context: { gate: Gate, amount: Long } };
}
`;
  const principals = {
    version: 1 as const,
    principals: {
      'agent-1': { ...DEMO_PRINCIPALS.principals['agent-1']!, attributes: { limit: 500 } },
      carol: { ...DEMO_PRINCIPALS.principals['carol']!, attributes: { limit: 100_000 } },
    },
  };
  const set = compilePolicySet(
    demoSet('@id("demo.permit-within-limit") permit (principal, action, resource) when { context.amount <= principal.limit };', {
      schema: LIMIT_SCHEMA,
      principals,
    }),
  );

  describe('when a policy reads an attribute the registry gives the principal', () => {
    it.each([
      ['agent-1', 'agent', 500, 'PERMIT'],
      ['agent-1', 'agent', 501, 'DENY'],
      ['carol', 'human', 501, 'PERMIT'],
    ])('decides %s (%s) moving %i as %s', (id, type, amount, outcome) => {
      expect(set.evaluate(demoRequest({ actor: { id, type }, context: { amount } }), TUESDAY_10_ASSUMED_SIGNED).outcome).toBe(outcome);
    });
  });
});
