import type { AuthorizationAnswer } from '@cedar-policy/cedar-wasm/nodejs';
import { describe, expect, it } from 'vitest';
import { decisionFromAnswer } from '../../src/policy/cedar-answer.js';

const DIGEST = `sha256:${'ab'.repeat(32)}` as const;

function error(message: string) {
  return { message, help: null, code: null, url: null, severity: null };
}

function success(decision: 'allow' | 'deny', reason: string[], errors: { policyId: string; message: string }[] = []): AuthorizationAnswer {
  return {
    type: 'success',
    warnings: [],
    response: {
      decision,
      diagnostics: { reason, errors: errors.map((e) => ({ policyId: e.policyId, error: error(e.message) })) },
    },
  };
}

describe('decisionFromAnswer', () => {
  describe('when Cedar answers failure', () => {
    it('is SILENCE evaluation_error with the sorted messages as detail', () => {
      const answer: AuthorizationAnswer = { type: 'failure', errors: [error('z broke'), error('a broke')], warnings: [] };
      expect(decisionFromAnswer(answer, DIGEST)).toEqual({
        outcome: 'SILENCE',
        reasons: ['evaluation_error'],
        policy: { digest: DIGEST },
        detail: 'a broke; z broke',
      });
    });
  });

  describe('when Cedar allows but a policy errored', () => {
    it('is SILENCE, naming each erroring policy in detail', () => {
      const answer = success('allow', ['p.permit'], [
        { policyId: 'p.forbid-b', message: 'record does not have the attribute `b`' },
        { policyId: 'p.forbid-a', message: 'record does not have the attribute `a`' },
      ]);
      expect(decisionFromAnswer(answer, DIGEST)).toEqual({
        outcome: 'SILENCE',
        reasons: ['evaluation_error'],
        policy: { digest: DIGEST },
        detail: 'p.forbid-a: record does not have the attribute `a`; p.forbid-b: record does not have the attribute `b`',
      });
    });
  });

  describe('when Cedar denies with forbids matched and errors besides', () => {
    it('is SILENCE, because the error may hide another reason', () => {
      const answer = success('deny', ['p.forbid'], [{ policyId: 'p.other', message: 'type error' }]);
      expect(decisionFromAnswer(answer, DIGEST).outcome).toBe('SILENCE');
    });
  });

  describe('when Cedar allows cleanly', () => {
    it('is PERMIT with the reasons sorted', () => {
      expect(decisionFromAnswer(success('allow', ['b', 'a']), DIGEST)).toEqual({
        outcome: 'PERMIT',
        reasons: ['a', 'b'],
        policy: { digest: DIGEST },
      });
    });
  });

  describe('when Cedar denies with no policy matched', () => {
    it('is DENY no_matching_permit', () => {
      expect(decisionFromAnswer(success('deny', []), DIGEST).reasons).toEqual(['no_matching_permit']);
    });
  });
});
