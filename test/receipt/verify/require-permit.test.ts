import { describe, expect, it } from 'vitest';
import { SUPERSEDED_ERROR_CODE, type DecisionReceiptBody, type OutcomeReceiptBody } from '../../../src/receipt/receipt-body.js';
import { receiptId } from '../../../src/receipt/receipt-id.js';
import { requirePermit } from '../../../src/receipt/verify/index.js';
import { nobleBackend } from '../../../src/receipt/verify/noble-backend.js';
import { nodeBackend } from '../../../src/receipt/verify/node-backend.js';
import { DENY_BODY, OUTCOME_BODY, PERMIT_BODY, testKey1Signer, TRUST_KEY_1_RECEIPTS } from '../../fixtures/receipts/golden-receipts.js';
import { exportLines, signChain, spliced } from '../chain-builder.js';

const key1 = testKey1Signer();
const silence = { ...DENY_BODY, idempotencyKey: 'pay-0003', workflowId: 'pay-0003', outcome: 'SILENCE' as const, reasons: ['unknown_surface'] };
const shadow = { ...PERMIT_BODY, idempotencyKey: 'pay-0004', workflowId: 'pay-0004', mode: 'shadow' as const };
/** A shadow surface's unsigned request: accepted, evaluated, recorded; its actor was never proven. */
const shadowUnsigned = { ...shadow, idempotencyKey: 'pay-0005', workflowId: 'pay-0005', actor: { ...PERMIT_BODY.actor, keyId: null } };
/** A PERMIT in enforce mode whose actor no signature proved: the gate never writes one. */
const unproven = { ...PERMIT_BODY, idempotencyKey: 'pay-0006', workflowId: 'pay-0006', actor: { ...PERMIT_BODY.actor, keyId: null } };
/** A PERMIT whose decide step answered too late: the agent had been told DENY, and the outcome receipt says so. */
const supersededPermit: DecisionReceiptBody = { ...PERMIT_BODY, idempotencyKey: 'pay-0007', workflowId: 'pay-0007' };
const supersededOutcome = outcomeOf(supersededPermit, {
  status: 'skipped',
  resultHash: null,
  error: { code: SUPERSEDED_ERROR_CODE, message: 'the agent was refused (DENY receipt_store_unavailable) before this decision was recorded; it was not carried out' },
});
/** A PERMIT whose dispatch failed: still an authorization, only the connector said no. */
const failedPermit: DecisionReceiptBody = { ...PERMIT_BODY, idempotencyKey: 'pay-0008', workflowId: 'pay-0008' };
const failedOutcome = outcomeOf(failedPermit, { status: 'failed', resultHash: null, error: { code: 'CONNECTOR_REJECTED', message: 'HTTP 422' } });
const lines = exportLines(
  signChain([PERMIT_BODY, OUTCOME_BODY, DENY_BODY, silence, shadow, shadowUnsigned, unproven, supersededPermit, supersededOutcome, failedPermit, failedOutcome], () => key1),
  key1,
);

function outcomeOf(decision: DecisionReceiptBody, dispatch: OutcomeReceiptBody['dispatch'], decisionReceiptId = receiptId(decision)): OutcomeReceiptBody {
  return { ...OUTCOME_BODY, idempotencyKey: decision.idempotencyKey, workflowId: decision.workflowId, decisionReceiptId, dispatch };
}

describe.each([nodeBackend, nobleBackend])('requirePermit with $name', (backend) => {
  const ask = (key: string, input = lines) => requirePermit(input, key, TRUST_KEY_1_RECEIPTS, backend);

  describe('when the key has a signed PERMIT in enforce mode', () => {
    it('is authorized', () => {
      expect(ask('pay-0001')).toMatchObject({ authorized: true, code: 'PERMITTED', decision: { log: { seq: 1 } } });
    });
  });

  describe('when the key has a correctly signed DENY or SILENCE receipt', () => {
    it('is not authorized', () => {
      expect(ask('pay-0002')).toMatchObject({ authorized: false, code: 'NOT_PERMITTED' });
      expect(ask('pay-0003')).toMatchObject({ authorized: false, code: 'NOT_PERMITTED' });
    });
  });

  describe('when the PERMIT was recorded in shadow mode', () => {
    it('is not authorized, whether or not the request was signed', () => {
      expect(ask('pay-0004')).toMatchObject({ authorized: false, code: 'SHADOW_MODE' });
      expect(ask('pay-0005')).toMatchObject({ authorized: false, code: 'SHADOW_MODE' });
    });
  });

  describe('when the PERMIT in enforce mode names no key that proved the actor', () => {
    it('is not authorized', () => {
      expect(ask('pay-0006')).toMatchObject({ authorized: false, code: 'ACTOR_NOT_PROVEN', decision: { log: { seq: 7 } } });
    });
  });

  describe('when an outcome receipt says the PERMIT was superseded by a refusal the agent got first', () => {
    it('is not authorized', () => {
      const answer = ask('pay-0007');
      expect(answer).toMatchObject({ authorized: false, code: 'SUPERSEDED', decision: { log: { seq: 8 } } });
      expect(answer.message).toContain('outcome receipt 9');
    });

    it('is still authorized by an export that ends before that outcome (a limit, docs/RECEIPTS.md)', () => {
      const untilDecision = exportLines(signChain([PERMIT_BODY, OUTCOME_BODY, DENY_BODY, silence, shadow, shadowUnsigned, unproven, supersededPermit], () => key1));
      expect(ask('pay-0007', untilDecision)).toMatchObject({ authorized: true, code: 'PERMITTED' });
    });
  });

  describe('when the superseding outcome names another decision than the key\'s', () => {
    it('is not authorized: the log does not verify', () => {
      const misfiled = outcomeOf(supersededPermit, supersededOutcome.dispatch, receiptId(PERMIT_BODY));
      const answer = ask('pay-0007', exportLines(signChain([PERMIT_BODY, supersededPermit, misfiled], () => key1)));
      expect(answer).toMatchObject({ authorized: false, code: 'LOG_INVALID' });
      expect(answer.problems.map((problem) => problem.code)).toEqual(['UNLINKED_OUTCOME']);
    });
  });

  describe('when the PERMIT has an outcome receipt with another error', () => {
    it('is authorized: the decision stands, whatever dispatch did', () => {
      expect(ask('pay-0008')).toMatchObject({ authorized: true, code: 'PERMITTED', decision: { log: { seq: 10 } } });
    });
  });

  describe('when there is no decision for the key', () => {
    it('is not authorized', () => {
      expect(ask('pay-9999')).toMatchObject({ authorized: false, code: 'NO_DECISION' });
    });
  });

  describe('when the log has any problem', () => {
    it('is not authorized, even for a key with a PERMIT', () => {
      const tampered = spliced(lines, 2, 1);
      const answer = ask('pay-0001', tampered);
      expect(answer).toMatchObject({ authorized: false, code: 'LOG_INVALID' });
      expect(answer.problems.map((problem) => problem.code)).toEqual(['GAP']);
    });
  });

  describe('when the log holds two decisions for the key', () => {
    it('is not authorized', () => {
      const twice = exportLines(signChain([PERMIT_BODY, { ...PERMIT_BODY, issuedAt: '2026-11-24T10:00:05.000Z' }], () => key1));
      expect(ask('pay-0001', twice)).toMatchObject({ authorized: false, code: 'CONFLICTING_DECISIONS' });
    });
  });
});
