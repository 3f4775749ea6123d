import { z } from 'zod';
import { ActionRequestSchema } from '../request/action-request.js';
import { PolicyError } from './policy-error.js';

/** Surface names are also folder names and part of preparsed policy-set ids: keep them plain. */
export const SURFACE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

export const SURFACES_FILE = 'surfaces.json';

/** An HTTP header name: an RFC 7230 token. */
export const HEADER_NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Headers the HTTP connector sets itself (compared case-insensitively); `x-actiongate-*` too. */
export const RESERVED_HEADER_NAMES: readonly string[] = ['host', 'content-type', 'content-length', 'transfer-encoding', 'connection', 'idempotency-key'];

/** Names that carry credentials: their value must come from the environment or a file, never from surfaces.json. */
const CREDENTIAL_HEADER_PATTERN = /auth|key|token|secret|passw|cookie|credential|signature|session/i;

/**
 * The worker's own credentials and configuration: a policy bundle (whose signer also picks the
 * connector's URL) must never be able to send them to an external system.
 */
const WORKER_OWN_VARIABLE = /^(ACTIONGATE_|TEMPORAL_|PG[A-Z]|DATABASE_URL$)/;

/** An environment variable the worker reads a header value from; never one of the worker's own. */
const ENV_NAME = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, { error: 'must be an environment variable name' })
  .refine((name) => !WORKER_OWN_VARIABLE.test(name.toUpperCase()), {
    error: "ACTIONGATE_*, TEMPORAL_*, PG* and DATABASE_URL are the worker's own configuration and credentials, not connector secrets",
  });

/** Put before the secret, e.g. "Bearer ": a short scheme word, never the secret itself. */
const HEADER_PREFIX = z.string().regex(/^[A-Za-z][A-Za-z0-9._-]{0,23} ?$/, { error: 'must be a short scheme such as "Bearer " (the secret goes in env or file)' });

const HEADER_VALUE_SHAPE = 'must be { "env": "VAR" } or { "file": "/path" } (each with an optional "prefix"), or a plain string for a header that is no credential';

/**
 * Where a header's value comes from when the worker loads the policy set: an environment variable
 * or a file (its content, one trailing newline removed), optionally after a prefix. surfaces.json
 * holds only this reference; the value is never part of a bundle, a receipt or a log line.
 */
export const HeaderSecretRefSchema = z.union([
  z.strictObject({ env: ENV_NAME, prefix: HEADER_PREFIX.optional() }),
  z.strictObject({
    file: z.string().startsWith('/', { error: 'must be an absolute path' }).max(4096),
    prefix: HEADER_PREFIX.optional(),
  }),
], { error: HEADER_VALUE_SHAPE });

/** A plain value, for headers that carry no secret (e.g. a tenant or API version). */
const HEADER_LITERAL = z.string().max(1024).regex(/^[\x20-\x7E]*$/, { error: 'must be printable ASCII without line breaks' });

export const HeaderValueSchema = z.union([HEADER_LITERAL, HeaderSecretRefSchema], { error: HEADER_VALUE_SHAPE });

/**
 * Headers the MCP connector's transport (Streamable HTTP) sets itself, beside {@link RESERVED_HEADER_NAMES}:
 * configuring one would break the session or the protocol negotiation.
 */
export const MCP_RESERVED_HEADER_NAMES: readonly string[] = ['accept', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id'];

/** Extra request headers of a connector: names that are tokens, given once, none of `reserved`; credentials by reference. */
function headersSchema(reserved: readonly string[]) {
  return z.record(z.string(), HeaderValueSchema).superRefine((headers, ctx) => {
    const seen = new Set<string>();
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (!HEADER_NAME_PATTERN.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is not a valid HTTP header name (RFC 7230 token)' });
      } else if (reserved.includes(lower) || lower.startsWith('x-actiongate-')) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is set by the connector itself and cannot be configured' });
      } else if (seen.has(lower)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is given twice (header names are case-insensitive)' });
      } else if (typeof value === 'string' && CREDENTIAL_HEADER_PATTERN.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'looks like a credential: its value must come from { "env": "VAR" } or { "file": "/path" }, never inline',
        });
      }
      seen.add(lower);
    }
  });
}

const HeadersSchema = headersSchema(RESERVED_HEADER_NAMES);

/** Extra request headers of an MCP connector (and of the MCP gateway's upstreams): also none the MCP transport sets. */
export const McpHeadersSchema = headersSchema([...RESERVED_HEADER_NAMES, ...MCP_RESERVED_HEADER_NAMES]);

/** An http(s) URL without user:password@ (credentials go in a header, by reference); `protocolError` replaces zod's message for another scheme. */
export function endpointUrlSchema(protocolError?: string) {
  return z.url({ protocol: /^https?$/, ...(protocolError ? { error: protocolError } : {}) }).refine((url) => !/^[a-z]+:\/\/[^/?#]*@/i.test(url), {
    error: 'must not carry credentials (user:password@); send them in a header from env or file',
  });
}

export const HttpConnectorConfigSchema = z.strictObject({
  kind: z.literal('http'),
  url: endpointUrlSchema(),
  timeoutMs: z.int().min(1).default(10_000),
  /** Extra request headers; credentials by reference ({ env } or { file }), see {@link HeaderSecretRefSchema}. */
  headers: HeadersSchema.optional(),
});

/** An MCP tool name (SEP-986): 1 to 128 of A-Z a-z 0-9 _ - . */
export const MCP_TOOL_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * An upstream MCP server as the connector of a surface: a permitted action becomes one `tools/call`
 * of the tool `tools[action]` (default: the action's name) with the payload as its arguments. Only
 * Streamable HTTP upstreams: a worker does not spawn processes, so stdio servers are not supported.
 */
export const McpConnectorConfigSchema = z.strictObject({
  kind: z.literal('mcp'),
  url: endpointUrlSchema('must be the http(s) URL of a Streamable HTTP MCP endpoint (stdio upstreams are not supported by the worker)'),
  timeoutMs: z.int().min(1).default(10_000),
  /** Sent with every request to the upstream; credentials by reference, as for `http`. */
  headers: McpHeadersSchema.optional(),
  /** Action name to upstream tool name, for actions whose tool is named otherwise. */
  tools: z
    .record(
      ActionRequestSchema.shape.action,
      z.string().regex(MCP_TOOL_NAME_PATTERN, { error: 'must be an MCP tool name: 1 to 128 of A-Z a-z 0-9 _ - .' }),
    )
    .optional(),
});

/** A discriminated union on `kind`: `http` or `mcp`. */
export const ConnectorConfigSchema = z.discriminatedUnion('kind', [HttpConnectorConfigSchema, McpConnectorConfigSchema]);

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
export type HttpConnectorConfig = z.infer<typeof HttpConnectorConfigSchema>;
export type McpConnectorConfig = z.infer<typeof McpConnectorConfigSchema>;
export type HeaderSecretRef = z.infer<typeof HeaderSecretRefSchema>;
export type HeaderValue = z.infer<typeof HeaderValueSchema>;
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
