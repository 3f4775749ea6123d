import { z } from 'zod';
import { KEY_ID_PATTERN } from '../../keys/key-id.js';
import { DIGEST_PATTERN, type Digest } from '../../request/digest.js';
import type { SignedCheckpoint } from '../checkpoint.js';
import {
  MAX_DETAIL_CHARS,
  OPERATOR_REASONS,
  type DecisionReceiptBody,
  type OperatorReceiptBody,
  type OperatorWait,
  type OutcomeReceiptBody,
} from '../receipt-body.js';
import type { SignedReceipt } from '../signed-receipt.js';
import { decodeBase64url } from './base64url.js';

// Strict parsers for the v1 wire types. The interfaces in receipt-body.ts, signed-receipt.ts and
// checkpoint.ts are the contract; the `Same` checks below keep these schemas exactly in step.

const DigestSchema = z.custom<Digest>((value) => typeof value === 'string' && DIGEST_PATTERN.test(value), {
  error: 'must be sha256: and 64 lower-case hex digits',
});
/** ISO 8601 UTC with a `Z`, as `Date.prototype.toISOString` writes it. */
const Instant = z.iso.datetime({ error: 'must be an ISO 8601 UTC instant, e.g. 2026-11-24T10:00:00.000Z' });
/** The regular expression `Instant` tests (zod's own), for the fast check in fast-shape.ts; undefined if zod keeps it elsewhere. */
export const INSTANT_PATTERN: RegExp | undefined = (() => {
  const pattern: unknown = (Instant._zod.def as { pattern?: unknown }).pattern;
  return pattern instanceof RegExp && !pattern.global && !pattern.sticky ? pattern : undefined;
})();
const Text = z.string().min(1);
const KeyId = z.string().regex(KEY_ID_PATTERN, { error: 'must be ed25519: and 32 lower-case hex digits' });
const Signature = z.string().refine((text) => decodeBase64url(text, 64) !== undefined, {
  error: 'must be a 64-byte Ed25519 signature, base64url without padding',
});

const subject = {
  v: z.literal(1),
  idempotencyKey: Text,
  workflowId: Text,
  runId: Text,
  requestHash: DigestSchema,
  actor: z.strictObject({ id: Text, type: Text, keyId: KeyId.nullable() }),
  surface: Text,
  action: Text,
  target: z.strictObject({ type: Text, id: Text }),
  issuedAt: Instant,
};

const PolicySchema = z.strictObject({ digest: DigestSchema.nullable(), version: Text.nullable() });

/** What a STEP_UP (`approval`) or a break-glass DENY (`override`) waits for. */
export const OperatorWaitSchema = z.strictObject({
  kind: z.enum(['approval', 'override']),
  requirements: z.array(z.strictObject({ groups: z.array(Text).min(1), quorum: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) })).min(1),
  reasonRequired: z.boolean(),
  until: Instant,
});

export const DecisionReceiptBodySchema = z.strictObject({
  ...subject,
  kind: z.literal('decision'),
  outcome: z.enum(['PERMIT', 'DENY', 'SILENCE', 'STEP_UP']),
  reasons: z.array(Text).refine((reasons) => reasons.every((reason, i) => i === 0 || (reasons[i - 1] as string) <= reason), {
    error: 'must be sorted',
  }),
  mode: z.enum(['enforce', 'shadow']),
  policy: PolicySchema,
  detail: z.string().max(MAX_DETAIL_CHARS).nullable(),
  operators: OperatorWaitSchema.optional(),
});

/**
 * What an operator signs (the wire format of src/identity/operator-approval.ts, restated here so
 * the verifier loads nothing of the gate): the exact action, the verdict, a reason, an expiry, a nonce.
 */
export const ApprovalStatementSchema = z.strictObject({
  v: z.literal(1),
  workflowId: z.string().min(1).max(200),
  runId: z.string().min(1).max(200),
  requestHash: z.string().regex(DIGEST_PATTERN, { error: 'must be sha256: and 64 lower-case hex digits' }),
  decisionReceiptId: z.string().regex(DIGEST_PATTERN, { error: 'must be sha256: and 64 lower-case hex digits' }),
  verdict: z.enum(['approve', 'reject', 'override']),
  reason: z.string().max(2_000),
  operatorId: z.string().min(1).max(200),
  expiresAt: Instant,
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22,64}$/, { error: 'must be 22 to 64 base64url characters (128 bits or more)' }),
});

/** A statement with the operator's detached Ed25519 signature (see `approvalSigningInput`, check-approvals.ts). */
export const SignedApprovalSchema = z.strictObject({ statement: ApprovalStatementSchema, keyId: KeyId, sig: Signature });

/** Which reasons fit which kind and outcome of an operator receipt. */
const OPERATOR_REASON_FITS: Record<OperatorReceiptBody['reasons'][0], { kind: OperatorReceiptBody['kind']; outcome: OperatorReceiptBody['outcome'] }> = {
  approved: { kind: 'approval', outcome: 'PERMIT' },
  approval_rejected: { kind: 'approval', outcome: 'DENY' },
  approval_timeout: { kind: 'approval', outcome: 'DENY' },
  overridden: { kind: 'override', outcome: 'PERMIT' },
  override_rejected: { kind: 'override', outcome: 'DENY' },
  override_timeout: { kind: 'override', outcome: 'DENY' },
};

export const OperatorReceiptBodySchema = z
  .strictObject({
    ...subject,
    kind: z.enum(['approval', 'override']),
    decisionReceiptId: DigestSchema,
    outcome: z.enum(['PERMIT', 'DENY']),
    reasons: z.tuple([z.enum(OPERATOR_REASONS)]),
    policy: PolicySchema,
    approvals: z.array(SignedApprovalSchema),
  })
  .superRefine((body, ctx) => {
    const fits = OPERATOR_REASON_FITS[body.reasons[0]];
    if (fits.kind !== body.kind || fits.outcome !== body.outcome) {
      ctx.addIssue({ code: 'custom', path: ['reasons', 0], message: `reason ${body.reasons[0]} belongs to kind ${fits.kind} with outcome ${fits.outcome}, not to kind ${body.kind} with outcome ${body.outcome}` });
    }
  });

export const OutcomeReceiptBodySchema = z.strictObject({
  ...subject,
  kind: z.literal('outcome'),
  decisionReceiptId: DigestSchema,
  dispatch: z.strictObject({
    status: z.enum(['succeeded', 'failed', 'skipped']),
    resultHash: DigestSchema.nullable(),
    error: z.strictObject({ code: Text, message: z.string() }).nullable(),
  }),
});

export const ReceiptBodySchema = z.discriminatedUnion('kind', [DecisionReceiptBodySchema, OutcomeReceiptBodySchema, OperatorReceiptBodySchema]);

export const SignedReceiptSchema = z
  .strictObject({
    v: z.literal(1),
    body: ReceiptBodySchema,
    log: z.strictObject({ seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), prevHash: DigestSchema.nullable() }),
    keyId: KeyId,
    sig: Signature,
  })
  .superRefine((envelope, ctx) => {
    if ((envelope.log.seq === 1) !== (envelope.log.prevHash === null)) {
      ctx.addIssue({ code: 'custom', path: ['log', 'prevHash'], message: 'is null exactly for seq 1' });
    }
  });

export const SignedCheckpointSchema = z.strictObject({
  v: z.literal(1),
  kind: z.literal('checkpoint'),
  size: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  headHash: DigestSchema,
  issuedAt: Instant,
  keyId: KeyId,
  sig: Signature,
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
true satisfies Same<z.infer<typeof DecisionReceiptBodySchema>, DecisionReceiptBody>;
true satisfies Same<z.infer<typeof OperatorWaitSchema>, OperatorWait>;
true satisfies Same<z.infer<typeof OutcomeReceiptBodySchema>, OutcomeReceiptBody>;
true satisfies Same<z.infer<typeof OperatorReceiptBodySchema>, OperatorReceiptBody>;
true satisfies Same<z.infer<typeof SignedApprovalSchema>, OperatorReceiptBody['approvals'][number]>;
true satisfies Same<z.infer<typeof SignedReceiptSchema>, SignedReceipt>;
true satisfies Same<z.infer<typeof SignedCheckpointSchema>, SignedCheckpoint>;

/** Every zod issue as `path: message`. */
export function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
}
