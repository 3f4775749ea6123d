// provenOutcome: the workflow settles an action from the dispatch activity's completion only when
// the completion carries the outcome envelope the store signed, for this run, decision and request.
// Anything else is "read the store" (null), never an accepted outcome.
import { describe, expect, it } from 'vitest';
import { generatePrivateKeyFile, parsePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { provenOutcome, type ExpectedOutcome, type ReceiptKey } from '../../src/receipt/outcome-proof.js';
import type { OutcomeReceiptBody } from '../../src/receipt/receipt-body.js';
import { receiptId } from '../../src/receipt/receipt-id.js';
import { signReceipt } from '../../src/receipt/signed-receipt.js';
import { canonicalJson } from '../../src/request/canonical-json.js';
import { sha256Text } from '../../src/request/digest.js';
import { testKey1Signer } from '../fixtures/receipts/golden-receipts.js';

const signer = testKey1Signer();
const key: ReceiptKey = { keyId: signer.keyId, publicKey: signer.publicKey };
const decisionReceiptId = sha256Text('the decision');
const requestHash = sha256Text('the request');

function outcome(overrides: Partial<OutcomeReceiptBody> = {}): OutcomeReceiptBody {
  return {
    v: 1,
    idempotencyKey: 'pay-1',
    workflowId: 'pay-1',
    runId: 'run-1',
    requestHash,
    actor: { id: 'agent-42', type: 'agent', keyId: null },
    surface: 'payments',
    action: 'transfer',
    target: { type: 'account', id: 'acct-7' },
    issuedAt: '2026-12-01T10:00:00.000Z',
    kind: 'outcome',
    decisionReceiptId,
    dispatch: { status: 'succeeded', resultHash: sha256Text('{"ok":true}'), error: null },
    ...overrides,
  };
}

function expected(body: OutcomeReceiptBody): ExpectedOutcome {
  return { workflowId: 'pay-1', runId: 'run-1', decisionReceiptId, requestHash, outcomeReceiptId: receiptId(body) };
}

const body = outcome();
const envelope = signReceipt(body, { seq: 7, prevHash: sha256Text('receipt 6') }, signer);
const text = canonicalJson(envelope);

describe('provenOutcome', () => {
  it('accepts the canonical envelope of this run\'s outcome, signed by the receipt key, and returns it as recorded', () => {
    expect(provenOutcome(text, key, expected(body))).toEqual({ receiptId: receiptId(body), body });
  });

  describe('refuses (null: the workflow reads the store instead)', () => {
    it('an envelope signed by another key, even one that names the receipt key', () => {
      const other = parsePrivateKeyFile(JSON.stringify(generatePrivateKeyFile()), 'another key');
      const forged = { ...signReceipt(body, envelope.log, other), keyId: signer.keyId };
      expect(provenOutcome(canonicalJson(forged), key, expected(body))).toBeNull();
      expect(provenOutcome(canonicalJson(signReceipt(body, envelope.log, other)), key, expected(body))).toBeNull();
    });

    it.each([
      ['another run', { runId: 'run-2' }],
      ['another workflow', { workflowId: 'pay-2', idempotencyKey: 'pay-2' }],
      ['another decision', { decisionReceiptId: sha256Text('another decision') }],
      ['another request', { requestHash: sha256Text('another request') }],
    ] as const)('a correctly signed outcome of %s', (_name, change) => {
      const theirs = outcome(change);
      const signed = canonicalJson(signReceipt(theirs, envelope.log, signer));
      expect(provenOutcome(signed, key, { ...expected(body), outcomeReceiptId: receiptId(theirs) })).toBeNull();
    });

    it('a correctly signed decision receipt (not an outcome)', () => {
      const decision = { ...body, kind: 'decision', outcome: 'PERMIT' } as unknown as OutcomeReceiptBody;
      expect(provenOutcome(canonicalJson(signReceipt(decision, envelope.log, signer)), key, expected(decision))).toBeNull();
    });

    it('an outcome id the envelope does not carry', () => {
      expect(provenOutcome(text, key, { ...expected(body), outcomeReceiptId: sha256Text('made up') })).toBeNull();
    });

    it('text that is not the canonical form of the envelope (same JSON, other bytes)', () => {
      expect(provenOutcome(JSON.stringify(envelope, null, 1), key, expected(body))).toBeNull();
      expect(provenOutcome(`${text} `, key, expected(body))).toBeNull();
    });

    it('anything that is not an envelope', () => {
      for (const junk of [undefined, null, 42, '', 'null', '{}', '[]', '{"v":1}', 'x'.repeat(200_000)]) {
        expect(provenOutcome(junk, key, expected(body))).toBeNull();
      }
    });

    it('every single flipped character of the envelope', () => {
      let accepted = 0;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        // Swap to a different character of the same class where possible, so most mutations still parse.
        const swapped = c >= 48 && c <= 57 ? String.fromCharCode(48 + ((c - 48 + 1) % 10)) : c >= 97 && c <= 122 ? String.fromCharCode(97 + ((c - 97 + 1) % 26)) : c >= 65 && c <= 90 ? String.fromCharCode(65 + ((c - 65 + 1) % 26)) : 'x';
        const mutated = text.slice(0, i) + swapped + text.slice(i + 1);
        if (provenOutcome(mutated, key, expected(body)) !== null) accepted++;
      }
      expect(accepted).toBe(0);
    });
  });
});
