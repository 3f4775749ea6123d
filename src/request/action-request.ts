import { z } from 'zod';
import { canonicalJson } from './canonical-json.js';
import { RequestError, type RequestIssue } from './request-error.js';

/** Upper bound on the UTF-8 length of a request's canonical JSON (what gets hashed and stored). */
export const MAX_REQUEST_BYTES = 65_536;

/** How many arrays/objects deep one JSON value (the payload, or one context entry) may nest. */
export const MAX_JSON_DEPTH = 32;

/** The context key the gate fills in itself (its clock); a request may not send it. */
export const RESERVED_CONTEXT_KEY = 'gate';

/** Issues beyond this many are summed up in one line, so a hostile payload cannot flood the logs. */
const MAX_REPORTED_ISSUES = 100;

/** A plain JSON value: what survives `JSON.parse(JSON.stringify(x))` unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

// The key becomes the Temporal workflow ID verbatim: no spaces, slashes or control characters.
const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@=+-]*$/;
const KIND_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
const SURFACE_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
const ACTION_PATTERN = /^[a-z][a-z0-9_.-]{0,99}$/;
// C0, DEL and C1: invisible in logs and receipts, and a way to forge line breaks in them.
const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f-\u009f]*$/;
/**
 * No U+0000: what JSON Schema can say of {@link unstorableText} (unpaired surrogates it cannot), in
 * the published schema beside each string the validator checks with it.
 */
export const NO_NUL_PATTERN = /^[^\u0000]*$/;
// Some character that String.prototype.trim keeps: the whitespace it removes, listed (not \s, whose
// meaning differs between regex engines, and the pattern is published in the JSON Schema).
const NOT_BLANK = /[^\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why Postgres could not store `text` in a jsonb column (it refuses U+0000 and unpaired UTF-16
 * surrogates), or undefined when it can. Such a request would pass the gate and then never be
 * recorded, so it is bad input.
 *
 * @example unstorableText('a\u0000b') === 'must not contain U+0000 (NUL)'
 */
export function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain U+0000 (NUL)';
  const surrogate = UNPAIRED_SURROGATE.exec(text);
  if (surrogate) return `contains an unpaired surrogate (U+${surrogate[0].charCodeAt(0).toString(16).toUpperCase()})`;
  return undefined;
}

/** A string Postgres can store; checked first, so a bad one gets this message and no other. */
function storableString() {
  return z.string().refine((text) => unstorableText(text) === undefined, {
    abort: true,
    error: (issue) => unstorableText(issue.input as string),
  });
}

const IdempotencyKeySchema = storableString()
  .min(1, { error: 'must not be empty', abort: true })
  .max(200, { error: 'must be at most 200 characters' })
  .regex(IDEMPOTENCY_KEY_PATTERN, {
    error: 'may hold only the characters A-Z a-z 0-9 . _ : @ = + - and must start with a letter or digit',
  })
  .describe('Names this action; becomes the Temporal workflow ID. A repeat with the same key gets the same decision.');

/** An opaque identifier (actor.id, target.id): any printable text. */
const IdSchema = storableString()
  .min(1, { error: 'must not be empty', abort: true })
  .max(200, { error: 'must be at most 200 characters' })
  .regex(NO_CONTROL_CHARS, { error: 'must not contain control characters' });

/** A kind of principal or resource (actor.type, target.type). */
const KindSchema = storableString().regex(KIND_PATTERN, {
  error: 'must be a lower-case name: a letter, then up to 63 of a-z 0-9 _ - (e.g. "agent", "service", "human")',
});

const SurfaceSchema = storableString()
  .regex(SURFACE_PATTERN, {
    error: 'must be a lower-case name: a letter, then up to 62 of a-z 0-9 - (e.g. "payments", "config-changes")',
  })
  .describe('The policy surface the action falls under.');

const ActionNameSchema = storableString()
  .regex(ACTION_PATTERN, { error: 'must be a lower-case name: a letter, then up to 99 of a-z 0-9 _ . - (e.g. "transfer")' })
  .describe('What the actor wants to do on the surface.');

const NotAfterSchema = z.iso
  .datetime({
    offset: true,
    // The format check runs first: name the NUL or surrogate rather than the format it breaks.
    error: (issue) =>
      (typeof issue.input === 'string' ? unstorableText(issue.input) : undefined) ??
      'must be an ISO 8601 instant with an offset (e.g. "2026-11-24T12:00:00Z" or "2026-11-24T13:00:00+01:00")',
  })
  .describe('The agent gives up at this instant: the gate refuses (DENY, expired) if it would decide later.');

type Report = (path: PropertyKey[], message: string) => void;

/**
 * Any JSON value, checked by walking it (not by a union of zod types) so that each bad spot is
 * reported at its own path with a message that says what is wrong there, and so that a deeply
 * nested or cyclic value stops at {@link MAX_JSON_DEPTH} instead of overflowing the stack.
 */
export const JsonValueSchema = z.custom<JsonValue>().superRefine((value, ctx) => {
  reportNonJson(value, [], 0, issueReporter(ctx));
});

/** `context`: an object of JSON values, without the reserved `gate` key. */
export const ContextSchema = z.custom<{ [key: string]: JsonValue }>().superRefine((value, ctx) => {
  const report = issueReporter(ctx);
  if (!isPlainObject(value)) {
    report([], `must be an object of JSON values, not ${describeKind(value)}`);
    return;
  }
  for (const key of Object.keys(value)) {
    const badKey = unstorableText(key);
    if (badKey !== undefined) {
      report([key], `key ${badKey}`);
      reportNonJson(value[key], [key], 0, report);
    } else if (key === RESERVED_CONTEXT_KEY) {
      report([key], `"${RESERVED_CONTEXT_KEY}" is reserved: the gate puts its own clock there`);
    } else if (key === '__proto__') {
      report([key], 'the key "__proto__" is not allowed');
    } else {
      reportNonJson(value[key], [key], 0, report);
    }
  }
});

/**
 * The wire format of one action an agent asks the gate to take. Unknown fields are rejected at
 * every level; `context` defaults to `{}`; the canonical JSON of the whole request is at most
 * {@link MAX_REQUEST_BYTES} bytes.
 */
export const ActionRequestSchema = z
  .strictObject({
    idempotencyKey: IdempotencyKeySchema,
    actor: z
      .strictObject({ id: IdSchema, type: KindSchema })
      .describe('Who asks: the agent, service or human the action is attributed to.'),
    surface: SurfaceSchema,
    action: ActionNameSchema,
    target: z.strictObject({ type: KindSchema, id: IdSchema }).describe('What the action is done to.'),
    context: ContextSchema.default(() => ({})).describe(
      `Facts for the policies (amounts, flags, ...). The key "${RESERVED_CONTEXT_KEY}" is reserved for the gate.`,
    ),
    payload: JsonValueSchema.optional().describe('What the connector sends if the action is permitted.'),
    notAfter: NotAfterSchema.optional(),
    breakGlass: z
      .strictObject({
        // Checks JSON Schema can state (maxLength, pattern), so the OpenAPI document says them too.
        reason: storableString()
          .max(2_000, { error: 'must be at most 2000 characters' })
          .regex(NOT_BLANK, { error: 'must say why (not empty)' })
          // Never fails here (storableString refused a NUL first, with its message): it puts the rule in the schema.
          .regex(NO_NUL_PATTERN),
      })
      .optional()
      .describe(
        'Ask for break-glass: if the policies DENY this action and its surface grants break-glass, the action stays open for an operator to override the refusal (docs/OPERATIONS.md). Part of the request hash.',
      ),
  })
  // `payload: undefined` is the same request as no payload; canonical JSON has no undefined.
  .overwrite(withoutUndefinedPayload)
  .superRefine(
    (value, ctx) => {
      const bytes = canonicalByteLength(value);
      if (bytes !== undefined && bytes > MAX_REQUEST_BYTES) {
        ctx.addIssue({ code: 'custom', path: [], message: `request is ${bytes} bytes; the limit is ${MAX_REQUEST_BYTES}` });
      }
    },
    // Measure even when other fields are wrong (so every problem shows at once), but only when
    // payload and context are JSON: otherwise there is nothing canonical to measure.
    { when: (payload) => !payload.issues.some((issue) => issue.path?.[0] === 'payload' || issue.path?.[0] === 'context') },
  )
  .meta({
    title: 'ActionRequest',
    description: `One action an AI agent asks ActionGate to take. The RFC 8785 canonical JSON of the request must be at most ${MAX_REQUEST_BYTES} bytes (UTF-8), each JSON value may nest at most ${MAX_JSON_DEPTH} levels deep, and no string or object key may contain U+0000 or an unpaired UTF-16 surrogate.`,
  });

/** A validated request, as the gate works with it (`context` always present). */
export type ActionRequest = z.infer<typeof ActionRequestSchema>;

/** What a caller may send (`context` optional). */
export type ActionRequestInput = z.input<typeof ActionRequestSchema>;

/** The result of {@link safeParseActionRequest}: the request, or a RequestError with every issue. */
export type SafeParseActionRequestResult = { ok: true; request: ActionRequest } | { ok: false; error: RequestError };

/**
 * Validates untrusted input as an ActionRequest, collecting every problem.
 *
 * @example
 * const parsed = safeParseActionRequest(JSON.parse(body));
 * if (!parsed.ok) return reply(400, parsed.error.issues);
 * submit(parsed.request);
 */
export function safeParseActionRequest(input: unknown): SafeParseActionRequestResult {
  const result = ActionRequestSchema.safeParse(input, { error: requiredMessage });
  if (result.success) return { ok: true, request: result.data };
  return { ok: false, error: new RequestError(toRequestIssues(result.error.issues)) };
}

/**
 * Validates untrusted input as an ActionRequest.
 *
 * @throws RequestError (code `INVALID_REQUEST`) listing every bad field.
 * @example
 * const request = parseActionRequest({
 *   idempotencyKey: 'pay-2026-11-24-0001',
 *   actor: { id: 'agent-42', type: 'agent' },
 *   surface: 'payments',
 *   action: 'transfer',
 *   target: { type: 'account', id: 'acct-7' },
 *   context: { amount: 120 },
 * });
 */
export function parseActionRequest(input: unknown): ActionRequest {
  const parsed = safeParseActionRequest(input);
  if (!parsed.ok) throw parsed.error;
  return parsed.request;
}

/**
 * A one-line human summary of a request (used as the Temporal workflow's static summary).
 *
 * @example describeAction(request) === 'payments.transfer by agent-42'
 */
export function describeAction(request: Pick<ActionRequest, 'surface' | 'action' | 'actor'>): string {
  return `${request.surface}.${request.action} by ${request.actor.id}`;
}

/**
 * The workflow page's static details (markdown): who asks for what, and the request hash the receipts
 * carry. Never the payload or the context: the page is read by everyone with access to the namespace.
 *
 * @example actionDetails(request, requestHash(request)) // '**payments.transfer** on account `acct-7`\n- Actor: ...'
 */
export function actionDetails(request: Pick<ActionRequest, 'surface' | 'action' | 'actor' | 'target'>, hash: string): string {
  const inert = (text: string) => text.replace(/[`\r\n]/g, '').slice(0, 120);
  return [
    `**${inert(request.surface)}.${inert(request.action)}** on ${inert(request.target.type)} \`${inert(request.target.id)}\``,
    `- Actor: \`${inert(request.actor.id)}\` (${inert(request.actor.type)})`,
    `- Request hash: \`${hash}\``,
  ].join('\n');
}

function issueReporter(ctx: z.core.$RefinementCtx): Report {
  return (path, message) => ctx.addIssue({ code: 'custom', path, message });
}

/** Reports every spot in `value` that is not plain JSON; `depth` counts the enclosing arrays/objects. */
function reportNonJson(value: unknown, path: PropertyKey[], depth: number, report: Report): void {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'string') {
    const bad = unstorableText(value);
    if (bad !== undefined) report(path, bad);
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) report(path, `${value} is not a JSON number`);
    return;
  }
  const isArray = Array.isArray(value);
  if (!isArray && !isPlainObject(value)) {
    const hint = typeof value === 'bigint' ? ' (send big numbers as strings)' : '';
    report(path, `${describeKind(value)} is not a JSON value${hint}`);
    return;
  }
  if (depth + 1 > MAX_JSON_DEPTH) {
    report(path, `nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`);
    return;
  }
  if (isArray) {
    // A sparse array can claim any length without taking memory; no request that long fits anyway.
    if (value.length > MAX_REQUEST_BYTES) {
      report(path, `an array of ${value.length} items cannot fit in a ${MAX_REQUEST_BYTES}-byte request`);
      return;
    }
    for (let i = 0; i < value.length; i++) reportNonJson(value[i], [...path, i], depth + 1, report);
    return;
  }
  for (const key of Object.keys(value)) {
    const badKey = unstorableText(key);
    if (badKey !== undefined) report([...path, key], `key ${badKey}`);
    if (key === '__proto__') report([...path, key], 'the key "__proto__" is not allowed');
    else reportNonJson(value[key], [...path, key], depth + 1, report);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describeKind(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value !== 'object') return `a ${typeof value}`;
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  return tag === 'Object' ? 'a class instance' : `a ${tag}`;
}

function withoutUndefinedPayload<T extends { payload?: unknown }>(request: T): T {
  if (!('payload' in request) || request.payload !== undefined) return request;
  const { payload: _dropped, ...rest } = request;
  return rest as T;
}

/** UTF-8 length of the canonical JSON, or undefined when the value is not JSON (reported elsewhere). */
function canonicalByteLength(value: unknown): number | undefined {
  if (!isPlainObject(value)) return undefined;
  try {
    return new TextEncoder().encode(canonicalJson(withoutUndefinedPayload(value))).length;
  } catch {
    return undefined;
  }
}

function requiredMessage(issue: z.core.$ZodRawIssue): string | undefined {
  return issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined;
}

function toRequestIssues(issues: ReadonlyArray<z.core.$ZodIssue>): RequestIssue[] {
  const out: RequestIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const hint = issue.path.length === 0 ? '; put extra data in context or payload' : '';
      for (const key of issue.keys) out.push({ path: formatPath([...issue.path, key]), message: `unknown field${hint}` });
    } else {
      out.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  if (out.length <= MAX_REPORTED_ISSUES) return out;
  const shown = out.slice(0, MAX_REPORTED_ISSUES);
  shown.push({ path: '(request)', message: `and ${out.length - MAX_REPORTED_ISSUES} more problems` });
  return shown;
}

const MAX_PATH_KEY = 64;

/** `actor.id`, `context.amount`, `payload.items[2]`, `context["a.b"]`; `(request)` for the whole. */
function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(request)';
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment) && segment.length <= MAX_PATH_KEY) {
      out += out === '' ? segment : `.${segment}`;
    } else {
      const text = String(segment);
      const shown = text.length > MAX_PATH_KEY ? `${text.slice(0, MAX_PATH_KEY)}…` : text;
      out += `[${JSON.stringify(shown)}]`;
    }
  }
  return out;
}
