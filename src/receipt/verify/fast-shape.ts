import { KEY_ID_PATTERN } from '../../keys/key-id.js';
import { DIGEST_PATTERN } from '../../request/digest.js';
import { MAX_DETAIL_CHARS } from '../receipt-body.js';
import type { SignedReceipt } from '../signed-receipt.js';
import { decodeBase64url } from './base64url.js';
import { INSTANT_PATTERN } from './schemas.js';

// A fast structural check of the common receipts (decision receipts without an operator wait,
// outcome receipts) on the value `JSON.parse` gave. It only ever says yes to what
// `SignedReceiptSchema` accepts, unchanged, and only when every object's members come in sorted
// order: anything else (another kind, an `operators` member, members out of order, a damaged
// line) goes to the schema, which decides and words the problem. Kept in step with the schema by
// test/receipt/verify/fast-path.test.ts.

type Check = (value: unknown) => boolean;

const isText: Check = (value) => typeof value === 'string' && value.length >= 1;
const isDigest: Check = (value) => typeof value === 'string' && DIGEST_PATTERN.test(value);
const isKeyId: Check = (value) => typeof value === 'string' && KEY_ID_PATTERN.test(value);
const isInstant: Check =
  INSTANT_PATTERN === undefined
    ? () => false // the schema's pattern is not known here: let the schema decide every line
    : (value) => typeof value === 'string' && (INSTANT_PATTERN as RegExp).test(value);
const nullable =
  (check: Check): Check =>
  (value) =>
    value === null || check(value);
const oneOf = (...allowed: string[]): Check => {
  const set = new Set(allowed);
  return (value) => typeof value === 'string' && set.has(value);
};

/**
 * A plain JSON object whose own members are exactly those of `shape`, in sorted order (by UTF-16
 * code units, as RFC 8785 orders them; `JSON.parse` keeps the line's order, none of these names
 * being an array index), each passing its check.
 */
function strictObject(shape: Record<string, Check>): Check {
  const names = Object.keys(shape);
  const checks = names.map((name) => shape[name] as Check);
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const record = value as Record<string, unknown>;
    const own = Object.keys(record);
    if (own.length !== names.length) return false;
    for (let i = 0; i < own.length; i++) {
      const name = own[i] as string;
      if (!Object.prototype.hasOwnProperty.call(shape, name)) return false;
      if (i > 0 && !((own[i - 1] as string) < name)) return false;
    }
    for (let i = 0; i < names.length; i++) if (!(checks[i] as Check)(record[names[i] as string])) return false;
    return true;
  };
}

const subject: Record<string, Check> = {
  v: (value) => value === 1,
  idempotencyKey: isText,
  workflowId: isText,
  runId: isText,
  requestHash: isDigest,
  actor: strictObject({ id: isText, type: isText, keyId: nullable(isKeyId) }),
  surface: isText,
  action: isText,
  target: strictObject({ type: isText, id: isText }),
  issuedAt: isInstant,
};

const isSortedTexts: Check = (value) => {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) {
    const reason: unknown = value[i];
    if (!isText(reason)) return false;
    if (i > 0 && !((value[i - 1] as string) <= (reason as string))) return false;
  }
  return true;
};

/** A decision receipt body without `operators` (one with them goes to the schema). */
const isDecisionBody = strictObject({
  ...subject,
  kind: (value) => value === 'decision',
  outcome: oneOf('PERMIT', 'DENY', 'SILENCE', 'STEP_UP'),
  reasons: isSortedTexts,
  mode: oneOf('enforce', 'shadow'),
  policy: strictObject({ digest: nullable(isDigest), version: nullable(isText) }),
  detail: (value) => value === null || (typeof value === 'string' && value.length <= MAX_DETAIL_CHARS),
});

const isOutcomeBody = strictObject({
  ...subject,
  kind: (value) => value === 'outcome',
  decisionReceiptId: isDigest,
  dispatch: strictObject({
    status: oneOf('succeeded', 'failed', 'skipped'),
    resultHash: nullable(isDigest),
    error: nullable(strictObject({ code: isText, message: (value) => typeof value === 'string' })),
  }),
});

const isEnvelope = strictObject({
  v: (value) => value === 1,
  body: (value) => isDecisionBody(value) || isOutcomeBody(value),
  log: strictObject({
    seq: (value) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 1,
    prevHash: nullable(isDigest),
  }),
  keyId: isKeyId,
  sig: (value) => typeof value === 'string' && decodeBase64url(value, 64) !== undefined,
});

/**
 * True only when `SignedReceiptSchema` accepts `value` and gives back the same content, so the
 * value can be used as the parsed receipt, and the members of all its objects are in sorted
 * order, so `JSON.stringify` of any part of it is that part's canonical JSON (both write strings
 * and numbers the same way). False says nothing: ask the schema.
 *
 * @example const receipt = isCommonReceipt(json) ? json : SignedReceiptSchema.safeParse(json);
 */
export function isCommonReceipt(value: unknown): value is SignedReceipt {
  if (!isEnvelope(value)) return false;
  const { log } = value as SignedReceipt;
  // The schema's refinement: prevHash is null exactly for seq 1.
  return (log.seq === 1) === (log.prevHash === null);
}
