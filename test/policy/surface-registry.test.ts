import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/policy/policy-error.js';
import { parseSurfaceRegistry, type RegistryIssue } from '../../src/policy/surface-registry.js';

function issuesOf(text: string): RegistryIssue[] {
  try {
    parseSurfaceRegistry(text);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).code).toBe('POLICY_INVALID');
    expect((error as PolicyError).details?.['file']).toBe('surfaces.json');
    return (error as PolicyError).details?.['issues'] as RegistryIssue[];
  }
  throw new Error('expected parseSurfaceRegistry to throw');
}

describe('parseSurfaceRegistry', () => {
  describe('when a surface gives only its connector', () => {
    it('fills in mode, budget, queue limit, signed-only and connector timeout', () => {
      const registry = parseSurfaceRegistry(
        JSON.stringify({ version: 1, surfaces: { payments: { connector: { kind: 'http', url: 'http://127.0.0.1:8787/payments' } } } }),
      );
      expect(registry.surfaces['payments']).toEqual({
        mode: 'enforce',
        budgetMs: 2000,
        maxQueueMs: 60_000,
        acceptUnsigned: false,
        connector: { kind: 'http', url: 'http://127.0.0.1:8787/payments', timeoutMs: 10_000 },
      });
    });
  });

  describe('when several fields are wrong', () => {
    it('reports every one of them by path', () => {
      const issues = issuesOf(
        JSON.stringify({
          version: 1,
          owner: 'x',
          surfaces: {
            payments: { mode: 'audit', budgetMs: 10, colour: 'red', connector: { kind: 'http', url: 'not a url' } },
            'Bad-Name': { connector: { kind: 'http', url: 'http://127.0.0.1/' } },
            exports: { connector: { kind: 'smtp', url: 'http://127.0.0.1/' } },
          },
        }),
      );
      expect(issues.map((issue) => issue.path).sort()).toEqual([
        'owner',
        'surfaces.Bad-Name',
        'surfaces.exports.connector.kind',
        'surfaces.payments.budgetMs',
        'surfaces.payments.colour',
        'surfaces.payments.connector.url',
        'surfaces.payments.mode',
      ]);
    });
  });

  describe('when the version is not 1', () => {
    it('refuses the file rather than guessing', () => {
      const issues = issuesOf(JSON.stringify({ version: 2, surfaces: {} }));
      expect(issues.map((issue) => issue.path)).toEqual(['version']);
    });
  });

  describe('when the budget is a fraction or out of range', () => {
    it.each([49, 60_001, 100.5])('refuses budgetMs %s', (budgetMs) => {
      const issues = issuesOf(
        JSON.stringify({ version: 1, surfaces: { a: { budgetMs, connector: { kind: 'http', url: 'http://127.0.0.1/' } } } }),
      );
      expect(issues.map((issue) => issue.path)).toEqual(['surfaces.a.budgetMs']);
    });
  });

  describe('when the connector url is not http(s)', () => {
    it('refuses it', () => {
      const issues = issuesOf(
        JSON.stringify({ version: 1, surfaces: { a: { connector: { kind: 'http', url: 'file:///etc/passwd' } } } }),
      );
      expect(issues.map((issue) => issue.path)).toEqual(['surfaces.a.connector.url']);
    });
  });

  describe('when the file is not JSON', () => {
    it('is POLICY_INVALID', () => {
      expect(issuesOf('{"version": 1,').length).toBe(1);
    });
  });

  describe('when maxQueueMs is a fraction or out of range', () => {
    it.each([999, 86_400_001, 1500.5])('refuses maxQueueMs %s', (maxQueueMs) => {
      const issues = issuesOf(
        JSON.stringify({ version: 1, surfaces: { a: { maxQueueMs, connector: { kind: 'http', url: 'http://127.0.0.1/' } } } }),
      );
      expect(issues.map((issue) => issue.path)).toEqual(['surfaces.a.maxQueueMs']);
    });

    it.each([1_000, 86_400_000])('accepts maxQueueMs %s', (maxQueueMs) => {
      const registry = parseSurfaceRegistry(
        JSON.stringify({ version: 1, surfaces: { a: { maxQueueMs, connector: { kind: 'http', url: 'http://127.0.0.1/' } } } }),
      );
      expect(registry.surfaces['a']?.maxQueueMs).toBe(maxQueueMs);
    });
  });

  describe('when a surface accepts unsigned requests', () => {
    const surface = (fields: Record<string, unknown>) =>
      JSON.stringify({ version: 1, surfaces: { a: { ...fields, connector: { kind: 'http', url: 'http://127.0.0.1/' } } } });

    it('allows it in shadow mode', () => {
      expect(parseSurfaceRegistry(surface({ mode: 'shadow', acceptUnsigned: true })).surfaces['a']).toMatchObject({ mode: 'shadow', acceptUnsigned: true });
    });

    it.each([
      ['mode enforce', { mode: 'enforce', acceptUnsigned: true }],
      ['the default mode', { acceptUnsigned: true }],
    ])('refuses it with %s, naming acceptUnsigned', (_, fields) => {
      expect(issuesOf(surface(fields)).map((issue) => issue.path)).toEqual(['surfaces.a.acceptUnsigned']);
    });

    it('refuses a value that is not a boolean', () => {
      expect(issuesOf(surface({ mode: 'shadow', acceptUnsigned: 'yes' })).map((issue) => issue.path)).toEqual(['surfaces.a.acceptUnsigned']);
    });
  });
});
