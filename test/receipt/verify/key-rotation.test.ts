import { describe, expect, it } from 'vitest';
import { parsePrivateKeyFile } from '../../../src/keys/private-key-file.js';
import type { KeySet } from '../../../src/keys/key-set.js';
import { verifyLog } from '../../../src/receipt/verify/index.js';
import { nobleBackend } from '../../../src/receipt/verify/noble-backend.js';
import { nodeBackend } from '../../../src/receipt/verify/node-backend.js';
import { TEST_KEY_1, TEST_KEY_2 } from '../../fixtures/signing-keys.js';
import { testKey1Signer } from '../../fixtures/receipts/golden-receipts.js';
import { decisionBodies, exportLines, signChain } from '../chain-builder.js';

const ROTATION = '2026-11-24T10:02:00.000Z';
const keyA = testKey1Signer();
const keyB = parsePrivateKeyFile(JSON.stringify(TEST_KEY_2), 'TEST_KEY_2');
/** Key A retires at ROTATION (exclusive); key B is valid from it. */
const rotated: KeySet = {
  version: 1,
  keys: [
    { keyId: TEST_KEY_1.keyId, publicKey: TEST_KEY_1.publicKey, purpose: 'receipt', validUntil: ROTATION },
    { keyId: TEST_KEY_2.keyId, publicKey: TEST_KEY_2.publicKey, purpose: 'receipt', validFrom: ROTATION },
  ],
};
// Issued at 10:00, 10:01 (A), 10:02, 10:03 (B).
const bodies = decisionBodies(4);

describe.each([nodeBackend, nobleBackend])('key rotation with $name', (backend) => {
  describe('when key A signs before the rotation and key B after', () => {
    it('verifies every receipt and a checkpoint by B', () => {
      const receipts = signChain(bodies, (i) => (i < 2 ? keyA : keyB));
      expect(verifyLog(exportLines(receipts, keyB), rotated, backend)).toMatchObject({ ok: true, problems: [] });
    });
  });

  describe('when key A signs a receipt issued after it was retired', () => {
    it('reports KEY_NOT_VALID_AT_ISSUE_TIME at that seq', () => {
      const receipts = signChain(bodies, (i) => (i < 3 ? keyA : keyB));
      const result = verifyLog(exportLines(receipts), rotated, backend);
      expect(result.problems.map((problem) => [problem.code, problem.seq])).toEqual([['KEY_NOT_VALID_AT_ISSUE_TIME', 3]]);
    });
  });

  describe('when key B signs a receipt issued before it was valid', () => {
    it('reports KEY_NOT_VALID_AT_ISSUE_TIME at that seq', () => {
      const receipts = signChain(bodies, (i) => (i === 0 ? keyB : i < 2 ? keyA : keyB));
      const result = verifyLog(exportLines(receipts), rotated, backend);
      expect(result.problems.map((problem) => [problem.code, problem.seq])).toEqual([['KEY_NOT_VALID_AT_ISSUE_TIME', 1]]);
    });
  });
});
