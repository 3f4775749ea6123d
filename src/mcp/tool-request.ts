import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { safeParseActionRequest, type ActionRequest, type JsonValue } from '../request/action-request.js';
import { canonicalJson } from '../request/canonical-json.js';
import type { RequestIssue } from '../request/request-error.js';
import type { GatewayTool, McpGatewayConfig } from './gateway-config.js';
import { McpGatewayError } from './gateway-error.js';
import { argumentName, resolvePointer } from './json-pointer.js';

/** An idempotency key is a Temporal workflow ID: at most 200 characters. */
const MAX_KEY_LENGTH = 200;
/** Hex digits of the argument hash in a derived key: 128 bits. */
const KEY_HASH_HEX = 32;

/**
 * The idempotency key of a tool call that brings none: `mcp-<surface>-<action>-<hash>`, where the
 * hash is the first 32 hex digits of SHA-256 over the RFC 8785 canonical JSON of
 * `{ action, actor, arguments, surface }` (`actor` is the actor's id). The same call by the same
 * actor always gets the same key, so a repeat is answered from the first and never carried out
 * twice. The readable part is cut to keep the key within 200 characters (a 63-character surface and
 * a 100-character action would pass it by one); the hash covers the whole.
 *
 * @example derivedIdempotencyKey('payments', 'transfer', 'agent-42', { amount: 12000, currency: 'EUR', to: 'acct-7' })
 * // 'mcp-payments-transfer-' + 32 hex digits
 */
export function derivedIdempotencyKey(surface: string, action: string, actorId: string, args: Record<string, unknown>): string {
  const hash = bytesToHex(sha256(utf8ToBytes(canonicalJson({ action, actor: actorId, arguments: args, surface })))).slice(0, KEY_HASH_HEX);
  const readable = `mcp-${surface}-${action}`.slice(0, MAX_KEY_LENGTH - KEY_HASH_HEX - 1);
  return `${readable}-${hash}`;
}

/**
 * The ActionRequest a tools/call becomes: the actor of the configuration, the tool's surface and
 * action, the target id and context taken from the arguments by the tool's mapping, the arguments
 * themselves as the payload (what the upstream tool receives if the action is permitted), and the
 * key from the argument the mapping names when the call gives it, else {@link derivedIdempotencyKey}.
 *
 * @throws McpGatewayError `BAD_ARGUMENTS` naming every argument that is missing or of the wrong
 *   type (`details.arguments`), or that the request cannot carry (a NUL, a request over 64 KiB).
 */
export function actionRequestFor(tool: GatewayTool, actor: McpGatewayConfig['actor'], args: unknown): ActionRequest {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw badArguments([{ argument: '(arguments)', message: 'must be an object' }]);
  }
  const record = args as Record<string, unknown>;
  const { mapping } = tool;
  const problems: ArgumentProblem[] = [];
  const need = (pointer: string, role: string): unknown => {
    const value = resolvePointer(record, pointer);
    if (value === undefined) problems.push({ argument: argumentName(pointer), message: `is missing (it is the ${role})` });
    return value;
  };
  const text = (pointer: string, role: string): string | undefined => {
    const value = need(pointer, role);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') {
      problems.push({ argument: argumentName(pointer), message: `must be a non-empty string (it is the ${role}), not ${describe(value)}` });
      return undefined;
    }
    return value;
  };
  const targetId = text(mapping.target.id, `${mapping.target.type} the action is done to`);
  const context: Record<string, unknown> = {};
  for (const [key, pointer] of Object.entries(mapping.context)) context[key] = need(pointer, `context ${key} of the policies`);
  // A key the caller chose when it gave one; without it, the derived key (the same call, the same key).
  const suppliedKey =
    mapping.idempotencyKey === undefined || resolvePointer(record, mapping.idempotencyKey) === undefined
      ? undefined
      : text(mapping.idempotencyKey, 'idempotency key of this call');
  if (problems.length > 0) throw badArguments(problems);

  let idempotencyKey = suppliedKey;
  if (idempotencyKey === undefined) {
    try {
      idempotencyKey = derivedIdempotencyKey(tool.upstream.surface, mapping.action, actor.id, record);
    } catch {
      // canonicalJson refuses what is not plain JSON; the request's own check below names the spot.
      idempotencyKey = 'mcp-unhashable';
    }
  }
  const parsed = safeParseActionRequest({
    idempotencyKey,
    actor,
    surface: tool.upstream.surface,
    action: mapping.action,
    target: { type: mapping.target.type, id: targetId },
    context: context as Record<string, JsonValue>,
    payload: record as JsonValue,
  });
  if (!parsed.ok) throw badArguments(dedupe(parsed.error.issues.map((issue) => argumentProblem(issue, tool))));
  return parsed.request;
}

interface ArgumentProblem {
  /** How the model knows the argument: `"to"`, `/payee/iban`, or `(arguments)` for all of them. */
  argument: string;
  message: string;
}

function badArguments(problems: ArgumentProblem[]): McpGatewayError {
  const lines = problems.map((p) => `argument ${p.argument} ${p.message}`);
  return new McpGatewayError('BAD_ARGUMENTS', lines.join('; '), { arguments: problems });
}

/** A request field's problem as the argument it came from (the mapping says which). */
function argumentProblem(issue: RequestIssue, tool: GatewayTool): ArgumentProblem {
  const { mapping } = tool;
  const from = (pointer: string | undefined, rest: string): ArgumentProblem | undefined =>
    pointer === undefined ? undefined : { argument: argumentName(pointer) + rest, message: issue.message };
  if (issue.path === 'target.id') return from(mapping.target.id, '') ?? { argument: '(target)', message: issue.message };
  if (issue.path === 'idempotencyKey') return from(mapping.idempotencyKey, '') ?? { argument: '(arguments)', message: issue.message };
  for (const [key, pointer] of Object.entries(mapping.context)) {
    const prefix = `context.${key}`;
    if (issue.path === prefix || issue.path.startsWith(`${prefix}.`) || issue.path.startsWith(`${prefix}[`)) {
      return { argument: `${argumentName(pointer)}${issue.path.slice(prefix.length)}`, message: issue.message };
    }
  }
  if (issue.path === 'payload') return { argument: '(arguments)', message: issue.message };
  if (issue.path.startsWith('payload')) return { argument: `(arguments)${issue.path.slice('payload'.length)}`, message: issue.message };
  // The request as a whole (its size): the arguments are all of it that varies.
  return { argument: '(arguments)', message: issue.message };
}

function dedupe(problems: ArgumentProblem[]): ArgumentProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const line = `${p.argument} ${p.message}`;
    if (seen.has(line)) return false;
    seen.add(line);
    return true;
  });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
