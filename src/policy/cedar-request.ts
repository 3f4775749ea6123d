import type { CedarValueJson, Context, StatefulAuthorizationCall } from '@cedar-policy/cedar-wasm/nodejs';
import type { ActionRequest } from '../request/action-request.js';

export const CEDAR_NAMESPACE = 'ActionGate';

/** What the gate adds to every request's context, under `context.gate`. All from the clock passed in. */
export interface GateContext {
  /** Epoch seconds, an integer (Cedar has no floats). */
  now: number;
  /** 0..23, UTC. */
  hourUtc: number;
  /** 0 = Sunday .. 6 = Saturday, UTC. */
  weekdayUtc: number;
  surface: string;
}

// Cedar's JSON reads objects with these keys as entity references and extension values
// (decimal, ipaddr); request context is plain data and must reach policies as written.
const CEDAR_ESCAPES = new Set(['__entity', '__extn', '__expr']);

/**
 * The Cedar request for an ActionRequest, against a policy set and schema preparsed as `from`
 * names them: principal `ActionGate::Actor::"<actor.id>"` with `type` and the attributes
 * principals.json gives it, resource `ActionGate::Target::"<target.id>"` with `type` and `tags`
 * (from targets.json); action `ActionGate::Action::"<action>"`; context the
 * request's context plus {@link GateContext} under `gate` (which overrides any `gate` sent in).
 *
 * @throws Error when the clock is not a valid date, or the context holds a value Cedar cannot
 *   take as plain data (null, a non-integer or unsafe number, a Cedar escape key); the caller
 *   turns that into SILENCE. Cedar would refuse most of these too, but with a vaguer message.
 * @example
 * const call = toCedarCall(request, { now }, { policySetId: `${digest}/payments`, schemaName: `${digest}/schema`, principalAttributes: {}, targetTags: [] });
 * call.context.gate; // { now: 1795514400, hourUtc: 10, weekdayUtc: 2, surface: 'payments' }
 */
export function toCedarCall(request: ActionRequest, clock: { now: Date }, from: CedarCallSources): StatefulAuthorizationCall {
  checkContextValue(request.context, 'context');
  const principal = { type: `${CEDAR_NAMESPACE}::Actor`, id: request.actor.id };
  const resource = { type: `${CEDAR_NAMESPACE}::Target`, id: request.target.id };
  const context: Context = {
    ...(request.context as Record<string, CedarValueJson>),
    gate: { ...gateContext(clock.now, request.surface) },
  };
  return {
    principal,
    action: { type: `${CEDAR_NAMESPACE}::Action`, id: request.action },
    resource,
    context,
    preparsedPolicySetId: from.policySetId,
    preparsedSchemaName: from.schemaName,
    // Types are checked on every request: without it `==` and `.contains()` compare a list with a
    // string as unequal, no error, and a forbid quietly stops applying.
    validateRequest: true,
    entities: [
      { uid: principal, attrs: { ...from.principalAttributes, type: request.actor.type }, parents: [] },
      { uid: resource, attrs: { type: request.target.type, tags: [...from.targetTags] }, parents: [] },
    ],
  };
}

/** Where the parts of a Cedar call come from besides the request: all of it trusted policy-set data. */
export interface CedarCallSources {
  /** The surface's policies, preparsed under this id. */
  policySetId: string;
  /** The set's schema, preparsed under this name. */
  schemaName: string;
  /** From principals.json (the registered type is checked equal to actor.type before this). */
  principalAttributes: Readonly<Record<string, string | boolean | number>>;
  /** From targets.json; empty for a target it does not list. */
  targetTags: readonly string[];
}

/**
 * Time facts for policies, from the given instant only, so a decision replays identically.
 *
 * @example gateContext(new Date('2026-11-24T10:00:00Z'), 'payments').weekdayUtc === 2 // Tuesday
 */
export function gateContext(now: Date, surface: string): GateContext {
  const ms = now.getTime();
  if (!Number.isFinite(ms)) throw new Error('clock.now is not a valid date');
  return { now: Math.floor(ms / 1000), hourUtc: now.getUTCHours(), weekdayUtc: now.getUTCDay(), surface };
}

function checkContextValue(value: unknown, path: string): void {
  if (value === null) throw new Error(`${path}: null is not a Cedar value`);
  if (typeof value === 'number') {
    // Cedar has only 64-bit integers; beyond 2^53 JSON has already rounded the number.
    if (!Number.isSafeInteger(value)) throw new Error(`${path}: ${value} is not a safe integer (Cedar has no floats)`);
    return;
  }
  if (typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkContextValue(item, `${path}[${i}]`));
    return;
  }
  for (const [key, member] of Object.entries(value)) {
    if (CEDAR_ESCAPES.has(key)) throw new Error(`${path}.${key}: reserved by Cedar's JSON format, not allowed in request data`);
    checkContextValue(member, `${path}.${key}`);
  }
}
