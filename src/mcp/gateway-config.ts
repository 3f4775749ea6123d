import { z } from 'zod';
import { MCP_TOOL_NAME_PATTERN, McpHeadersSchema, endpointUrlSchema } from '../policy/surface-registry.js';
import { ActionRequestSchema, RESERVED_CONTEXT_KEY } from '../request/action-request.js';
import { McpGatewayError } from './gateway-error.js';
import { fieldIssues } from '../field-issues.js';
import { JSON_POINTER_PATTERN } from './json-pointer.js';

const JsonPointerSchema = z.string().regex(JSON_POINTER_PATTERN, {
  error: 'must be a JSON pointer into the tool\'s arguments, e.g. "/to" or "/payee/iban" (RFC 6901)',
});

/** A context key a Cedar schema can declare (an identifier), never the gate's own. */
const ContextKeySchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { error: 'must be an identifier (a letter or _, then letters, digits or _)' })
  .refine((key) => key !== RESERVED_CONTEXT_KEY, { error: `"${RESERVED_CONTEXT_KEY}" is reserved: the gate puts its own clock there` });

/**
 * How one upstream tool becomes a governed action: the action on the upstream's surface, and where
 * in the call's arguments its target id, its context and (optionally) its idempotency key are.
 */
export const ToolMappingSchema = z.strictObject({
  action: ActionRequestSchema.shape.action,
  target: z.strictObject({
    /** Fixed: the kind of thing every call of this tool acts on. */
    type: ActionRequestSchema.shape.target.shape.type,
    /** The argument that names it (a string). */
    id: JsonPointerSchema,
  }),
  /** Context key to the argument it comes from (any JSON value; the surface's schema checks its type). */
  context: z.record(ContextKeySchema, JsonPointerSchema).default(() => ({})),
  /** The argument carrying a key the caller chose (a string); a call without it gets a key derived from its arguments. */
  idempotencyKey: JsonPointerSchema.optional(),
});

/** The name of an upstream: in messages, and in `<upstream>__<tool>` when two upstreams offer a tool of one name. */
const UPSTREAM_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

export const UpstreamConfigSchema = z.strictObject({
  name: z.string().regex(UPSTREAM_NAME_PATTERN, { error: 'must be a lower-case name: a letter, then up to 62 of a-z 0-9 -' }),
  /**
   * Where the gateway lists the upstream's tools (names, descriptions, input schemas). Calls never go
   * here from the gateway: the worker's connector for `surface` (surfaces.json) makes them.
   */
  url: endpointUrlSchema('must be the http(s) URL of a Streamable HTTP MCP endpoint (stdio upstreams are not supported)'),
  surface: ActionRequestSchema.shape.surface,
  /** For tools/list. */
  timeoutMs: z.int().min(1).max(120_000).default(10_000),
  /** Sent when listing tools; credentials by reference ({ env } or { file }), as in surfaces.json. */
  headers: McpHeadersSchema.optional(),
  /** Upstream tool name to its mapping; only these tools are offered. */
  tools: z
    .record(z.string().regex(MCP_TOOL_NAME_PATTERN, { error: 'must be an MCP tool name: 1 to 128 of A-Z a-z 0-9 _ - .' }), ToolMappingSchema)
    .refine((tools) => Object.keys(tools).length > 0, { error: 'must name at least one tool' }),
});

/**
 * The MCP gateway's configuration file (`actiongate mcp --config FILE`): who acts, with which key,
 * and which tools of which upstreams it offers, each mapped to a governed action.
 */
export const McpGatewayConfigSchema = z
  .strictObject({
    /** Every call is this actor's request, signed with `key`. */
    actor: ActionRequestSchema.shape.actor,
    /** The actor's request-signing key file (`actiongate keys generate --purpose request`); relative to the config file. */
    key: z.string().min(1, { error: 'must name the actor\'s private key file' }),
    upstreams: z.array(UpstreamConfigSchema).min(1, { error: 'must list at least one upstream' }),
    /** How long a permitted call waits for dispatch before answering that it is still being carried out. */
    resultWaitMs: z.int().min(0).max(600_000).default(30_000),
    /** How long a call that waits for operators (STEP_UP) waits before answering that it still waits. */
    operatorWaitMs: z.int().min(0).max(600_000).default(2_000),
  })
  .superRefine((config, ctx) => {
    const names = new Map<string, number>();
    config.upstreams.forEach((upstream, i) => {
      const first = names.get(upstream.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['upstreams', i, 'name'], message: `is the name of upstreams[${first}] too` });
      else names.set(upstream.name, i);
    });
    // The worker dispatches a surface's action to one upstream tool (its surfaces.json connector), so
    // two tools mapped to one action would both reach that tool, and share idempotency keys.
    const actions = new Map<string, string>();
    config.upstreams.forEach((upstream, i) => {
      for (const [tool, mapping] of Object.entries(upstream.tools)) {
        const action = `${upstream.surface}.${mapping.action}`;
        const first = actions.get(action);
        if (first !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['upstreams', i, 'tools', tool, 'action'], message: `${action} is the action of ${first} already; each action fronts one tool` });
        } else {
          actions.set(action, `${upstream.name}/${tool}`);
        }
      }
    });
    const exposed = new Map<string, string>();
    for (const tool of gatewayTools(config)) {
      const where = `${tool.upstream.name}/${tool.toolName}`;
      const first = exposed.get(tool.name);
      if (!MCP_TOOL_NAME_PATTERN.test(tool.name)) {
        ctx.addIssue({ code: 'custom', path: ['upstreams', tool.upstreamIndex, 'tools', tool.toolName], message: `would be offered as ${tool.name}, longer than an MCP tool name may be (128)` });
      } else if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['upstreams', tool.upstreamIndex, 'tools', tool.toolName], message: `would be offered as ${tool.name}, the name of ${first} too` });
      } else {
        exposed.set(tool.name, where);
      }
    }
  });

export type ToolMapping = z.infer<typeof ToolMappingSchema>;
export type UpstreamConfig = z.infer<typeof UpstreamConfigSchema>;
export type McpGatewayConfig = z.infer<typeof McpGatewayConfigSchema>;

/** One tool the gateway offers. */
export interface GatewayTool {
  /** The name the gateway's clients see: the upstream's tool name, or `<upstream>__<tool>` when two upstreams configure a tool of that name. */
  name: string;
  upstream: UpstreamConfig;
  upstreamIndex: number;
  /** The tool's name on its upstream. */
  toolName: string;
  mapping: ToolMapping;
}

/**
 * The tools the gateway offers, in configuration order. A tool keeps its upstream name unless
 * another upstream also configures a tool of that name: then both are offered as `<upstream>__<tool>`.
 * Names follow from the configuration alone, never from what an upstream lists, so they do not change
 * when an upstream adds a tool.
 *
 * @example gatewayTools(config).map((t) => t.name) // ['transfer_funds', 'ledger__lookup', 'crm__lookup']
 */
export function gatewayTools(config: Pick<McpGatewayConfig, 'upstreams'>): GatewayTool[] {
  const count = new Map<string, number>();
  for (const upstream of config.upstreams) for (const tool of Object.keys(upstream.tools)) count.set(tool, (count.get(tool) ?? 0) + 1);
  return config.upstreams.flatMap((upstream, upstreamIndex) =>
    Object.entries(upstream.tools).map(([toolName, mapping]) => ({
      name: (count.get(toolName) ?? 0) > 1 ? `${upstream.name}__${toolName}` : toolName,
      upstream,
      upstreamIndex,
      toolName,
      mapping,
    })),
  );
}

/** One bad field of the configuration: a dotted path from the top of the file, and what is wrong. */
export interface GatewayConfigIssue {
  path: string;
  message: string;
}

/**
 * Parses the gateway's configuration file, applying defaults. Reports every bad field at once.
 *
 * @throws McpGatewayError `CONFIG_INVALID` with `details.issues` listing each bad field by path.
 * @example const config = parseGatewayConfig(await readFile(file, 'utf8'), file);
 */
export function parseGatewayConfig(text: string, file: string): McpGatewayConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new McpGatewayError('CONFIG_INVALID', `${file}: not JSON: ${message}`, { file, issues: [{ path: '', message }] });
  }
  const result = McpGatewayConfigSchema.safeParse(json, {
    error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined),
  });
  if (result.success) return result.data;
  const issues: GatewayConfigIssue[] = fieldIssues(result.error.issues);
  const summary = issues.map((issue) => `${issue.path || '(top)'}: ${issue.message}`).join('; ');
  throw new McpGatewayError('CONFIG_INVALID', `${file}: ${summary}`, { file, issues });
}

