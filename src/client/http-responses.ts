// What the HTTP API answers, as the HTTP client reads it. The zod schemas are the ones the OpenAPI
// document is generated from (src/api/api-schemas.ts: zod only, no server code), so a response the
// client accepts is one the document describes.
import type { z } from 'zod';
import type { ActionDecision, ActionResult } from '../action/action-result.js';
import type { KeySet } from '../keys/key-set.js';
import type { ReceiptKind } from '../receipt/receipt-body.js';
import type { Digest } from '../request/digest.js';
import { ActionStatusSchema, KeySetResponseSchema, ProblemSchema, ReceiptResponseSchema } from '../api/api-schemas.js';

export type { ReceiptKind };

/** Where an action is (`state`), as `POST /v1/actions` and `GET /v1/actions/{key}` answer. */
export type ActionState = 'pending' | 'waiting_for_operators' | 'dispatching' | 'refused' | 'completed' | 'failed';

/** An action as the HTTP API tells it: the decision once made, the result once in, the receipts so far. */
export interface ActionStatus {
  idempotencyKey: string;
  state: ActionState;
  decision: ActionDecision | null;
  result: ActionResult | null;
  receipts: Array<{ receiptId: Digest; kind: ReceiptKind; recordedAt: string }>;
  links: { self: string; receipts: string[] };
}

/** One receipt, as `GET /v1/receipts/{id}` answers: its body and the signed envelope (null for an unsigned store). */
export interface ReceiptRecord {
  receiptId: Digest;
  kind: ReceiptKind;
  recordedAt: string;
  body: Record<string, unknown>;
  signed: Record<string, unknown> | null;
}

/** An RFC 9457 problem as the HTTP API sends it, with ActionGate's stable `code`. */
export interface HttpProblem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  errors?: Array<{ path: string; message: string }>;
}

// The types above must be what the schemas accept.
type Assert<T extends true> = T;
export type _StatusMatches = Assert<z.infer<typeof ActionStatusSchema> extends Omit<ActionStatus, 'decision' | 'result' | 'receipts'> ? true : false>;
export type _ReceiptMatches = Assert<z.infer<typeof ReceiptResponseSchema> extends Omit<ReceiptRecord, 'receiptId'> ? true : false>;

/** The body as an ActionStatus, or a list of what does not match the document. */
export function readActionStatus(body: unknown): { ok: true; value: ActionStatus } | { ok: false; problems: string[] } {
  return read(ActionStatusSchema, body) as { ok: true; value: ActionStatus } | { ok: false; problems: string[] };
}

export function readReceipt(body: unknown): { ok: true; value: ReceiptRecord } | { ok: false; problems: string[] } {
  return read(ReceiptResponseSchema, body) as { ok: true; value: ReceiptRecord } | { ok: false; problems: string[] };
}

export function readKeySet(body: unknown): { ok: true; value: KeySet } | { ok: false; problems: string[] } {
  return read(KeySetResponseSchema, body) as { ok: true; value: KeySet } | { ok: false; problems: string[] };
}

/** A problem body, or undefined when the body is not one (a proxy's HTML page, say). */
export function readProblem(body: unknown): HttpProblem | undefined {
  const parsed = ProblemSchema.safeParse(body);
  return parsed.success ? parsed.data : undefined;
}

function read(schema: z.ZodType, body: unknown): { ok: true; value: unknown } | { ok: false; problems: string[] } {
  const parsed = schema.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`) };
}
