import { z } from 'zod';
import { PolicyError } from './policy-error.js';

/** Surface names are also folder names and part of preparsed policy-set ids: keep them plain. */
export const SURFACE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

export const SURFACES_FILE = 'surfaces.json';

export const HttpConnectorConfigSchema = z.strictObject({
  kind: z.literal('http'),
  url: z.url({ protocol: /^https?$/ }),
  timeoutMs: z.int().min(1).default(10_000),
});

/** A discriminated union on `kind`, so other connector kinds can be added beside `http`. */
export const ConnectorConfigSchema = z.discriminatedUnion('kind', [HttpConnectorConfigSchema]);

/**
 * Who may approve a step-up or break the glass on a surface: members of `groups` (principals.json),
 * `quorum` distinct operators, within `windowMs` of the decision, with a reason when required.
 */
export const OperatorGrantSchema = z.strictObject({
  groups: z.array(z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, { error: 'must be a lower-case group name' })).min(1),
  quorum: z.int().min(1).max(10).default(1),
  windowMs: z.int().min(10_000).max(86_400_000).default(900_000),
  reasonRequired: z.boolean().default(true),
});

export const SurfaceConfigSchema = z.strictObject({
  description: z.string().optional(),
  /** `shadow`: decide and record, but do not hold the action to the decision. */
  mode: z.enum(['enforce', 'shadow']).default('enforce'),
  /** How long the gate may take to decide before it refuses. */
  budgetMs: z.int().min(50).max(60_000).default(2000),
  /**
   * How long an action may wait between submission and its decision (a backlog after an outage):
   * later, the gate refuses it (DENY, expired) instead of acting on a request its agent gave up on.
   */
  maxQueueMs: z.int().min(1_000).max(86_400_000).default(60_000),
  /** Migration only, and only in shadow mode: decide unsigned requests too (receipts say keyId null). */
  acceptUnsigned: z.boolean().default(false),
  /** Step-up: who may approve an action a policy marks as needing approval. */
  approvals: OperatorGrantSchema.optional(),
  /** Break-glass: who may override a policy DENY (never a SILENCE or a gate refusal). */
  breakGlass: OperatorGrantSchema.optional(),
  connector: ConnectorConfigSchema,
}).superRefine((surface, ctx) => {
  if (surface.acceptUnsigned && surface.mode !== 'shadow') {
    // In enforce mode an unsigned request must never dispatch.
    ctx.addIssue({ code: 'custom', path: ['acceptUnsigned'], message: 'is allowed only with mode "shadow"' });
  }
});

/** policies/surfaces.json: every surface the gate knows, and how to reach it. */
export const SurfaceRegistrySchema = z.strictObject({
  version: z.literal(1),
  surfaces: z.record(z.string().regex(SURFACE_NAME_PATTERN), SurfaceConfigSchema),
});

export type ConnectorConfig = z.infer<typeof ConnectorConfigSchema>;
export type OperatorGrant = z.infer<typeof OperatorGrantSchema>;
export type SurfaceConfig = z.infer<typeof SurfaceConfigSchema>;
export type SurfaceRegistry = z.infer<typeof SurfaceRegistrySchema>;

/** One bad field of surfaces.json: a dotted path from the top of the file and what is wrong. */
export interface RegistryIssue {
  path: string;
  message: string;
}

/**
 * Parses the text of surfaces.json, applying defaults. Reports every bad field at once.
 *
 * @throws PolicyError `POLICY_INVALID` with `details.issues` listing each bad field.
 * @example
 * const registry = parseSurfaceRegistry('{"version":1,"surfaces":{"payments":{"connector":{"kind":"http","url":"http://127.0.0.1:8787/payments"}}}}');
 * registry.surfaces.payments?.budgetMs === 2000;
 */
export function parseSurfaceRegistry(text: string, file: string = SURFACES_FILE): SurfaceRegistry {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PolicyError('POLICY_INVALID', `${file}: not JSON: ${message}`, {
      file,
      issues: [{ path: '', message }],
    });
  }
  const result = SurfaceRegistrySchema.safeParse(json);
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap(toRegistryIssues);
  const summary = issues.map((issue) => `${issue.path || '(top)'}: ${issue.message}`).join('; ');
  throw new PolicyError('POLICY_INVALID', `${file}: ${summary}`, { file, issues });
}

function toRegistryIssues(issue: z.core.$ZodIssue): RegistryIssue[] {
  const path = issue.path.map(String).join('.');
  // zod reports unknown keys on their parent; naming each key points at the line to delete.
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: path ? `${path}.${key}` : key, message: 'unknown field' }));
  }
  return [{ path, message: issue.message }];
}
