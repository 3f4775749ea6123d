import { describe, expect, it } from 'vitest';
import { parsePolicyFile } from '../../src/policy/policy-file-parser.js';
import { PolicyError } from '../../src/policy/policy-error.js';

function parseError(text: string): PolicyError {
  try {
    parsePolicyFile({ path: 'demo/a.cedar', text });
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return error as PolicyError;
  }
  throw new Error('expected parsePolicyFile to throw');
}

describe('parsePolicyFile', () => {
  describe('when policies carry @id', () => {
    it('names them by it, and the rest by <path>#<index>', () => {
      const policies = parsePolicyFile({
        path: 'demo/a.cedar',
        text: `
          // first
          @id("demo.first") permit (principal, action, resource);
          forbid (principal, action, resource) when { context.x == 1 };
          @advice("not an id") @id("demo.third") forbid (principal, action, resource);
        `,
      });
      expect(policies.map((policy) => policy.id)).toEqual(['demo.first', 'demo/a.cedar#1', 'demo.third']);
      expect(policies.every((policy) => policy.path === 'demo/a.cedar')).toBe(true);
    });
  });

  describe('when the text does not parse', () => {
    it('is POLICY_INVALID naming the file', () => {
      const error = parseError('\n\npermit (principal, action, resource) when { 1 + };');
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['file']).toBe('demo/a.cedar');
    });
  });

  describe('when a policy has @id twice', () => {
    it('is POLICY_INVALID', () => {
      expect(parseError('@id("a") @id("b") permit (principal, action, resource);').code).toBe('POLICY_INVALID');
    });
  });

  describe('when @id is empty or has no value', () => {
    it.each(['@id("") permit (principal, action, resource);', '@id permit (principal, action, resource);'])('refuses %s', (text) => {
      expect(parseError(text).code).toBe('POLICY_INVALID');
    });
  });

  describe('when @id is a reserved decision reason', () => {
    it('is POLICY_INVALID, so a reason always means one thing', () => {
      const error = parseError('@id("no_matching_permit") permit (principal, action, resource);');
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['policyId']).toBe('no_matching_permit');
    });
  });

  describe('when the file holds a template', () => {
    it('is POLICY_INVALID', () => {
      expect(parseError('permit (principal == ?principal, action, resource);').code).toBe('POLICY_INVALID');
    });
  });
});
