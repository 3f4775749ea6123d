import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { allowsDispatch, type ActionDecision, type ActionResult } from '../action/action-result.js';
import { ClientError } from '../client/client-error.js';
import type { ResolvedHeaders } from '../connectors/connector-secrets.js';
import { openUpstream } from '../connectors/mcp-upstream.js';
import type { Signer } from '../keys/signer.js';
import { RequestError } from '../request/request-error.js';
import { gatewayTools, type GatewayTool, type McpGatewayConfig, type UpstreamConfig } from './gateway-config.js';
import { McpGatewayError } from './gateway-error.js';
import { actionRequestFor } from './tool-request.js';
import { within } from '../within.js';
import { dispatchPendingAnswer, gatewayErrorAnswer, refusalAnswer, resultAnswer, waitingForOperatorsAnswer } from './tool-answer.js';

/**
 * What the gateway submits governed actions through. `ActionGateClient` is one (over Temporal); a
 * front door reached over HTTP can be another.
 */
export interface ActionSubmitter {
  submit(request: unknown, options: { signer: Signer }): Promise<{ decision: ActionDecision; result(): Promise<ActionResult> }>;
}

export interface McpGatewayOptions {
  config: McpGatewayConfig;
  /** The actor's request-signing key: every call is signed as `config.actor`. */
  signer: Signer;
  submitter: ActionSubmitter;
  /** Each upstream's headers for tools/list, resolved (see `resolveHeaders`), by upstream name. */
  upstreamHeaders?: Readonly<Record<string, ResolvedHeaders>>;
  /** Problems that are not a call's answer (an upstream that cannot list its tools); default: none. */
  log?: (line: string) => void;
}

// Informational (MCP serverInfo.version), not the package's version.
const SERVER_VERSION = '1.0.0';

/** At most this many pages of an upstream's tools/list are read. */
const MAX_TOOL_PAGES = 50;

const INSTRUCTIONS =
  'Every tool call here is an action governed by ActionGate: policies decide it before it reaches the tool. ' +
  'A refused call returns an error that says the outcome (DENY, SILENCE, STEP_UP), the reasons and the receipt; ' +
  'calling again with the same arguments gets the same answer and never carries the action out twice.';

/**
 * An MCP server in front of upstream MCP servers whose tool calls are governed actions. It offers
 * the tools its configuration names (listed from their upstreams, with their input schemas); each
 * tools/call becomes an ActionRequest (see {@link actionRequestFor}) signed with the actor's key and
 * submitted. Only a permitted action reaches the upstream tool, through the worker's MCP connector
 * for the tool's surface; the gateway never calls a tool itself. The answer is the tool's own
 * result, or an error the model can read (tool-answer.ts).
 *
 * @example
 * const gateway = new McpGateway({ config, signer, submitter: new ActionGateClient({ client, taskQueue }) });
 * await gateway.createServer().connect(new StdioServerTransport());
 */
export class McpGateway {
  /** The tools offered, by the name clients see. */
  readonly tools: ReadonlyMap<string, GatewayTool>;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly log: (line: string) => void;

  constructor(private readonly options: McpGatewayOptions) {
    this.tools = new Map(gatewayTools(options.config).map((tool) => [tool.name, tool]));
    this.log = options.log ?? (() => undefined);
  }

  /**
   * The offered tools as their upstreams describe them (name replaced by the offered name, the
   * description told that calls are governed), in configuration order. An upstream that cannot be
   * listed, or that does not offer a configured tool, is logged and its tools left out. The tools'
   * output schemas are left out: a refusal's structuredContent would not match them.
   */
  async listTools(): Promise<Tool[]> {
    const listed = await Promise.all(
      this.options.config.upstreams.map((upstream) =>
        this.upstreamTools(upstream).catch((err: unknown) => {
          this.log(`mcp: upstream ${upstream.name}: cannot list its tools: ${(err as Error).message}`);
          return undefined;
        }),
      ),
    );
    const tools: Tool[] = [];
    for (const tool of this.tools.values()) {
      const offered = listed[tool.upstreamIndex];
      if (!offered) continue;
      const found = offered.get(tool.toolName);
      if (!found) {
        this.log(`mcp: upstream ${tool.upstream.name} does not offer tool ${tool.toolName}; it is not listed`);
        continue;
      }
      const governed = `Governed by ActionGate (${tool.upstream.surface}.${tool.mapping.action}): a call the policies refuse returns an error with the outcome, the reasons and the receipt id.`;
      tools.push({
        name: tool.name,
        ...(found.title !== undefined ? { title: found.title } : {}),
        description: found.description ? `${found.description}\n\n${governed}` : governed,
        inputSchema: found.inputSchema,
        ...(found.annotations !== undefined ? { annotations: found.annotations } : {}),
      });
    }
    return tools;
  }

  /**
   * One tools/call, answered. Bad arguments, refusals, failures and waits are answers (isError),
   * never exceptions.
   *
   * @throws McpGatewayError `UNKNOWN_TOOL` for a tool the configuration does not offer.
   */
  async callTool(name: string, args: unknown): Promise<CallToolResult> {
    const tool = this.tools.get(name);
    if (!tool) throw new McpGatewayError('UNKNOWN_TOOL', `tool ${name} is not offered by this gateway`, { tool: name });
    const call = this.answer(tool, args ?? {});
    this.inFlight.add(call);
    try {
      return await call;
    } finally {
      this.inFlight.delete(call);
    }
  }

  /** Waits for the calls in flight to be answered (before the process exits). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /** An MCP server (one per transport or connection) answering tools/list and tools/call through this gateway. */
  createServer(): Server {
    const server = new Server({ name: 'actiongate-mcp-gateway', version: SERVER_VERSION }, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await this.listTools() }));
    server.setRequestHandler(CallToolRequestSchema, async (request) => {
      try {
        return await this.callTool(request.params.name, request.params.arguments);
      } catch (err) {
        // An unknown tool is a protocol error (MCP: "Unknown tools" are -32602), not a tool's answer.
        if (err instanceof McpGatewayError && err.code === 'UNKNOWN_TOOL') throw new McpError(ErrorCode.InvalidParams, err.message);
        throw err;
      }
    });
    return server;
  }

  private async answer(tool: GatewayTool, args: unknown): Promise<CallToolResult> {
    const { config, signer, submitter } = this.options;
    let request;
    try {
      request = actionRequestFor(tool, config.actor, args);
    } catch (err) {
      if (err instanceof McpGatewayError) return badArgumentsAnswer(tool, err);
      throw err;
    }
    const key = request.idempotencyKey;
    let submitted;
    try {
      submitted = await submitter.submit(request, { signer });
    } catch (err) {
      return this.submitFailure(err, key);
    }
    const { decision } = submitted;
    const dispatching = allowsDispatch(decision);
    if (!dispatching && !decision.waitsFor) return refusalAnswer(decision);
    const result = submitted.result();
    const ended = await within(result, dispatching ? config.resultWaitMs : config.operatorWaitMs).catch((err: unknown) => ({ failed: err }));
    if (ended === undefined) {
      // The action goes on without us; its result is read again by a repeat of the call.
      result.catch(() => undefined);
      return dispatching ? dispatchPendingAnswer(decision) : waitingForOperatorsAnswer(decision);
    }
    if ('failed' in ended) return this.submitFailure(ended.failed, key);
    return resultAnswer(ended);
  }

  private submitFailure(err: unknown, idempotencyKey: string): CallToolResult {
    if (err instanceof RequestError) {
      return gatewayErrorAnswer(`ActionGate could not take this call as an action: ${err.message}`, { idempotencyKey, issues: err.issues });
    }
    if (err instanceof ClientError) {
      const next =
        err.code === 'IDEMPOTENCY_CONFLICT'
          ? 'This idempotency key was used before for a different action; nothing was done for this call. Use a new key.'
          : err.code === 'TEMPORAL_UNAVAILABLE'
            ? 'The gate did not answer; the action may or may not have been submitted. Call again with the same arguments later: it is never carried out twice.'
            : 'The action ended without a result; ask an operator to look at it under its idempotency key.';
      return gatewayErrorAnswer(`ActionGate: ${err.code}: ${err.message}\n${next}\nIdempotency key: ${idempotencyKey}`, { code: err.code, idempotencyKey });
    }
    this.log(`mcp: action ${idempotencyKey} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return gatewayErrorAnswer(
      `ActionGate failed to handle this call (${err instanceof Error ? err.message : String(err)}). Call again with the same arguments later: it is never carried out twice.\nIdempotency key: ${idempotencyKey}`,
      { code: 'GATEWAY_ERROR', idempotencyKey },
    );
  }

  private async upstreamTools(upstream: UpstreamConfig): Promise<Map<string, Tool>> {
    const resolved = this.options.upstreamHeaders?.[upstream.name];
    const connection = await openUpstream({
      url: upstream.url,
      ...(resolved ? { headers: resolved.headers, secrets: resolved.secrets } : {}),
      timeoutMs: upstream.timeoutMs,
      signal: AbortSignal.timeout(upstream.timeoutMs),
      clientName: 'actiongate-mcp-gateway',
    });
    let phase: 'initialize' | 'tools/list' = 'initialize';
    try {
      await connection.connect();
      phase = 'tools/list';
      const tools = new Map<string, Tool>();
      let cursor: string | undefined;
      for (let page = 0; page < MAX_TOOL_PAGES; page++) {
        const listed = await connection.client.listTools(cursor === undefined ? undefined : { cursor }, connection.requestOptions);
        for (const tool of listed.tools) tools.set(tool.name, tool);
        cursor = listed.nextCursor;
        if (cursor === undefined) break;
      }
      return tools;
    } catch (err) {
      throw connection.failure(err, phase);
    } finally {
      await connection.close();
    }
  }
}

/** A call whose arguments do not fit the tool's mapping: the model can fix them and call again. */
function badArgumentsAnswer(tool: GatewayTool, err: McpGatewayError): CallToolResult {
  return gatewayErrorAnswer(`ActionGate could not take this call to ${tool.name} as an action, so nothing was done: ${err.message}.`, {
    code: err.code,
    arguments: err.details?.['arguments'] ?? [],
  });
}
