// The HTTP API's response shapes, as zod schemas: the OpenAPI document is generated from
// them (openapi.ts), and the type checks at the bottom tie them to the types the code returns, so the
// document cannot drift from what the server sends.
import { z } from 'zod';
import type { ActionDecision, ActionResult } from '../action/action-result.js';

const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/).describe('sha256: and 64 lower-case hex digits');
const Outcome = z.enum(['PERMIT', 'DENY', 'SILENCE', 'STEP_UP']);
const Mode = z.enum(['enforce', 'shadow']);

const OperatorWaitSchema = z
  .object({
    kind: z.enum(['approval', 'override']),
    requirements: z.array(z.object({ groups: z.array(z.string()), quorum: z.int() })),
    reasonRequired: z.boolean(),
    until: z.string().describe('ISO 8601 instant: the end of the operators\' window'),
  })
  .describe('Present when the action waits for operators (step-up approval or break-glass).');

export const ActionDecisionSchema = z
  .object({
    idempotencyKey: z.string(),
    workflowId: z.string(),
    runId: z.string(),
    requestHash: Digest,
    outcome: Outcome,
    reasons: z.array(z.string()).describe('Policy ids or gate reasons, sorted.'),
    mode: Mode,
    policy: z.object({ digest: Digest.nullable(), version: z.string().nullable() }),
    receipts: z.object({ decision: Digest.nullable() }),
    fromReceipts: z.boolean(),
    detail: z.string().nullable(),
    waitsFor: OperatorWaitSchema.optional(),
  })
  .describe('The gate\'s decision, on record (its receipt committed) before it is returned.');

const DispatchReportSchema = z.object({
  status: z.enum(['succeeded', 'failed', 'skipped', 'unknown']),
  resultHash: Digest.nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  result: z.unknown().optional().describe("The external system's answer (≤ 64 KiB), when it succeeded and hashes to resultHash."),
});

export const ActionResultSchema = ActionDecisionSchema.omit({ receipts: true })
  .extend({
    receipts: z.object({ decision: Digest.nullable(), outcome: Digest.nullable() }),
    dispatch: DispatchReportSchema,
    operators: z
      .object({
        kind: z.enum(['approval', 'override']),
        outcome: z.enum(['PERMIT', 'DENY']),
        reasons: z.array(z.string()),
        operators: z.array(z.string()),
        receiptId: Digest.nullable(),
      })
      .optional(),
  })
  .describe('The end of an action: its decision, what dispatch did, and the receipts.');

/** Where an action is: what `POST /v1/actions` and `GET /v1/actions/{key}` answer. */
export const ActionStatusSchema = z
  .object({
    idempotencyKey: z.string(),
    state: z
      .enum(['pending', 'waiting_for_operators', 'dispatching', 'refused', 'completed', 'failed'])
      .describe(
        'pending: not decided yet; waiting_for_operators: a step-up or break-glass window is open; dispatching: permitted, the outcome is not on record yet; refused: the decision ends it (nothing will be dispatched), its outcome receipt may follow; completed: the result is final; failed: the workflow ended without a result (terminated or timed out), see its receipts.',
      ),
    decision: ActionDecisionSchema.nullable(),
    result: ActionResultSchema.nullable(),
    receipts: z.array(z.object({ receiptId: Digest, kind: z.enum(['decision', 'outcome', 'approval', 'override']), recordedAt: z.string() })),
    links: z.object({ self: z.string(), receipts: z.array(z.string()) }),
  });

export const ReceiptResponseSchema = z
  .object({
    receiptId: Digest,
    kind: z.enum(['decision', 'outcome', 'approval', 'override']),
    recordedAt: z.string(),
    body: z.record(z.string(), z.unknown()).describe('The receipt body (docs/RECEIPTS.md).'),
    signed: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('The signed envelope as exported (`actiongate receipts export`), or null for an unsigned store.'),
  });

export const KeySetResponseSchema = z
  .object({
    version: z.literal(1),
    keys: z.array(
      z.object({
        keyId: z.string(),
        publicKey: z.string(),
        purpose: z.enum(['policy-bundle', 'receipt', 'request', 'operator', 'gateway']),
        validFrom: z.string().optional(),
        validUntil: z.string().optional(),
      }),
    ),
  })
  .describe('Public keys for verifiers: receipts, policy bundles, and this gateway\'s attestations.');

export const HealthSchema = z.object({ ok: z.literal(true) });

export const ReadinessSchema = z
  .object({
    ready: z.boolean(),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
  });

/** RFC 9457 problem details, with ActionGate's stable `code` and, for bad input, every bad field. */
export const ProblemSchema = z
  .object({
    type: z.string().describe('A URI naming the problem kind: https://actiongate.dev/problems/<code>'),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string().optional(),
    code: z.string().describe('Stable code: INVALID_REQUEST, IDEMPOTENCY_CONFLICT, UNAUTHENTICATED, ACTOR_MISMATCH, ...'),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  });

// The server returns these types; the schemas above must describe them.
type Assert<T extends true> = T;
export type _DecisionMatches = Assert<ActionDecision extends z.infer<typeof ActionDecisionSchema> ? true : false>;
export type _ResultMatches = Assert<ActionResult extends z.infer<typeof ActionResultSchema> ? true : false>;
