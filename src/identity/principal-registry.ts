import { z } from 'zod';
import { KEY_ID_PATTERN } from '../keys/key-id.js';
import { checkPublicKeyEntry } from '../keys/key-set-schema.js';
import { fieldIssues } from '../field-issues.js';
import { PolicyError } from '../policy/policy-error.js';

export const PRINCIPAL_TYPES = ['agent', 'service', 'human'] as const;
export const PRINCIPAL_KEY_PURPOSES = ['request', 'operator', 'gateway'] as const;

/** Group names: what surfaces.json grants approvals and break-glass to (e.g. `treasury`, `sre-oncall`). */
export const GROUP_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];

const Instant = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 instant, e.g. 2026-11-24T00:00:00Z' });

/** One key a principal signs its requests with; `keyId` must be the one derived from `publicKey`. */
export const PrincipalKeySchema = z
  .strictObject({
    keyId: z.string().regex(KEY_ID_PATTERN, { error: 'must be ed25519: and 32 lower-case hex digits' }),
    /** Raw 32-byte Ed25519 public key, base64url without padding. */
    publicKey: z.string(),
    /**
     * What the key signs: `request` (the principal's own actions), `operator` (approvals and
     * overrides of others' actions) or `gateway` (attestations by a front door, such as
     * `actiongate serve`, of the callers it authenticated: see `attestedBy`). A key signs for one
     * purpose only, so a request key can never approve, and an approval key can never ask.
     */
    purpose: z.enum(PRINCIPAL_KEY_PURPOSES).default('request'),
    validFrom: Instant.optional(),
    validUntil: Instant.optional(),
  })
  .superRefine(checkPublicKeyEntry);

/**
 * A principal: who it is (`type`), the attributes policies may read (merged into the Cedar
 * entity beside `type`, checked against the schema on every request), and the keys it signs with.
 */
export const PrincipalSchema = z.strictObject({
  type: z.enum(PRINCIPAL_TYPES),
  description: z.string().optional(),
  /** Who answers for it (a team, a person): shown to operators, not read by the gate. */
  owner: z.string().optional(),
  /** Operator groups the principal belongs to; only a principal with an `operator` key can act in them. */
  groups: z.array(z.string().regex(GROUP_NAME_PATTERN, { error: 'must be a lower-case name, e.g. "treasury"' })).default([]),
  attributes: z.record(z.string().regex(/^[a-z][A-Za-z0-9_]{0,63}$/), z.union([z.string(), z.boolean(), z.int()])).default({}),
  keys: z.array(PrincipalKeySchema).default([]),
  /**
   * Gateways (principals with a `gateway` key) that may vouch for this principal: a request the
   * principal did not sign itself is proven by one of their attestations, made after the gateway
   * authenticated the caller as this principal (bearer token, client certificate). Empty: only the
   * principal's own signature proves it.
   */
  attestedBy: z.array(z.string().min(1).max(200)).default([]),
});

/** policies/principals.json: every actor the gate knows, with its proven identity. */
export const PrincipalRegistrySchema = z
  .strictObject({
    version: z.literal(1),
    principals: z.record(z.string().min(1).max(200), PrincipalSchema),
  })
  .superRefine((registry, ctx) => {
    const owners = new Map<string, string>();
    for (const [id, principal] of Object.entries(registry.principals)) {
      if ('type' in principal.attributes) {
        ctx.addIssue({ code: 'custom', path: ['principals', id, 'attributes', 'type'], message: 'is reserved: the principal\'s type is its "type" field' });
      }
      if (principal.groups.length > 0 && !principal.keys.some((key) => key.purpose === 'operator')) {
        ctx.addIssue({ code: 'custom', path: ['principals', id, 'groups'], message: 'a principal in a group needs a key with purpose "operator"' });
      }
      principal.attestedBy.forEach((gatewayId, index) => {
        const gateway = Object.hasOwn(registry.principals, gatewayId) ? registry.principals[gatewayId] : undefined;
        if (!gateway) {
          ctx.addIssue({ code: 'custom', path: ['principals', id, 'attestedBy', index], message: `"${gatewayId}" is not a principal in principals.json` });
        } else if (!gateway.keys.some((key) => key.purpose === 'gateway')) {
          ctx.addIssue({ code: 'custom', path: ['principals', id, 'attestedBy', index], message: `"${gatewayId}" has no key with purpose "gateway"` });
        } else if (gatewayId === id) {
          ctx.addIssue({ code: 'custom', path: ['principals', id, 'attestedBy', index], message: 'a principal cannot attest itself: it signs its requests with a request key' });
        }
      });
      principal.keys.forEach((key, index) => {
        const other = owners.get(key.keyId);
        // One key, one principal: a signature must name exactly one actor.
        if (other !== undefined && other !== id) {
          ctx.addIssue({ code: 'custom', path: ['principals', id, 'keys', index, 'keyId'], message: `is also a key of ${other}` });
        }
        owners.set(key.keyId, id);
      });
    }
  });

export type PrincipalKey = z.infer<typeof PrincipalKeySchema>;
export type Principal = z.infer<typeof PrincipalSchema>;
export type PrincipalRegistry = z.infer<typeof PrincipalRegistrySchema>;

export const EMPTY_PRINCIPALS: PrincipalRegistry = { version: 1, principals: {} };

/**
 * Parses principals.json, reporting every bad field at once.
 *
 * @throws PolicyError `POLICY_INVALID` with `details.issues`.
 * @example const registry = parsePrincipalRegistry(text); registry.principals['agent-42']?.type === 'agent';
 */
export function parsePrincipalRegistry(text: string, file = 'principals.json'): PrincipalRegistry {
  return parseRegistryFile(PrincipalRegistrySchema, text, file);
}

/** JSON.parse + a strict zod schema; every issue as `path: message` in one PolicyError. */
export function parseRegistryFile<T extends z.ZodType>(schema: T, text: string, file: string): z.infer<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PolicyError('POLICY_INVALID', `${file}: not JSON: ${message}`, { file, issues: [{ path: '', message }] });
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issues = fieldIssues(result.error.issues);
  throw new PolicyError('POLICY_INVALID', `${file}: ${issues.map((i) => `${i.path || '(top)'}: ${i.message}`).join('; ')}`, { file, issues });
}
