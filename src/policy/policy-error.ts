import { ActionGateError } from '../errors.js';

/**
 * `POLICY_UNAVAILABLE`: the policies could not be read (missing folder, unreadable file).
 * `POLICY_INVALID`: they were read but cannot be used (bad surfaces.json, unparsable Cedar,
 * duplicate policy ids, ...). Either way no decision can be made, so the gate refuses.
 */
export type PolicyErrorCode = 'POLICY_UNAVAILABLE' | 'POLICY_INVALID';

/**
 * A policy set that cannot be loaded or compiled. Messages name the file (and the policy id
 * where there is one); `details` carries the same facts as fields (`file`, `policyId`, `issues`)
 * for callers and tests, which branch on `code`, never on the message.
 *
 * @example
 * try {
 *   compilePolicySet(files);
 * } catch (error) {
 *   if (error instanceof PolicyError && error.code === 'POLICY_INVALID') console.error(error.details?.file);
 *   throw error;
 * }
 */
export class PolicyError extends ActionGateError<PolicyErrorCode> {}
