import { describe, expect, it } from 'vitest';
import { ActionGateError } from '../../src/errors.js';
import { RequestError } from '../../src/request/request-error.js';

describe('RequestError', () => {
  describe('when built from issues', () => {
    const error = new RequestError([
      { path: 'idempotencyKey', message: 'must not be empty' },
      { path: 'actor.type', message: 'a message\nthat tries to add a line' },
    ]);

    it('is an ActionGateError with code INVALID_REQUEST', () => {
      expect(error).toBeInstanceOf(ActionGateError);
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.name).toBe('RequestError');
    });

    it('keeps the issues, frozen, and repeats them in details', () => {
      expect(error.issues.map((issue) => issue.path)).toEqual(['idempotencyKey', 'actor.type']);
      expect(Object.isFrozen(error.issues)).toBe(true);
      expect(error.details).toEqual({ issues: error.issues });
    });

    it('gives one message line per issue after a heading', () => {
      expect(error.message.split('\n')).toHaveLength(3);
    });
  });
});
