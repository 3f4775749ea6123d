import { checkParseSchema, validate } from '@cedar-policy/cedar-wasm/nodejs';
import { formatCedarError } from './cedar-diagnostics.js';
import type { PolicyFile } from './policy-files.js';
import type { IdentifiedPolicy } from './policy-file-parser.js';
import { PolicyError } from './policy-error.js';

/**
 * Checks that `schema.cedarschema` parses.
 *
 * @throws PolicyError `POLICY_INVALID` naming the schema file.
 * @example checkSchema({ path: 'schema.cedarschema', text: 'namespace ActionGate { entity Actor; }' });
 */
export function checkSchema(schema: PolicyFile): void {
  const answer = checkParseSchema(schema.text);
  if (answer.type === 'failure') {
    const messages = answer.errors.map((error) => formatCedarError(error, schema.text));
    throw new PolicyError('POLICY_INVALID', `${schema.path}: ${messages.join('; ')}`, { file: schema.path, errors: messages });
  }
}

/**
 * Strict Cedar validation of one surface's policies against the schema, when the policy set
 * ships one: a policy that reads an attribute the schema does not declare, or compares values
 * of different types, is refused at load time instead of erroring on every request.
 *
 * @throws PolicyError `POLICY_INVALID` naming the first offending policy's file and id.
 * @example validatePolicies(schemaFile, parsePolicyFile(file));
 */
export function validatePolicies(schema: PolicyFile, policies: readonly IdentifiedPolicy[]): void {
  const byId = new Map(policies.map((policy) => [policy.id, policy]));
  const answer = validate({
    schema: schema.text,
    policies: { staticPolicies: Object.fromEntries(policies.map((policy) => [policy.id, policy.text])) },
    validationSettings: { mode: 'strict' },
  });
  if (answer.type === 'failure') {
    const messages = answer.errors.map((error) => error.message);
    throw new PolicyError('POLICY_INVALID', `${schema.path}: ${messages.join('; ')}`, { file: schema.path, errors: messages });
  }
  const problems = answer.validationErrors
    .map((problem) => {
      const policy = byId.get(problem.policyId);
      const where = policy ? `${policy.path} @id("${policy.id}")` : problem.policyId;
      return { policy, line: `${where}: ${formatCedarError(problem.error, policy?.text ?? '')}` };
    })
    .sort((a, b) => (a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
  const first = problems[0];
  if (first) {
    throw new PolicyError('POLICY_INVALID', `does not validate against ${schema.path}: ${problems.map((p) => p.line).join('; ')}`, {
      file: first.policy?.path ?? schema.path,
      policyId: first.policy?.id,
      schema: schema.path,
      errors: problems.map((p) => p.line),
    });
  }
}
