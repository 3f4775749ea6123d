import { describe, expect, it } from 'vitest';
import { gateContext, toCedarCall, type CedarCallSources } from '../../src/policy/cedar-request.js';
import { demoRequest, TUESDAY_10_UTC } from './policy-fixtures.js';

const SOURCES: CedarCallSources = { policySetId: 'set-id', schemaName: 'schema-name', principalAttributes: {}, targetTags: [] };

describe('gateContext', () => {
  describe('when given Tuesday 2026-11-24 10:00:00.900 UTC', () => {
    it('gives whole epoch seconds, the UTC hour and weekday', () => {
      expect(gateContext(new Date('2026-11-24T10:00:00.900Z'), 'payments')).toEqual({
        now: 1795514400,
        hourUtc: 10,
        weekdayUtc: 2,
        surface: 'payments',
      });
    });
  });

  describe('when given an instant before 1970', () => {
    it('rounds epoch seconds down, not toward zero', () => {
      expect(gateContext(new Date(-500), 'x').now).toBe(-1);
    });
  });

  describe('when given a Sunday 23:59 UTC that is Monday elsewhere', () => {
    it('uses UTC', () => {
      expect(gateContext(new Date('2026-11-29T23:59:00-00:00'), 'x')).toMatchObject({ hourUtc: 23, weekdayUtc: 0 });
    });
  });
});

describe('toCedarCall', () => {
  describe('when mapping a request', () => {
    it('makes actor and target entities with a type attribute, validates against the schema and adds context.gate', () => {
      const call = toCedarCall(demoRequest({ context: { amount: 5, tags: ['a'] } }), TUESDAY_10_UTC, SOURCES);
      expect(call).toEqual({
        principal: { type: 'ActionGate::Actor', id: 'agent-1' },
        action: { type: 'ActionGate::Action', id: 'transfer' },
        resource: { type: 'ActionGate::Target', id: 'acct-1' },
        context: { amount: 5, tags: ['a'], gate: { now: 1795514400, hourUtc: 10, weekdayUtc: 2, surface: 'demo' } },
        preparsedPolicySetId: 'set-id',
        preparsedSchemaName: 'schema-name',
        validateRequest: true,
        entities: [
          { uid: { type: 'ActionGate::Actor', id: 'agent-1' }, attrs: { type: 'agent' }, parents: [] },
          { uid: { type: 'ActionGate::Target', id: 'acct-1' }, attrs: { type: 'account', tags: [] }, parents: [] },
        ],
      });
    });
  });

  describe('when the policy set knows the actor and the target', () => {
    it('takes the principal attributes from the registry and the target tags from the target list', () => {
      const call = toCedarCall(demoRequest(), TUESDAY_10_UTC, { ...SOURCES, principalAttributes: { team: 'ap', limit: 500 }, targetTags: ['sanctioned'] });
      expect(call.entities).toEqual([
        { uid: { type: 'ActionGate::Actor', id: 'agent-1' }, attrs: { team: 'ap', limit: 500, type: 'agent' }, parents: [] },
        { uid: { type: 'ActionGate::Target', id: 'acct-1' }, attrs: { type: 'account', tags: ['sanctioned'] }, parents: [] },
      ]);
    });

    it('keeps the type the request names, so a registry attribute cannot stand in for it', () => {
      const call = toCedarCall(demoRequest(), TUESDAY_10_UTC, { ...SOURCES, principalAttributes: { type: 'human' } });
      expect(call.entities?.[0]?.attrs).toEqual({ type: 'agent' });
    });
  });
});
