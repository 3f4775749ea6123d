import { describe, expect, it } from 'vitest';
import { signCheckpoint } from '../../src/receipt/checkpoint.js';
import { ReceiptError } from '../../src/receipt/receipt-error.js';
import { receiptHash, receiptSigningInput, signReceipt } from '../../src/receipt/signed-receipt.js';
import { canonicalJson } from '../../src/request/canonical-json.js';
import { sha256Text } from '../../src/request/digest.js';
import { PERMIT_BODY, testKey1Signer } from '../fixtures/receipts/golden-receipts.js';

const signer = testKey1Signer();

describe('signReceipt', () => {
  describe('when signing the first receipt', () => {
    it('signs the domain prefix and the canonical body, log position and key id', () => {
      const envelope = signReceipt(PERMIT_BODY, { seq: 1, prevHash: null }, signer);
      const input = new TextDecoder().decode(receiptSigningInput(envelope));
      expect(input).toBe(`actiongate/receipt/v1\n${canonicalJson({ body: PERMIT_BODY, keyId: signer.keyId, log: { prevHash: null, seq: 1 } })}`);
      expect(envelope.sig).toMatch(/^[A-Za-z0-9_-]{86}$/);
      expect(receiptHash(envelope)).toBe(sha256Text(canonicalJson(envelope)));
    });
  });

  describe('when the log position cannot exist', () => {
    it.each([
      [{ seq: 0, prevHash: null }],
      [{ seq: 1.5, prevHash: null }],
      [{ seq: 1, prevHash: sha256Text('x') }],
      [{ seq: 2, prevHash: null }],
      [{ seq: 2, prevHash: 'sha256:abc' as const }],
    ])('refuses %j with INVALID_LOG_POSITION', (log) => {
      expect(() => signReceipt(PERMIT_BODY, log, signer)).toThrow(expect.objectContaining({ constructor: ReceiptError, code: 'INVALID_LOG_POSITION' }));
    });
  });
});

describe('signCheckpoint', () => {
  describe('when the checkpoint covers nothing', () => {
    it('refuses with INVALID_CHECKPOINT', () => {
      expect(() => signCheckpoint({ size: 0, headHash: sha256Text('x'), issuedAt: '2026-11-24T10:00:00.000Z' }, signer)).toThrow(
        expect.objectContaining({ code: 'INVALID_CHECKPOINT' }),
      );
    });
  });
});
