import { describe, expect, it } from 'vitest';
import { parseTargetRegistry } from '../../src/identity/target-registry.js';
import { PolicyError } from '../../src/policy/policy-error.js';

/** The issue paths of the PolicyError parseTargetRegistry throws (fails the test if it does not throw). */
function issuePaths(json: unknown): string[] {
  try {
    parseTargetRegistry(typeof json === 'string' ? json : JSON.stringify(json));
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({ code: 'POLICY_INVALID', details: { file: 'targets.json' } });
    return ((error as PolicyError).details?.['issues'] as { path: string }[]).map((issue) => issue.path).sort();
  }
  throw new Error('expected parseTargetRegistry to throw');
}

describe('parseTargetRegistry', () => {
  describe('when the file is valid', () => {
    it('gives each target its type and tags, no tags by default', () => {
      const registry = parseTargetRegistry(
        JSON.stringify({
          version: 1,
          targets: { 'IR-0001': { type: 'account', tags: ['sanctioned'], description: 'On the list.' }, 'acct-7': { type: 'account' } },
        }),
      );
      expect(registry.targets).toEqual({
        'IR-0001': { type: 'account', tags: ['sanctioned'], description: 'On the list.' },
        'acct-7': { type: 'account', tags: [] },
      });
    });
  });

  describe('when several fields are wrong', () => {
    it('reports every one of them by path', () => {
      expect(
        issuePaths({
          version: 1,
          owner: 'x',
          targets: {
            a: { type: 'Account' },
            b: { type: 'account', tags: ['sanctioned', 'Sanctioned List'] },
            c: { type: 'account', sanctioned: true },
            d: { tags: [] },
          },
        }),
      ).toEqual(['owner', 'targets.a.type', 'targets.b.tags.1', 'targets.c.sanctioned', 'targets.d.type']);
    });
  });

  describe('when the version is not 1', () => {
    it('refuses the file rather than guessing', () => {
      expect(issuePaths({ version: 2, targets: {} })).toEqual(['version']);
    });
  });

  describe('when the file is not JSON', () => {
    it('is POLICY_INVALID', () => {
      expect(issuePaths('{')).toHaveLength(1);
    });
  });
});
