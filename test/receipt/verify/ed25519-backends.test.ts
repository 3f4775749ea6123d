import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { receiptSigningInput } from '../../../src/receipt/signed-receipt.js';
import { decodeBase64url, encodeBase64url, verifyReceipt } from '../../../src/receipt/verify/index.js';
import { nobleBackend } from '../../../src/receipt/verify/noble-backend.js';
import { nodeBackend } from '../../../src/receipt/verify/node-backend.js';
import { canonicalJson } from '../../../src/request/canonical-json.js';
import { buildGoldenLog, TRUST_KEY_1_RECEIPTS } from '../../fixtures/receipts/golden-receipts.js';
import { TEST_KEY_1 } from '../../fixtures/signing-keys.js';
import { VECTORS_DIR } from '../../support/paths.js';

interface WycheproofFile {
  testGroups: { publicKey: { pk: string }; tests: { tcId: number; comment: string; flags: string[]; msg: string; sig: string; result: 'valid' | 'invalid' }[] }[];
}

const wycheproof = JSON.parse(await readFile(join(VECTORS_DIR, 'wycheproof', 'ed25519_test.json'), 'utf8')) as WycheproofFile;
const cases = wycheproof.testGroups.flatMap((group) => group.tests.map((test) => ({ ...test, pk: group.publicKey.pk })));
const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
const backends = [nodeBackend, nobleBackend];
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

describe('Ed25519 back ends', () => {
  describe('when checking the Wycheproof Ed25519 vectors', () => {
    it('has all 151', () => {
      expect(cases).toHaveLength(151);
    });

    it.each(cases.map((c) => [c.tcId, c.flags.join(','), c.result, c] as const))('case %i (%s): both say %s', (_, __, result, c) => {
      const answers = backends.map((backend) => backend.verify(hex(c.pk), hex(c.msg), hex(c.sig)));
      expect(answers).toEqual([result === 'valid', result === 'valid']);
    });
  });

  describe.each(backends)('when $name meets a malleated receipt signature (S + L)', (backend) => {
    it('rejects it, though it satisfies the group equation', () => {
      const [receipt] = buildGoldenLog().receipts;
      const sig = decodeBase64url(receipt!.sig, 64) as Uint8Array;
      let s = 0n;
      for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i] as number);
      let malleated = s + L;
      const forged = sig.slice();
      for (let i = 32; i < 64; i++) {
        forged[i] = Number(malleated & 0xffn);
        malleated >>= 8n;
      }
      const publicKey = decodeBase64url(TEST_KEY_1.publicKey, 32) as Uint8Array;
      expect(backend.verify(publicKey, receiptSigningInput(receipt!), sig)).toBe(true);
      expect(backend.verify(publicKey, receiptSigningInput(receipt!), forged)).toBe(false);
      const line = canonicalJson({ ...receipt!, sig: encodeBase64url(forged) });
      expect(verifyReceipt(line, TRUST_KEY_1_RECEIPTS, backend).problems.map((problem) => problem.code)).toEqual(['BAD_SIGNATURE']);
    });
  });

  describe.each(backends)('when $name meets a small-order public key', (backend) => {
    it('rejects the "signature" that verifies for every message under it', () => {
      // A = identity, R = identity, S = 0: [S]B = R + [k]A holds for any message, and OpenSSL accepts it.
      const identity = new Uint8Array(32);
      identity[0] = 1;
      const signature = new Uint8Array(64);
      signature[0] = 1;
      expect(backend.verify(identity, new TextEncoder().encode('transfer everything'), signature)).toBe(false);
    });
  });

  describe.each(backends)('when $name is given bytes of the wrong length', (backend) => {
    it('says false, without throwing', () => {
      expect(backend.verify(new Uint8Array(31), new Uint8Array(), new Uint8Array(64))).toBe(false);
      expect(backend.verify(hex(cases[0]!.pk), new Uint8Array(), new Uint8Array(63))).toBe(false);
    });
  });
});

describe('defaultBackend', () => {
  describe('when node:crypto is there', () => {
    it('picks the Node back end', async () => {
      const { defaultBackend } = await import('../../../src/receipt/verify/index.js');
      expect((await defaultBackend()).name).toBe('node:crypto');
    });
  });
});
