import { describe, expect, it } from 'vitest';
import { parsePrivateKeyFile } from '../../../src/keys/private-key-file.js';
import type { KeySet } from '../../../src/keys/key-set.js';
import type { DecisionReceiptBody } from '../../../src/receipt/receipt-body.js';
import { receiptHash, signReceipt } from '../../../src/receipt/signed-receipt.js';
import { formatProblem, verifyLog, type Problem } from '../../../src/receipt/verify/index.js';
import { nobleBackend } from '../../../src/receipt/verify/noble-backend.js';
import { nodeBackend } from '../../../src/receipt/verify/node-backend.js';
import { canonicalJson } from '../../../src/request/canonical-json.js';
import { TEST_KEY_1, TEST_KEY_2 } from '../../fixtures/signing-keys.js';
import { OUTCOME_BODY, testKey1Signer, TRUST_KEY_1_RECEIPTS } from '../../fixtures/receipts/golden-receipts.js';
import { decisionBodies, exportLines, signChain, spliced } from '../chain-builder.js';

const key1 = testKey1Signer();
const key2 = parsePrivateKeyFile(JSON.stringify(TEST_KEY_2), 'TEST_KEY_2');
const receipts = signChain(decisionBodies(5), () => key1);
/** Five receipts and a checkpoint of size 5 (line 6). */
const lines = exportLines(receipts, key1);

const codes = (problems: Problem[]) => problems.map((problem) => [problem.code, problem.seq]);

describe.each([nodeBackend, nobleBackend])('verifyLog with $name', (backend) => {
  const verify = (input: string[], keys: KeySet = TRUST_KEY_1_RECEIPTS) => verifyLog(input, keys, backend);

  describe('when the export is intact', () => {
    it('is ok', () => {
      expect(verify(lines)).toMatchObject({ ok: true, problems: [] });
    });
  });

  describe('when a line is removed', () => {
    it('reports a GAP at its seq', () => {
      expect(codes(verify(spliced(lines, 2, 1)).problems)).toEqual([['GAP', 3]]);
    });
  });

  describe('when a line is duplicated', () => {
    it('reports a DUPLICATE at its seq', () => {
      const result = verify(spliced(lines, 2, 0, lines[2] as string));
      expect(codes(result.problems)).toEqual([['DUPLICATE', 3]]);
      expect(formatProblem(result.problems[0] as Problem)).toBe('seq 3, line 4: DUPLICATE: receipt 3 appears again (first on line 3)');
    });
  });

  describe('when two lines are swapped', () => {
    it('reports OUT_OF_ORDER at the seq that comes too late', () => {
      const swapped = [lines[0], lines[2], lines[1], ...lines.slice(3)] as string[];
      expect(codes(verify(swapped).problems)).toEqual([['OUT_OF_ORDER', 2]]);
    });
  });

  describe('when the tail is cut off behind a checkpoint', () => {
    it('reports TRUNCATED at the checkpoint size', () => {
      const truncated = [...lines.slice(0, 3), lines[5] as string];
      expect(codes(verify(truncated).problems)).toEqual([['TRUNCATED', 5]]);
    });
  });

  describe('when a receipt is edited and re-signed by the key holder', () => {
    it('reports PREV_HASH_MISMATCH on its successor and CHECKPOINT_MISMATCH when it is the head', () => {
      const edited = signReceipt({ ...receipts[2]!.body, target: { type: 'account', id: 'acct-666' } }, receipts[2]!.log, key1);
      const editedMiddle = spliced(lines, 2, 1, canonicalJson(edited));
      expect(codes(verify(editedMiddle).problems)).toEqual([['PREV_HASH_MISMATCH', 4]]);

      const editedHead = signReceipt({ ...(receipts[4]!.body as DecisionReceiptBody), outcome: 'DENY' }, receipts[4]!.log, key1);
      expect(codes(verify(spliced(lines, 4, 1, canonicalJson(editedHead))).problems)).toEqual([['CHECKPOINT_MISMATCH', 5]]);
    });
  });

  describe('when a receipt is edited without re-signing', () => {
    it('reports BAD_SIGNATURE at its seq and the broken link after it', () => {
      const tampered = (lines[1] as string).replace('"acct-7"', '"acct-8"');
      expect(codes(verify(spliced(lines, 1, 1, tampered)).problems)).toEqual([
        ['BAD_SIGNATURE', 2],
        ['PREV_HASH_MISMATCH', 3],
      ]);
    });
  });

  describe('when the key set is the wrong one', () => {
    it('rejects every line as UNKNOWN_KEY', () => {
      const other: KeySet = { version: 1, keys: [{ keyId: TEST_KEY_2.keyId, publicKey: TEST_KEY_2.publicKey, purpose: 'receipt' }] };
      const result = verify(lines, other);
      expect(result.ok).toBe(false);
      expect(result.problems.every((problem) => problem.code === 'UNKNOWN_KEY')).toBe(true);
      expect(result.problems).toHaveLength(6);
    });

    it('rejects a key trusted only for policy bundles as KEY_WRONG_PURPOSE', () => {
      const bundles: KeySet = { version: 1, keys: [{ keyId: TEST_KEY_1.keyId, publicKey: TEST_KEY_1.publicKey, purpose: 'policy-bundle' }] };
      expect(verify(lines.slice(0, 1), bundles).problems.map((problem) => problem.code)).toEqual(['KEY_WRONG_PURPOSE']);
    });

    it('rejects a key set that files another public key under the key id as UNKNOWN_KEY', () => {
      const forged: KeySet = { version: 1, keys: [{ keyId: TEST_KEY_1.keyId, publicKey: TEST_KEY_2.publicKey, purpose: 'receipt' }] };
      expect(verify(lines.slice(0, 1), forged).problems.map((problem) => problem.code)).toEqual(['UNKNOWN_KEY']);
    });
  });

  describe('when a receipt is signed by a key outside the key set', () => {
    it('reports UNKNOWN_KEY at its seq', () => {
      const foreign = signReceipt(receipts[1]!.body, receipts[1]!.log, key2);
      expect(codes(verify(spliced(lines, 1, 1, canonicalJson(foreign))).problems)).toEqual([
        ['UNKNOWN_KEY', 2],
        ['PREV_HASH_MISMATCH', 3],
      ]);
    });
  });

  describe('when a line has an unknown version or is not canonical', () => {
    it('reports UNSUPPORTED_VERSION for an envelope or body v other than 1', () => {
      const v2 = JSON.stringify({ ...receipts[0], v: 2 });
      const body2 = canonicalJson({ ...receipts[0], body: { ...receipts[0]!.body, v: 2 } });
      expect(codes(verify([v2]).problems)).toEqual([['UNSUPPORTED_VERSION', 1]]);
      expect(codes(verify([body2]).problems)).toEqual([['UNSUPPORTED_VERSION', 1]]);
    });

    it('reports NOT_CANONICAL for the same content with white space or reordered members', () => {
      const pretty = JSON.stringify(receipts[0], null, 1);
      expect(codes(verify([pretty]).problems)).toEqual([['NOT_CANONICAL', 1]]);
      expect(codes(verify([JSON.stringify(receipts[0])]).problems)).toEqual([['NOT_CANONICAL', 1]]);
    });

    it('reports MALFORMED for a line that is not JSON or not the v1 shape', () => {
      expect(verify(['{"v":1,']).problems.map((problem) => problem.code)).toEqual(['MALFORMED']);
      const extra = canonicalJson({ ...receipts[0], extra: true });
      expect(codes(verify([extra]).problems)).toEqual([['MALFORMED', 1]]);
      const unsorted = canonicalJson({ ...receipts[0], body: { ...receipts[0]!.body, reasons: ['b', 'a'] } });
      expect(codes(verify([unsorted]).problems)).toEqual([['MALFORMED', 1]]);
    });

    it('reports MALFORMED for a correctly signed body without actor.keyId or detail, or with a bad one', () => {
      const first = receipts[0]!;
      const body = first.body as DecisionReceiptBody;
      const { keyId: _keyId, ...actorWithoutKey } = body.actor;
      const { detail: _detail, ...withoutDetail } = body;
      const resigned = (edited: unknown) => canonicalJson(signReceipt(edited as DecisionReceiptBody, first.log, key1));
      expect(codes(verify([resigned({ ...body, actor: actorWithoutKey })]).problems)).toEqual([['MALFORMED', 1]]);
      expect(codes(verify([resigned(withoutDetail)]).problems)).toEqual([['MALFORMED', 1]]);
      expect(codes(verify([resigned({ ...body, actor: { ...body.actor, keyId: 'agent-key-1' } })]).problems)).toEqual([['MALFORMED', 1]]);
      expect(codes(verify([resigned({ ...body, detail: 'x'.repeat(2_001) })]).problems)).toEqual([['MALFORMED', 1]]);
      expect(codes(verify([resigned({ ...body, actor: { ...body.actor, keyId: null }, detail: 'x'.repeat(2_000) })]).problems)).toEqual([]);
    });
  });

  describe('when an outcome receipt names no earlier decision for its key', () => {
    it('reports UNLINKED_OUTCOME', () => {
      const orphan = signChain([...decisionBodies(1), { ...OUTCOME_BODY, idempotencyKey: 'act-1' }], () => key1);
      expect(codes(verify(exportLines(orphan)).problems)).toEqual([['UNLINKED_OUTCOME', 2]]);
    });
  });

  describe('when a checkpoint is signed by an unknown key', () => {
    it('reports UNKNOWN_KEY at its size and does not hold it against the log', () => {
      const head = receipts[4]!;
      const foreign = exportLines(receipts, key2).at(-1) as string;
      expect(codes(verify([...lines.slice(0, 3), foreign]).problems)).toEqual([['UNKNOWN_KEY', head.log.seq]]);
      expect(receiptHash(head)).toMatch(/^sha256:/);
    });
  });
});
