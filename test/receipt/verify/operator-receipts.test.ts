import { describe, expect, it } from 'vitest';
import { demoSigner } from '../../../src/demo/demo-keys.js';
import { APPROVAL_SIGNATURE_DOMAIN, approvalSigningInput as gateSigningInput, signApproval, type ApprovalStatement, type SignedApproval } from '../../../src/identity/operator-approval.js';
import type { KeySet } from '../../../src/keys/key-set.js';
import type { Signer } from '../../../src/keys/signer.js';
import {
  SUPERSEDED_ERROR_CODE,
  type DecisionReceiptBody,
  type OperatorReason,
  type OperatorReceiptBody,
  type OperatorWait,
  type OutcomeReceiptBody,
  type ReceiptBody,
} from '../../../src/receipt/receipt-body.js';
import { receiptId } from '../../../src/receipt/receipt-id.js';
import {
  APPROVAL_SIGNING_DOMAIN,
  approvalSigningInput,
  formatNote,
  requirePermit,
  verifyLog,
  verifyReceipt,
  type Problem,
} from '../../../src/receipt/verify/index.js';
import { nobleBackend } from '../../../src/receipt/verify/noble-backend.js';
import { nodeBackend } from '../../../src/receipt/verify/node-backend.js';
import { canonicalJson } from '../../../src/request/canonical-json.js';
import { TEST_KEY_1 } from '../../fixtures/signing-keys.js';
import { DENY_BODY, OUTCOME_BODY, PERMIT_BODY, testKey1Signer, TRUST_KEY_1_RECEIPTS } from '../../fixtures/receipts/golden-receipts.js';
import { exportLines, signChain } from '../chain-builder.js';

// Operators in the loop: a STEP_UP answered by an approval receipt, a DENY answered by an override
// (break-glass) receipt, each carrying the operators' signed statements.

const receiptKey = testKey1Signer();
const OLIVIA = demoSigner('operator-olivia');
const OMAR = demoSigner('operator-omar');

/** Receipt key plus both operators' keys (purpose operator). */
const WITH_OPERATORS: KeySet = {
  version: 1,
  keys: [...TRUST_KEY_1_RECEIPTS.keys, operatorKey(OLIVIA), operatorKey(OMAR)],
};

const UNTIL = '2026-11-24T10:15:00.000Z';
const EXPIRES = '2026-11-24T11:00:00.000Z';

function operatorKey(signer: Signer, bounds: { validFrom?: string; validUntil?: string } = {}): KeySet['keys'][number] {
  return { keyId: signer.keyId, publicKey: signer.publicKey, purpose: 'operator', ...bounds };
}

function stepUp(key: string, operators: Partial<OperatorWait> = {}, overrides: Partial<DecisionReceiptBody> = {}): DecisionReceiptBody {
  return {
    ...PERMIT_BODY,
    idempotencyKey: key,
    workflowId: key,
    outcome: 'STEP_UP',
    reasons: ['payments.approve-large-transfer'],
    operators: { kind: 'approval', requirements: [{ groups: ['treasury'], quorum: 2 }], reasonRequired: true, until: UNTIL, ...operators },
    ...overrides,
  };
}

function breakGlass(key: string): DecisionReceiptBody {
  return {
    ...DENY_BODY,
    idempotencyKey: key,
    workflowId: key,
    operators: { kind: 'override', requirements: [{ groups: ['security'], quorum: 1 }], reasonRequired: true, until: UNTIL },
  };
}

function statement(decision: DecisionReceiptBody, operatorId: string, verdict: ApprovalStatement['verdict'], overrides: Partial<ApprovalStatement> = {}): ApprovalStatement {
  return {
    v: 1,
    workflowId: decision.workflowId,
    runId: decision.runId,
    requestHash: decision.requestHash,
    decisionReceiptId: receiptId(decision),
    verdict,
    reason: `${operatorId} checked the invoice`,
    operatorId,
    expiresAt: EXPIRES,
    nonce: `nonce-${operatorId}-${verdict}-0123456789`,
    ...overrides,
  };
}

function signed(decision: DecisionReceiptBody, signer: Signer, operatorId: string, verdict: ApprovalStatement['verdict'], overrides: Partial<ApprovalStatement> = {}): SignedApproval {
  return signApproval(statement(decision, operatorId, verdict, overrides), signer);
}

/** An approval or override receipt answering `decision`, issued three minutes after it. */
function answer(
  decision: DecisionReceiptBody,
  outcome: 'PERMIT' | 'DENY',
  reason: OperatorReason,
  approvals: SignedApproval[],
  kind: OperatorReceiptBody['kind'] = decision.operators?.kind ?? 'approval',
): OperatorReceiptBody {
  const { v, idempotencyKey, workflowId, runId, requestHash, actor, surface, action, target, policy } = decision;
  return {
    v,
    kind,
    idempotencyKey,
    workflowId,
    runId,
    requestHash,
    actor,
    surface,
    action,
    target,
    issuedAt: later(decision.issuedAt, 3),
    decisionReceiptId: receiptId(decision),
    outcome,
    reasons: [reason],
    policy,
    approvals,
  };
}

function later(instant: string, minutes: number): string {
  return new Date(Date.parse(instant) + minutes * 60_000).toISOString();
}

function outcomeOf(decision: DecisionReceiptBody, dispatch: OutcomeReceiptBody['dispatch'] = OUTCOME_BODY.dispatch): OutcomeReceiptBody {
  return { ...OUTCOME_BODY, idempotencyKey: decision.idempotencyKey, workflowId: decision.workflowId, issuedAt: later(decision.issuedAt, 4), decisionReceiptId: receiptId(decision), dispatch };
}

const log = (bodies: ReceiptBody[]) => exportLines(signChain(bodies, () => receiptKey), receiptKey);
const codes = (problems: Problem[]) => problems.map((problem) => [problem.code, problem.seq]);

// A step-up approved by olivia and omar, then dispatched.
const approved = stepUp('pay-0101');
const approvedBy = answer(approved, 'PERMIT', 'approved', [signed(approved, OLIVIA, 'olivia', 'approve'), signed(approved, OMAR, 'omar', 'approve')]);
// Break-glass: a DENY olivia overrode.
const denied = breakGlass('pay-0102');
const overridden = answer(denied, 'PERMIT', 'overridden', [signed(denied, OLIVIA, 'olivia', 'override')]);
// A step-up omar rejected.
const rejected = stepUp('pay-0103');
const rejectedBy = answer(rejected, 'DENY', 'approval_rejected', [signed(rejected, OMAR, 'omar', 'reject')]);
// A step-up nobody answered (yet).
const waiting = stepUp('pay-0104');

const chain = log([approved, approvedBy, outcomeOf(approved), denied, overridden, outcomeOf(denied), rejected, rejectedBy, waiting]);

describe('the verifier\'s operator-approval signing input', () => {
  it('is the gate\'s, byte for byte', () => {
    const text = statement(approved, 'olivia', 'approve');
    expect(APPROVAL_SIGNING_DOMAIN).toBe(APPROVAL_SIGNATURE_DOMAIN);
    expect(approvalSigningInput(text)).toEqual(gateSigningInput(text));
  });
});

describe.each([nodeBackend, nobleBackend])('operator receipts with $name', (backend) => {
  const verify = (lines: string[], keys: KeySet = WITH_OPERATORS) => verifyLog(lines, keys, backend);
  const ask = (key: string, lines = chain, keys: KeySet = WITH_OPERATORS) => requirePermit(lines, key, keys, backend);

  describe('when a step-up was approved by a quorum of operators whose keys are in the set', () => {
    it('verifies with no notes, and require-permit says who approved it', () => {
      expect(verify(chain)).toMatchObject({ ok: true, problems: [], notes: [] });
      const permit = ask('pay-0101');
      expect(permit).toMatchObject({ authorized: true, code: 'PERMITTED', via: 'approval', by: ['olivia', 'omar'], decision: { log: { seq: 1 } }, operators: { log: { seq: 2 } } });
      expect(permit.message).toMatch(/^approved by olivia, omar \(receipt 1: STEP_UP .*approval receipt 2: PERMIT\) in enforce mode for agent-42/);
    });
  });

  describe('when the key set does not hold the operators\' keys', () => {
    it('still verifies, with a note per unchecked operator signature, and says so in the answer', () => {
      const result = verify(chain, TRUST_KEY_1_RECEIPTS);
      expect(result).toMatchObject({ ok: true, problems: [] });
      expect(result.notes.map((note) => [note.code, note.seq])).toEqual([
        ['OPERATOR_SIGNATURE_NOT_CHECKED', 2],
        ['OPERATOR_SIGNATURE_NOT_CHECKED', 2],
        ['OPERATOR_SIGNATURE_NOT_CHECKED', 5],
        ['OPERATOR_SIGNATURE_NOT_CHECKED', 8],
      ]);
      expect(formatNote(result.notes[0]!)).toContain(`seq 2, line 2: note: OPERATOR_SIGNATURE_NOT_CHECKED: approval 1 (olivia, key ${OLIVIA.keyId}): operator signature not checked`);
      const permit = ask('pay-0101', chain, TRUST_KEY_1_RECEIPTS);
      expect(permit).toMatchObject({ authorized: true, via: 'approval' });
      expect(permit.message).toContain('2 operator signature(s) not checked');
    });
  });

  describe('when a DENY was overridden (break-glass)', () => {
    it('require-permit says yes, naming the break-glass and who broke it', () => {
      const permit = ask('pay-0102');
      expect(permit).toMatchObject({ authorized: true, code: 'PERMITTED', via: 'override', by: ['olivia'], operators: { log: { seq: 5 } } });
      expect(permit.message).toMatch(/^break-glass override by olivia \(receipt 4: DENY .*override receipt 5: PERMIT\)/);
    });
  });

  describe('when operators rejected a step-up', () => {
    it('require-permit says no, with the reason and who rejected it', () => {
      const permit = ask('pay-0103');
      expect(permit).toMatchObject({ authorized: false, code: 'OPERATORS_DENIED', operators: { log: { seq: 8 } } });
      expect(permit.message).toContain('approval receipt 8: DENY (approval_rejected: rejected by omar)');
    });
  });

  describe('when a step-up has no approval receipt', () => {
    it('require-permit says no', () => {
      expect(ask('pay-0104')).toMatchObject({ authorized: false, code: 'NOT_APPROVED', decision: { log: { seq: 9 } } });
    });
  });

  describe('when an override receipt says the glass was not broken', () => {
    it('require-permit says no, with the reason', () => {
      const timedOut = answer(denied, 'DENY', 'override_timeout', []);
      const permit = ask('pay-0102', log([denied, timedOut]));
      expect(permit).toMatchObject({ authorized: false, code: 'OPERATORS_DENIED' });
      expect(permit.message).toContain('override receipt 2: DENY (override_timeout)');
    });
  });

  describe('when a DENY asked for break-glass and no override receipt answers it', () => {
    it('require-permit says no', () => {
      const permit = ask('pay-0102', log([denied]));
      expect(permit).toMatchObject({ authorized: false, code: 'NOT_PERMITTED' });
      expect(permit.message).toContain('no override receipt');
    });
  });

  describe('when an approved step-up breaks one of the decision\'s own rules', () => {
    it('is not authorized in shadow mode, without a proven actor, or when superseded', () => {
      const shadow = stepUp('pay-0105', {}, { mode: 'shadow' });
      const shadowApproved = answer(shadow, 'PERMIT', 'approved', [signed(shadow, OLIVIA, 'olivia', 'approve'), signed(shadow, OMAR, 'omar', 'approve')]);
      const unproven = stepUp('pay-0106', {}, { actor: { ...PERMIT_BODY.actor, keyId: null } });
      const unprovenApproved = answer(unproven, 'PERMIT', 'approved', [signed(unproven, OLIVIA, 'olivia', 'approve'), signed(unproven, OMAR, 'omar', 'approve')]);
      const late = stepUp('pay-0107');
      const lateApproved = answer(late, 'PERMIT', 'approved', [signed(late, OLIVIA, 'olivia', 'approve'), signed(late, OMAR, 'omar', 'approve')]);
      const superseding = outcomeOf(late, { status: 'skipped', resultHash: null, error: { code: SUPERSEDED_ERROR_CODE, message: 'refused first' } });
      const lines = log([shadow, shadowApproved, unproven, unprovenApproved, late, lateApproved, superseding]);
      expect(verify(lines)).toMatchObject({ ok: true });
      expect(ask('pay-0105', lines)).toMatchObject({ authorized: false, code: 'SHADOW_MODE' });
      expect(ask('pay-0106', lines)).toMatchObject({ authorized: false, code: 'ACTOR_NOT_PROVEN' });
      expect(ask('pay-0107', lines)).toMatchObject({ authorized: false, code: 'SUPERSEDED' });
    });
  });

  describe('when two approval receipts answer the same step-up', () => {
    it('require-permit says no', () => {
      const second = answer(approved, 'DENY', 'approval_rejected', [signed(approved, OMAR, 'omar', 'reject')]);
      expect(ask('pay-0101', log([approved, approvedBy, second]))).toMatchObject({ authorized: false, code: 'CONFLICTING_OPERATOR_RECEIPTS' });
    });
  });

  describe('when an embedded statement names another run', () => {
    it('reports APPROVAL_NOT_BOUND, and nothing is authorized', () => {
      const otherRun = answer(approved, 'PERMIT', 'approved', [
        signed(approved, OLIVIA, 'olivia', 'approve', { runId: '0195b6c4-0000-7a2b-9c3d-4e5f60718293' }),
        signed(approved, OMAR, 'omar', 'approve'),
      ]);
      const lines = log([approved, otherRun]);
      const result = verify(lines);
      expect(codes(result.problems)).toEqual([['APPROVAL_NOT_BOUND', 2]]);
      expect(result.problems[0]?.message).toContain('approval 1 (olivia');
      expect(result.problems[0]?.message).toContain('runId');
      expect(ask('pay-0101', lines)).toMatchObject({ authorized: false, code: 'LOG_INVALID' });
    });

    it('reports it for a statement naming another decision, workflow or request too', () => {
      for (const change of [{ decisionReceiptId: receiptId(rejected) }, { workflowId: 'pay-0103' }, { requestHash: DENY_BODY.requestHash }]) {
        const moved = answer(approved, 'PERMIT', 'approved', [signed(approved, OLIVIA, 'olivia', 'approve', change), signed(approved, OMAR, 'omar', 'approve')]);
        expect(codes(verify(log([approved, moved])).problems)).toEqual([['APPROVAL_NOT_BOUND', 2]]);
      }
    });

    it('reports it on a single receipt too (verifyReceipt)', () => {
      const otherRun = answer(approved, 'PERMIT', 'approved', [signed(approved, OLIVIA, 'olivia', 'approve', { runId: 'run-0' }), signed(approved, OMAR, 'omar', 'approve')]);
      const [, line] = log([approved, otherRun]);
      expect(verifyReceipt(line as string, WITH_OPERATORS, backend).problems.map((problem) => problem.code)).toEqual(['APPROVAL_NOT_BOUND']);
    });
  });

  describe('when an approval is signed with a key of another purpose', () => {
    it('reports APPROVAL_KEY_WRONG_PURPOSE when the key set holds that key (here: the receipt key)', () => {
      const byReceiptKey = answer(approved, 'PERMIT', 'approved', [signed(approved, receiptKey, 'olivia', 'approve'), signed(approved, OMAR, 'omar', 'approve')]);
      const lines = log([approved, byReceiptKey]);
      const result = verify(lines);
      expect(codes(result.problems)).toEqual([['APPROVAL_KEY_WRONG_PURPOSE', 2]]);
      expect(result.problems[0]?.message).toContain(`key ${TEST_KEY_1.keyId} is trusted for receipt, not operator`);
      expect(ask('pay-0101', lines)).toMatchObject({ authorized: false, code: 'LOG_INVALID' });
    });
  });

  describe('when an operator signature does not verify', () => {
    it('reports APPROVAL_BAD_SIGNATURE when the key is in the set, and a note when it is not', () => {
      const good = signed(approved, OLIVIA, 'olivia', 'approve');
      const edited = { ...good, statement: { ...good.statement, reason: 'changed after signing' } };
      const lines = log([approved, answer(approved, 'PERMIT', 'approved', [edited, signed(approved, OMAR, 'omar', 'approve')])]);
      expect(codes(verify(lines).problems)).toEqual([['APPROVAL_BAD_SIGNATURE', 2]]);
      const withoutOlivia: KeySet = { version: 1, keys: [...TRUST_KEY_1_RECEIPTS.keys, operatorKey(OMAR)] };
      expect(verify(lines, withoutOlivia)).toMatchObject({ ok: true, notes: [{ code: 'OPERATOR_SIGNATURE_NOT_CHECKED', seq: 2 }] });
    });

    it('reports APPROVAL_BAD_SIGNATURE when the key set files another public key under the operator\'s key id', () => {
      // Signed by omar's key but filed under olivia's key id, in the approval and in the key set alike.
      const misfiledApproval = { ...signed(approved, OMAR, 'olivia', 'approve'), keyId: OLIVIA.keyId };
      const lines = log([approved, answer(approved, 'PERMIT', 'approved', [misfiledApproval, signed(approved, OMAR, 'omar', 'approve')])]);
      const misfiled: KeySet = { version: 1, keys: [...TRUST_KEY_1_RECEIPTS.keys, { ...operatorKey(OLIVIA), publicKey: OMAR.publicKey }, operatorKey(OMAR)] };
      const result = verify(lines, misfiled);
      expect(codes(result.problems)).toEqual([['APPROVAL_BAD_SIGNATURE', 2]]);
      expect(result.problems[0]?.message).toContain(`the key set's public key for ${OLIVIA.keyId} is not the key with that id`);
    });
  });

  describe('when the operator key is not valid at the receipt\'s issue time', () => {
    it('reports APPROVAL_KEY_NOT_VALID', () => {
      const retired: KeySet = { version: 1, keys: [...TRUST_KEY_1_RECEIPTS.keys, operatorKey(OLIVIA, { validUntil: '2026-11-24T10:02:00.000Z' }), operatorKey(OMAR)] };
      expect(codes(verify(log([approved, approvedBy]), retired).problems)).toEqual([['APPROVAL_KEY_NOT_VALID', 2]]);
    });
  });

  describe('when a statement\'s verdict does not count for the receipt\'s kind', () => {
    it('reports APPROVAL_WRONG_VERDICT', () => {
      const mixed = answer(approved, 'PERMIT', 'approved', [signed(approved, OLIVIA, 'olivia', 'approve'), signed(approved, OMAR, 'omar', 'approve'), signed(approved, OMAR, 'omar', 'override')]);
      expect(codes(verify(log([approved, mixed])).problems)).toEqual([['APPROVAL_WRONG_VERDICT', 2]]);
    });
  });

  describe('when the statements do not support the outcome', () => {
    it('reports UNSUPPORTED_OPERATOR_OUTCOME for a PERMIT without an approve (and the quorum is not met)', () => {
      const unsupported = answer(approved, 'PERMIT', 'approved', [signed(approved, OMAR, 'omar', 'reject')]);
      expect(codes(verify(log([approved, unsupported])).problems)).toEqual([
        ['QUORUM_NOT_MET', 2],
        ['UNSUPPORTED_OPERATOR_OUTCOME', 2],
      ]);
    });

    it('reports UNSUPPORTED_OPERATOR_OUTCOME for an override PERMIT backed only by approvals', () => {
      const approvedOnly = answer(denied, 'PERMIT', 'overridden', [signed(denied, OLIVIA, 'olivia', 'approve')]);
      expect(codes(verify(log([denied, approvedOnly])).problems)).toEqual([
        ['QUORUM_NOT_MET', 2],
        ['APPROVAL_WRONG_VERDICT', 2],
        ['UNSUPPORTED_OPERATOR_OUTCOME', 2],
      ]);
    });

    it('reports UNSUPPORTED_OPERATOR_OUTCOME for a rejection without a reject', () => {
      const unsupported = answer(rejected, 'DENY', 'approval_rejected', []);
      expect(codes(verify(log([rejected, unsupported])).problems)).toEqual([['UNSUPPORTED_OPERATOR_OUTCOME', 2]]);
    });

    it('accepts a timeout without statements', () => {
      expect(verify(log([rejected, answer(rejected, 'DENY', 'approval_timeout', [])]))).toMatchObject({ ok: true });
    });
  });

  describe('when a PERMIT shows fewer distinct operators than the decision\'s quorum', () => {
    it('reports QUORUM_NOT_MET: one operator twice, one key signing as two operators, or a missing reason', () => {
      const once = answer(approved, 'PERMIT', 'approved', [signed(approved, OLIVIA, 'olivia', 'approve'), signed(approved, OLIVIA, 'olivia', 'approve', { nonce: 'another-nonce-0123456789' })]);
      const oneKey = answer(approved, 'PERMIT', 'approved', [signed(approved, OLIVIA, 'olivia', 'approve'), signed(approved, OLIVIA, 'omar', 'approve')]);
      const noReason = answer(approved, 'PERMIT', 'approved', [signed(approved, OLIVIA, 'olivia', 'approve'), signed(approved, OMAR, 'omar', 'approve', { reason: ' ' })]);
      for (const body of [once, oneKey, noReason]) {
        expect(codes(verify(log([approved, body])).problems)).toEqual([['QUORUM_NOT_MET', 2]]);
      }
      const noReasonNeeded = stepUp('pay-0101', { reasonRequired: false });
      const fine = answer(noReasonNeeded, 'PERMIT', 'approved', [signed(noReasonNeeded, OLIVIA, 'olivia', 'approve'), signed(noReasonNeeded, OMAR, 'omar', 'approve', { reason: '' })]);
      expect(verify(log([noReasonNeeded, fine]))).toMatchObject({ ok: true });
    });
  });

  describe('when an operator receipt does not answer a decision that waited for it', () => {
    const waitsForOverride = stepUp('pay-0101', { kind: 'override' });
    const plainPermit: DecisionReceiptBody = { ...PERMIT_BODY, idempotencyKey: 'pay-0101', workflowId: 'pay-0101' };
    const denyWaitingForApproval = stepUp('pay-0101', {}, { outcome: 'DENY' });
    const cases: Array<[string, () => ReceiptBody[], string]> = [
      ['no such decision in the export', () => [approvedBy], 'not an earlier decision receipt'],
      ['the decision comes after it', () => [approvedBy, approved], 'not an earlier decision receipt'],
      ['a decision of another key', () => [approved, { ...approvedBy, idempotencyKey: 'pay-0199' }], 'idempotencyKey differ'],
      ['a decision of another run', () => [approved, { ...approvedBy, runId: 'run-0' }], 'runId differ'],
      ['a decision of another request', () => [approved, { ...approvedBy, requestHash: DENY_BODY.requestHash }], 'requestHash differ'],
      ['a decision that waited for an override', () => [waitsForOverride, answer(waitsForOverride, 'PERMIT', 'approved', [], 'approval')], 'operators.kind is override'],
      ['a decision that did not wait for operators', () => [plainPermit, answer(plainPermit, 'DENY', 'approval_timeout', [])], 'operators.kind is absent'],
      ['a DENY that waited for an approval', () => [denyWaitingForApproval, answer(denyWaitingForApproval, 'DENY', 'approval_timeout', [])], 'a DENY, not a STEP_UP'],
      ['a decision under another policy set', () => [approved, { ...answer(approved, 'DENY', 'approval_timeout', []), policy: { digest: null, version: null } }], 'another policy set'],
    ];
    it('accepts a version label the pinned set filled in where the decision had none, but not another one', () => {
      const unlabelled = stepUp('pay-0101', {}, { policy: { ...PERMIT_BODY.policy, version: null } });
      const labelled = { ...answer(unlabelled, 'DENY', 'approval_timeout', []), policy: PERMIT_BODY.policy };
      expect(verify(log([unlabelled, labelled]))).toMatchObject({ ok: true });
      const relabelled = { ...answer(approved, 'DENY', 'approval_timeout', []), policy: { ...PERMIT_BODY.policy, version: '2026-11-25.1' } };
      expect(codes(verify(log([approved, relabelled])).problems)).toEqual([['UNLINKED_OPERATOR_RECEIPT', 2]]);
    });

    it.each(cases)('reports UNLINKED_OPERATOR_RECEIPT for %s', (_, bodies, why) => {
      const result = verify(log(bodies()));
      const unlinked = result.problems.filter((problem) => problem.code === 'UNLINKED_OPERATOR_RECEIPT');
      expect(unlinked).toHaveLength(1);
      expect(unlinked[0]?.message).toContain(why);
    });
  });

  describe('when a receipt breaks the v1 shape of operators in the loop', () => {
    it('reports MALFORMED for a reason of another kind or outcome, an unknown member in operators or in a statement', () => {
      const wrongReason = { ...approvedBy, reasons: ['overridden'] } as unknown as OperatorReceiptBody;
      const extraWait = { ...approved, operators: { ...approved.operators, extra: 1 } } as unknown as DecisionReceiptBody;
      const extraStatement = answer(approved, 'PERMIT', 'approved', [
        { ...signed(approved, OLIVIA, 'olivia', 'approve'), statement: { ...statement(approved, 'olivia', 'approve'), extra: 1 } as ApprovalStatement },
      ]);
      for (const [body, issue] of [
        [wrongReason, 'body.reasons.0: reason overridden belongs to kind override with outcome PERMIT, not to kind approval with outcome PERMIT'],
        [extraWait, 'body.operators'],
        [extraStatement, 'body.approvals.0.statement'],
      ] as const) {
        const [line] = log([body]);
        const result = verify([line as string]);
        expect(codes(result.problems)).toEqual([['MALFORMED', 1]]);
        expect(result.problems[0]?.message).toContain(issue);
      }
    });
  });
});

describe('the CLI-facing line of an unchecked operator signature', () => {
  it('names the receipt, the operator and the key', () => {
    const [note] = verifyLog(log([approved, approvedBy]), TRUST_KEY_1_RECEIPTS, nobleBackend).notes;
    expect(note).toEqual({
      code: 'OPERATOR_SIGNATURE_NOT_CHECKED',
      seq: 2,
      line: 2,
      message: `approval 1 (olivia, key ${OLIVIA.keyId}): operator signature not checked: the key set does not hold ${OLIVIA.keyId}`,
    });
    // The canonical line carries the statements exactly as signed.
    expect(log([approved, approvedBy])[1]).toContain(canonicalJson(approvedBy.approvals[0]));
  });
});
