import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/request/canonical-json.js';
import { nobleBackend } from '../../src/receipt/verify/noble-backend.js';
import { nodeBackend } from '../../src/receipt/verify/node-backend.js';
import { verifyLog, verifyReceipt } from '../../src/receipt/verify/index.js';
import { buildGoldenLog, GOLDEN_FILES, TRUST_KEY_1_RECEIPTS } from '../fixtures/receipts/golden-receipts.js';
import { REPO_ROOT } from '../support/paths.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'receipts');
const golden = await Promise.all(GOLDEN_FILES.map((file) => readFile(join(FIXTURES, file), 'utf8')));
const goldenLog = await readFile(join(FIXTURES, 'log.jsonl'), 'utf8');
const receiptLines = golden.slice(0, 3).map((text) => text.trimEnd());
const receiptsDoc = await readFile(join(REPO_ROOT, 'docs', 'RECEIPTS.md'), 'utf8');

describe('golden receipts', () => {
  describe('when signing the example bodies with the RFC 8032 TEST 1 key', () => {
    it('gives the checked-in files byte for byte', () => {
      const { receipts, checkpoint } = buildGoldenLog();
      const built = [...receipts, checkpoint].map((entry) => `${canonicalJson(entry)}\n`);
      expect(built).toEqual(golden);
      expect(built.join('')).toBe(goldenLog);
    });

    it('is what docs/RECEIPTS.md quotes, line for line', () => {
      for (const text of golden) expect(receiptsDoc).toContain(`\`\`\`json\n${text}\`\`\``);
    });
  });

  describe.each([nodeBackend, nobleBackend])('when verified with $name', (backend) => {
    it('accepts the whole log with no problem', () => {
      const result = verifyLog(goldenLog.split('\n'), TRUST_KEY_1_RECEIPTS, backend);
      expect(result.problems).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.receipts.map((receipt) => receipt.log.seq)).toEqual([1, 2, 3]);
      expect(result.checkpoints).toHaveLength(1);
    });

    it('accepts each receipt on its own', () => {
      for (const line of receiptLines) expect(verifyReceipt(line, TRUST_KEY_1_RECEIPTS, backend).ok).toBe(true);
    });

    it('rejects every receipt with any one byte flipped, in body, envelope or signature', () => {
      for (const line of receiptLines) {
        const bytes = new TextEncoder().encode(line);
        for (let i = 0; i < bytes.length; i++) {
          const flipped = bytes.slice();
          flipped[i] = (flipped[i] as number) ^ 0x01;
          const result = verifyReceipt(new TextDecoder().decode(flipped), TRUST_KEY_1_RECEIPTS, backend);
          if (result.ok) throw new Error(`byte ${i} flipped still verifies: ${line.slice(Math.max(0, i - 20), i + 20)}`);
        }
      }
    });
  });
});
