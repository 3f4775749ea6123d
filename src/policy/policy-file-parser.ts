import { policySetTextToParts, policyToJson } from '@cedar-policy/cedar-wasm/nodejs';
import { formatCedarError } from './cedar-diagnostics.js';
import { DECISION_REASONS } from './decision.js';
import type { PolicyFile } from './policy-files.js';
import { PolicyError } from './policy-error.js';

/** One Cedar policy with the id it answers to in decisions and receipts. */
export interface IdentifiedPolicy {
  id: string;
  /** The file it came from, relative to the policies folder. */
  path: string;
  /** The policy's own Cedar text, annotations included. */
  text: string;
  /**
   * `@approval("group")` on a forbid: this refusal can be lifted by operators of that group
   * (a step-up). Undefined for every other policy.
   */
  approvalGroup?: string;
}

/** Operator group names, as in principals.json and surfaces.json. */
const GROUP_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * Splits one `.cedar` file into its policies and names each: the `@id("...")` annotation, or
 * `<path>#<index>` (index from 0 in file order) when there is none. Cedar itself ignores `@id`
 * and would call them `policy0`, `policy1`, ... across the whole set, which shifts whenever a
 * file gains a policy; ids must stay put because receipts cite them.
 *
 * @throws PolicyError `POLICY_INVALID` naming the file (and line) for unparsable Cedar, templates,
 *   or an `@id` that is empty or one of the reserved reason words.
 * @example
 * parsePolicyFile({ path: 'payments/limits.cedar', text: '@id("p") permit (principal, action, resource);' })
 * // [{ id: 'p', path: 'payments/limits.cedar', text: '@id("p") permit (principal, action, resource);' }]
 */
export function parsePolicyFile(file: PolicyFile): IdentifiedPolicy[] {
  const parts = policySetTextToParts(file.text);
  if (parts.type === 'failure') {
    const messages = parts.errors.map((error) => formatCedarError(error, file.text));
    throw new PolicyError('POLICY_INVALID', `${file.path}: ${messages.join('; ')}`, { file: file.path, errors: messages });
  }
  if (parts.policy_templates.length > 0) {
    // Templates need links kept somewhere else; a gate whose rules live partly outside its files is not auditable.
    throw new PolicyError('POLICY_INVALID', `${file.path}: policy templates are not supported`, { file: file.path });
  }
  return parts.policies.map((text, index) => {
    const json = policyJson(file, text, index);
    const id = policyId(file, json, index);
    const approvalGroup = approvalOf(file, json, id);
    return approvalGroup === undefined ? { id, path: file.path, text } : { id, path: file.path, text, approvalGroup };
  });
}

type PolicyJson = { effect: string; annotations?: Record<string, string | null> };

function policyJson(file: PolicyFile, text: string, index: number): PolicyJson {
  const json = policyToJson(text);
  if (json.type === 'failure') {
    // Cannot happen for text Cedar just split out, but a policy we cannot read is not one we run.
    const messages = json.errors.map((error) => error.message).join('; ');
    throw new PolicyError('POLICY_INVALID', `${file.path}#${index}: ${messages}`, { file: file.path, index });
  }
  return json.json as unknown as PolicyJson;
}

/** `@approval("group")`: only on a forbid, naming one operator group. */
function approvalOf(file: PolicyFile, json: PolicyJson, id: string): string | undefined {
  if (!json.annotations || !Object.hasOwn(json.annotations, 'approval')) return undefined;
  const group = json.annotations['approval'];
  if (json.effect !== 'forbid') {
    throw new PolicyError('POLICY_INVALID', `${file.path}: policy "${id}": @approval is allowed on a forbid only (it names who may lift the refusal)`, {
      file: file.path,
      policyId: id,
    });
  }
  if (typeof group !== 'string' || !GROUP_NAME.test(group)) {
    throw new PolicyError('POLICY_INVALID', `${file.path}: policy "${id}": @approval needs one lower-case operator group, e.g. @approval("treasury")`, {
      file: file.path,
      policyId: id,
    });
  }
  return group;
}

function policyId(file: PolicyFile, json: PolicyJson, index: number): string {
  // `@id` without a value comes back as null.
  const annotated: string | null | undefined = json.annotations?.['id'];
  if (annotated === undefined) return `${file.path}#${index}`;
  if (annotated === null || annotated.trim() === '') {
    throw new PolicyError('POLICY_INVALID', `${file.path}#${index}: @id needs a non-empty value`, { file: file.path, index });
  }
  if (DECISION_REASONS.has(annotated)) {
    throw new PolicyError('POLICY_INVALID', `${file.path}: @id("${annotated}") is a reserved decision reason`, {
      file: file.path,
      policyId: annotated,
    });
  }
  return annotated;
}
