import { describe, expect, it } from 'vitest';
import { compilePolicySet } from '../../src/policy/policy-set.js';
import { compileError, demoRequest, demoSet, PERMIT_TRANSFER, TUESDAY_10_ASSUMED_SIGNED } from './policy-fixtures.js';

const SCHEMA = `
namespace ActionGate {
  entity Actor { type: String };
  entity Target { type: String, tags: Set<String> };
  type Gate = { now: Long, hourUtc: Long, weekdayUtc: Long, surface: String };
  action "transfer" appliesTo { principal: Actor, resource: Target, context: { amount: Long, gate: Gate } };
}
`;

function withSchema(cedar: string, schema = SCHEMA) {
  return demoSet(cedar, { schema });
}


describe('compilePolicySet with schema.cedarschema', () => {
  describe('when the policies validate', () => {
    it('compiles and evaluates as usual', () => {
      const set = compilePolicySet(
        withSchema('@id("demo.small") permit (principal, action == ActionGate::Action::"transfer", resource) when { context.amount < 1000 };'),
      );
      expect(set.evaluate(demoRequest(), TUESDAY_10_ASSUMED_SIGNED).outcome).toBe('PERMIT');
    });
  });

  describe('when a policy compares an attribute with the wrong type', () => {
    it('is POLICY_INVALID naming the file and policy id', () => {
      const error = compileError(
        withSchema('@id("demo.typo") permit (principal, action == ActionGate::Action::"transfer", resource) when { context.amount == "1" };'),
      );
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details).toMatchObject({ file: 'demo/policies.cedar', policyId: 'demo.typo', schema: 'schema.cedarschema' });
    });
  });

  describe('when the schema does not parse', () => {
    it('is POLICY_INVALID naming the schema', () => {
      const error = compileError(withSchema('@id("demo.all") permit (principal, action, resource);', 'namespace ActionGate {'));
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['file']).toBe('schema.cedarschema');
    });
  });

  describe('when the policy set has no schema', () => {
    it('is POLICY_INVALID naming the schema: requests could not be validated', () => {
      const error = compileError(demoSet(PERMIT_TRANSFER).filter((file) => file.path !== 'schema.cedarschema'));
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['file']).toBe('schema.cedarschema');
    });
  });

  describe('when the schema is empty', () => {
    it.each([
      ['empty', ''],
      ['only white space', ' \n\t\n'],
    ])('is POLICY_INVALID naming the schema when it is %s', (_, schema) => {
      const error = compileError(demoSet(PERMIT_TRANSFER, { schema }));
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['file']).toBe('schema.cedarschema');
    });
  });
});
