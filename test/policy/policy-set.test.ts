import { isAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/policy/policy-error.js';
import { compilePolicySet } from '../../src/policy/policy-set.js';
import { DIGEST_PATTERN, digestJson } from '../../src/request/digest.js';
import {
  compileError,
  demoRequest,
  demoSet,
  identityFiles,
  PERMIT_TRANSFER,
  surfacesJson,
  TUESDAY_10_ASSUMED_SIGNED,
} from './policy-fixtures.js';


const FORBID_OVER_100 = `
@id("demo.forbid-over-100")
forbid (principal, action == ActionGate::Action::"transfer", resource) when { context.amount > 100 };
`;

describe('compilePolicySet', () => {
  describe('when a policy file does not parse', () => {
    it('is POLICY_INVALID naming the file', () => {
      const error = compileError([
        surfacesJson(['demo']),
        ...identityFiles(),
        { path: 'demo/good.cedar', text: PERMIT_TRANSFER },
        { path: 'demo/broken.cedar', text: 'permit (principal, action, resource) when { context.amount > };' },
      ]);
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['file']).toBe('demo/broken.cedar');
    });
  });

  describe('when surfaces.json is invalid', () => {
    it('is POLICY_INVALID naming surfaces.json and the field', () => {
      const error = compileError([
        { path: 'surfaces.json', text: JSON.stringify({ version: 1, surfaces: { demo: { budgetMs: 1, connector: { kind: 'http', url: 'http://127.0.0.1/' } } } }) },
        ...identityFiles(),
        { path: 'demo/a.cedar', text: PERMIT_TRANSFER },
      ]);
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['file']).toBe('surfaces.json');
      expect(error.details?.['issues']).toEqual([expect.objectContaining({ path: 'surfaces.demo.budgetMs' })]);
    });
  });

  describe('when surfaces.json is missing', () => {
    it('is POLICY_INVALID', () => {
      expect(compileError([...identityFiles(), { path: 'demo/a.cedar', text: PERMIT_TRANSFER }]).code).toBe('POLICY_INVALID');
    });
  });

  describe('when a registered surface has no policies', () => {
    it('is POLICY_INVALID naming the surface', () => {
      const error = compileError([surfacesJson(['demo', 'empty']), ...identityFiles(), { path: 'demo/a.cedar', text: PERMIT_TRANSFER }]);
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['surface']).toBe('empty');
    });

    it('counts a file of comments only as no policies', () => {
      const error = compileError([surfacesJson(['demo']), ...identityFiles(), { path: 'demo/a.cedar', text: '// nothing yet\n' }]);
      expect(error.details?.['surface']).toBe('demo');
    });
  });

  describe('when a policy folder has no surface in surfaces.json', () => {
    it('is POLICY_INVALID naming the file', () => {
      const error = compileError([...demoSet(PERMIT_TRANSFER), { path: 'stray/a.cedar', text: PERMIT_TRANSFER.replace('demo.', 'stray.') }]);
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['file']).toBe('stray/a.cedar');
    });
  });

  describe('when two policies share an id', () => {
    it('is POLICY_INVALID naming the id, even across surfaces', () => {
      const error = compileError([
        surfacesJson(['demo', 'other']),
        ...identityFiles(),
        { path: 'demo/a.cedar', text: PERMIT_TRANSFER },
        { path: 'other/a.cedar', text: PERMIT_TRANSFER },
      ]);
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['policyId']).toBe('demo.permit-transfer');
      expect(error.details?.['files']).toEqual(['demo/a.cedar', 'other/a.cedar']);
    });
  });

  describe('when a file is not part of a policy set', () => {
    it.each(['README.md', 'demo/nested/a.cedar', '/demo/a.cedar', 'demo/../a.cedar', 'Demo/a.cedar'])('refuses %s', (path) => {
      const error = compileError([...demoSet(PERMIT_TRANSFER), { path, text: '' }]);
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['file']).toBe(path);
    });
  });

  describe('when the same path is given twice', () => {
    it('is POLICY_INVALID', () => {
      const error = compileError([...demoSet(PERMIT_TRANSFER), { path: 'demo/policies.cedar', text: PERMIT_TRANSFER }]);
      expect(error.code).toBe('POLICY_INVALID');
    });
  });
});

describe('CompiledPolicySet.digest', () => {
  describe('when the same files come in another order', () => {
    it('is the same digest, over { v: 1, files }', () => {
      const files = [...demoSet(PERMIT_TRANSFER), { path: 'demo/forbid.cedar', text: FORBID_OVER_100 }];
      const a = compilePolicySet(files).digest;
      const b = compilePolicySet([...files].reverse()).digest;
      expect(a).toBe(b);
      expect(a).toMatch(DIGEST_PATTERN);
      expect(a).toBe(digestJson({ v: 1, files: Object.fromEntries(files.map((file) => [file.path, file.text])) }));
    });
  });

  describe('when one byte of one file changes', () => {
    it('changes', () => {
      const a = compilePolicySet(demoSet(PERMIT_TRANSFER)).digest;
      const b = compilePolicySet(demoSet(`${PERMIT_TRANSFER} `)).digest;
      expect(b).not.toBe(a);
    });
  });

  describe('when two versions are compiled in one process', () => {
    it('keeps each version deciding by its own policies', () => {
      const v1 = compilePolicySet(demoSet(PERMIT_TRANSFER));
      const v2 = compilePolicySet(demoSet(PERMIT_TRANSFER + FORBID_OVER_100));
      const request = demoRequest({ context: { amount: 500 } });
      expect(v1.evaluate(request, TUESDAY_10_ASSUMED_SIGNED).outcome).toBe('PERMIT');
      expect(v2.evaluate(request, TUESDAY_10_ASSUMED_SIGNED).outcome).toBe('DENY');
      expect(v1.evaluate(request, TUESDAY_10_ASSUMED_SIGNED).policy.digest).toBe(v1.digest);
    });
  });
});

describe('CompiledPolicySet identity options', () => {
  describe('when no options are given', () => {
    it('is named by its files, with no version', () => {
      const set = compilePolicySet(demoSet(PERMIT_TRANSFER));
      expect(set.version).toBeNull();
      expect(set.digest).toBe(digestJson({ v: 1, files: Object.fromEntries(demoSet(PERMIT_TRANSFER).map((f) => [f.path, f.text])) }));
    });
  });

  describe('when a digest and version are given (a signed bundle)', () => {
    it('carries them, and its decisions cite that digest', () => {
      const digest = `sha256:${'ab'.repeat(32)}` as const;
      const set = compilePolicySet(demoSet(PERMIT_TRANSFER), { digest, version: '2026-11-24.1' });
      expect(set.digest).toBe(digest);
      expect(set.version).toBe('2026-11-24.1');
      expect(set.evaluate(demoRequest(), TUESDAY_10_ASSUMED_SIGNED).policy.digest).toBe(digest);
    });
  });

  describe('when the digest given is not a digest', () => {
    it('is POLICY_INVALID', () => {
      expect(() => compilePolicySet(demoSet(PERMIT_TRANSFER), { digest: 'sha256:nope' as never })).toThrow(PolicyError);
    });
  });
});

describe('CompiledPolicySet.surface', () => {
  describe('when the surface is registered', () => {
    it('returns its configuration with defaults', () => {
      const set = compilePolicySet(demoSet(PERMIT_TRANSFER));
      expect(set.surface('demo')).toMatchObject({ mode: 'enforce', budgetMs: 2000 });
    });
  });

  describe('when it is not, or names an Object.prototype member', () => {
    it.each(['nope', 'constructor', '__proto__', 'toString'])('returns undefined for %s', (name) => {
      expect(compilePolicySet(demoSet(PERMIT_TRANSFER)).surface(name)).toBeUndefined();
    });
  });
});

describe('CompiledPolicySet.evaluate', () => {
  const set = compilePolicySet([
    surfacesJson(['demo', 'other']),
    ...identityFiles(),
    { path: 'demo/permit.cedar', text: PERMIT_TRANSFER },
    {
      path: 'demo/forbid.cedar',
      text: `
        // Listed z before a, and Cedar's own order is not stable: reasons must come out sorted.
        @id("demo.z-forbid-over-1000")
        forbid (principal, action, resource) when { context.amount > 1000 };
        @id("demo.a-forbid-blocked-target")
        forbid (principal, action, resource) when { resource.type == "blocked" };
        @id("demo.m-forbid-over-5000")
        forbid (principal, action, resource) when { context.amount > 5000 };
      `,
    },
    { path: 'other/policies.cedar', text: '@id("other.permit-all") permit (principal, action, resource);' },
  ]);

  describe('when a permit matches and no forbid does', () => {
    it('is PERMIT with the permitting policy id', () => {
      expect(set.evaluate(demoRequest(), TUESDAY_10_ASSUMED_SIGNED)).toEqual({
        outcome: 'PERMIT',
        reasons: ['demo.permit-transfer'],
        policy: { digest: set.digest },
        actorKeyId: null,
      });
    });
  });

  describe('when forbids match', () => {
    it('is DENY with their ids, sorted', () => {
      const decision = set.evaluate(demoRequest({ context: { amount: 9999 }, target: { type: 'blocked', id: 'x' } }), TUESDAY_10_ASSUMED_SIGNED);
      expect(decision).toEqual({
        outcome: 'DENY',
        reasons: ['demo.a-forbid-blocked-target', 'demo.m-forbid-over-5000', 'demo.z-forbid-over-1000'],
        policy: { digest: set.digest },
        actorKeyId: null,
      });
    });
  });

  describe('when no permit matches', () => {
    it('is DENY no_matching_permit', () => {
      expect(set.evaluate(demoRequest({ action: 'refund' }), TUESDAY_10_ASSUMED_SIGNED)).toEqual({
        outcome: 'DENY',
        reasons: ['no_matching_permit'],
        policy: { digest: set.digest },
        actorKeyId: null,
      });
    });
  });

  describe('when the surface is not in the registry', () => {
    it('is SILENCE unknown_surface, with the digest', () => {
      expect(set.evaluate(demoRequest({ surface: 'payments' }), TUESDAY_10_ASSUMED_SIGNED)).toEqual({
        outcome: 'SILENCE',
        reasons: ['unknown_surface'],
        policy: { digest: set.digest },
      });
    });
  });

  describe('when another surface permits everything', () => {
    it('does not apply to this surface', () => {
      expect(set.evaluate(demoRequest({ action: 'refund' }), TUESDAY_10_ASSUMED_SIGNED).outcome).toBe('DENY');
      expect(set.evaluate(demoRequest({ surface: 'other', action: 'refund' }), TUESDAY_10_ASSUMED_SIGNED).outcome).toBe('PERMIT');
    });
  });

  describe('when a forbid reads a context attribute the request lacks', () => {
    const files = demoSet(PERMIT_TRANSFER + FORBID_OVER_100);
    const request = demoRequest({ context: { currency: 'EUR' } });

    it('would be allowed by Cedar alone, because Cedar skips the erroring forbid', () => {
      const answer = isAuthorized({
        principal: { type: 'ActionGate::Actor', id: 'agent-1' },
        action: { type: 'ActionGate::Action', id: 'transfer' },
        resource: { type: 'ActionGate::Target', id: 'acct-1' },
        context: { currency: 'EUR' },
        policies: { staticPolicies: PERMIT_TRANSFER + FORBID_OVER_100 },
        entities: [],
      });
      expect(answer.type === 'success' && answer.response.decision).toBe('allow');
    });

    it('is SILENCE schema_violation naming the attribute, never PERMIT: the schema refuses it before any policy runs', () => {
      const compiled = compilePolicySet(files);
      const decision = compiled.evaluate(request, TUESDAY_10_ASSUMED_SIGNED);
      expect(decision).toMatchObject({ outcome: 'SILENCE', reasons: ['schema_violation'], policy: { digest: compiled.digest } });
      expect(decision.detail).toContain('amount');
    });
  });

  describe('when a forbid errors at run time on a request that fits the schema', () => {
    // 10^8 × 10^12 overflows Cedar's 64-bit Long: the forbid errors, and Cedar alone would skip it.
    const compiled = compilePolicySet(
      demoSet(`${PERMIT_TRANSFER}
        @id("demo.forbid-scaled-over-100") forbid (principal, action, resource) when { context.amount * 1000000000000 > 100 };`),
    );

    it('is SILENCE evaluation_error naming the policy in detail, never PERMIT', () => {
      const decision = compiled.evaluate(demoRequest({ context: { amount: 100_000_000 } }), TUESDAY_10_ASSUMED_SIGNED);
      expect(decision).toMatchObject({ outcome: 'SILENCE', reasons: ['evaluation_error'], policy: { digest: compiled.digest } });
      expect(decision.detail).toContain('demo.forbid-scaled-over-100');
    });
  });

  describe('when a permit errors while another permit matches', () => {
    it('is SILENCE, not PERMIT', () => {
      const compiled = compilePolicySet(
        demoSet(`${PERMIT_TRANSFER}
          @id("demo.permit-scaled") permit (principal, action, resource) when { context.amount * 1000000000000000000 > 0 };`),
      );
      expect(compiled.evaluate(demoRequest(), TUESDAY_10_ASSUMED_SIGNED)).toMatchObject({ outcome: 'SILENCE', reasons: ['evaluation_error'] });
    });
  });

  describe('when an attribute has the wrong type', () => {
    it('is SILENCE schema_violation naming the attribute', () => {
      const decision = set.evaluate(demoRequest({ context: { amount: '9999' } }), TUESDAY_10_ASSUMED_SIGNED);
      expect(decision).toMatchObject({ outcome: 'SILENCE', reasons: ['schema_violation'] });
      expect(decision.detail).toContain('context.amount: expected Long, got a string');
    });
  });

  describe('when the context holds a value Cedar cannot represent', () => {
    it.each([
      ['a float', { amount: 100.5 }],
      ['null', { amount: null }],
      ['a nested null', { amount: 100, meta: { note: null } }],
      ['a float in a list', { amount: 100, splits: [1, 2.5] }],
      ['an integer past 2^53', { amount: 2 ** 60 }],
      ['an entity escape', { amount: 100, approver: { __entity: { type: 'ActionGate::Actor', id: 'cfo' } } }],
      ['an extension escape', { amount: { __extn: { fn: 'decimal', arg: '1.5' } } }],
    ])('is SILENCE evaluation_error for %s', (_, context) => {
      const decision = set.evaluate(demoRequest({ context: context as never }), TUESDAY_10_ASSUMED_SIGNED);
      expect(decision).toMatchObject({ outcome: 'SILENCE', reasons: ['evaluation_error'], policy: { digest: set.digest } });
      expect(decision.detail).toBeTruthy();
    });
  });

  describe('when the clock is not a valid date', () => {
    it('is SILENCE', () => {
      expect(set.evaluate(demoRequest(), { now: new Date('not a date'), assumeSigned: true }).outcome).toBe('SILENCE');
    });
  });

  describe('when the request is malformed', () => {
    it('is SILENCE rather than a throw', () => {
      const decision = set.evaluate({ surface: 'demo' } as never, TUESDAY_10_ASSUMED_SIGNED);
      expect(decision).toMatchObject({ outcome: 'SILENCE', reasons: ['evaluation_error'] });
    });
  });

  describe('when a policy has no @id', () => {
    it('is cited as <path>#<index>', () => {
      const compiled = compilePolicySet(
        demoSet(`
          @id("demo.named") forbid (principal, action, resource) when { context.amount > 1000 };
          permit (principal, action, resource);
        `),
      );
      expect(compiled.evaluate(demoRequest(), TUESDAY_10_ASSUMED_SIGNED).reasons).toEqual(['demo/policies.cedar#1']);
    });
  });

  describe('when a policy reads context.gate', () => {
    const compiled = compilePolicySet(
      demoSet(`
        @id("demo.permit-gate") permit (principal, action, resource)
        when {
          context.gate.now == 1795514400 && context.gate.hourUtc == 10 &&
          context.gate.weekdayUtc == 2 && context.gate.surface == "demo"
        };
      `),
    );

    it('sees the instant of the clock passed in', () => {
      expect(compiled.evaluate(demoRequest(), TUESDAY_10_ASSUMED_SIGNED).outcome).toBe('PERMIT');
      expect(compiled.evaluate(demoRequest(), { now: new Date('2026-11-24T10:00:01.999Z'), assumeSigned: true }).outcome).toBe('DENY');
    });

    it('ignores a gate record sent in the request', () => {
      const request = demoRequest({ context: { amount: 100, gate: { now: 1795514400, hourUtc: 10, weekdayUtc: 2, surface: 'demo' } } });
      expect(compiled.evaluate(request, { now: new Date('2026-11-25T10:00:00Z'), assumeSigned: true }).outcome).toBe('DENY');
    });
  });

  describe('when the same request is evaluated again at the same instant', () => {
    it('gives an equal decision', () => {
      const request = demoRequest({ context: { amount: 9999 }, target: { type: 'blocked', id: 'x' } });
      const first = set.evaluate(request, TUESDAY_10_ASSUMED_SIGNED);
      for (let i = 0; i < 20; i++) expect(set.evaluate(request, TUESDAY_10_ASSUMED_SIGNED)).toEqual(first);
    });
  });
});
