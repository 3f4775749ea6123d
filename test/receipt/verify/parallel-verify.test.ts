// verifyLogParallel must give verifyLog's answer exactly: on a valid export (from the optimistic pass,
// its signatures checked on worker threads) and on every broken one (checked again on one thread).
import { describe, expect, it } from 'vitest';
import { verifyLog, type VerifyLogOptions } from '../../../src/receipt/verify/index.js';
import { nodeBackend } from '../../../src/receipt/verify/node-backend.js';
import { nobleBackend } from '../../../src/receipt/verify/noble-backend.js';
import { verifyLogParallel } from '../../../src/receipt/verify/parallel-verify.js';
import { testKey1Signer, TRUST_KEY_1_RECEIPTS } from '../../fixtures/receipts/golden-receipts.js';
import { decisionBodies, exportLines, signChain, spliced } from '../chain-builder.js';
import { signatureLine, splitNote } from '../../../src/receipt/note/index.js';
import { receiptCheckpointNote } from '../../../src/receipt/verify/index.js';
import { cosigned, WITNESS_1 } from './witness-support.js';

const signer = testKey1Signer();
const receipts = signChain(decisionBodies(2_500), () => signer);
const lines = exportLines(receipts, signer);

function checkedBy(input: string[], backend: 'node' | 'noble' = 'node', options: VerifyLogOptions = {}) {
  const how: Array<{ threads: number; signatures: number; sequentialAgain: boolean }> = [];
  return verifyLogParallel(input, TRUST_KEY_1_RECEIPTS, backend, { ...options, threads: 2, report: (h) => how.push(h) }).then((result) => ({ result, how: how[0] }));
}

/** A line with one character of its signature changed (a base64url letter for another). */
function badSignature(line: string): string {
  const at = line.indexOf('"sig":"') + 20;
  return line.slice(0, at) + (line[at] === 'A' ? 'B' : 'A') + line.slice(at + 1);
}

// Each case verifies a 2,500-receipt export two or three times: generous timeouts for a loaded machine.
describe('verifyLogParallel', { timeout: 60_000 }, () => {
  it('answers a valid export as verifyLog does, with the signatures checked on two threads', async () => {
    const { result, how } = await checkedBy(lines);
    expect(result).toEqual(verifyLog(lines, TRUST_KEY_1_RECEIPTS, nodeBackend));
    expect(result.ok).toBe(true);
    expect(how).toEqual({ threads: 2, signatures: 2_501, sequentialAgain: false });
  });

  it('answers as verifyLog does when one signature is bad: checked again on one thread', async () => {
    const broken = spliced(lines, 2_200, 1, badSignature(lines[2_200] as string));
    const { result, how } = await checkedBy(broken);
    const expected = verifyLog(broken, TRUST_KEY_1_RECEIPTS, nodeBackend);
    expect(result).toEqual(expected);
    expect(result.problems.map((p) => p.code)).toContain('BAD_SIGNATURE');
    expect(how?.sequentialAgain).toBe(true);
  });

  it('answers as verifyLog does for a removed line and an edited body', async () => {
    for (const broken of [spliced(lines, 1_000, 1), spliced(lines, 10, 1, (lines[10] as string).replace('"act-11"', '"act-xx"'))]) {
      const { result } = await checkedBy(broken);
      expect(result).toEqual(verifyLog(broken, TRUST_KEY_1_RECEIPTS, nodeBackend));
      expect(result.ok).toBe(false);
    }
  });

  it('checks with noble on the threads when asked, with the same answer', async () => {
    const { result, how } = await checkedBy(lines.slice(0, 2_100), 'noble');
    expect(result).toEqual(verifyLog(lines.slice(0, 2_100), TRUST_KEY_1_RECEIPTS, nobleBackend));
    expect(how?.sequentialAgain).toBe(false);
  }, 60_000);

  describe('with a trusted checkpoint its witnesses co-signed', () => {
    const note = receiptCheckpointNote(receipts.slice(0, 2_400), 'actiongate.test/receipts', signer);
    const witnesses = { witnesses: [WITNESS_1.vkey] };

    it('checks the note signature and the cosignature on the threads too, with verifyLog\'s answer', async () => {
      const options = { trustedCheckpoint: cosigned(note, WITNESS_1), witnesses };
      const { result, how } = await checkedBy(lines, 'node', options);
      expect(result).toEqual(verifyLog(lines, TRUST_KEY_1_RECEIPTS, nodeBackend, options));
      expect(result.ok).toBe(true);
      expect(how).toEqual({ threads: 2, signatures: 2_503, sequentialAgain: false });
    });

    it('finds a cosignature that does not verify (checked again on one thread): WITNESS_COSIGNATURE_MISSING', async () => {
      const good = cosigned(note, WITNESS_1);
      const last = splitNote(good).signatures.at(-1)!;
      const bytes = last.signature.slice();
      bytes[40] = (bytes[40] as number) ^ 1;
      const options = { trustedCheckpoint: good.replace(`${last.line}\n`, signatureLine(last.name, last.keyHash, bytes)), witnesses };
      const { result, how } = await checkedBy(lines, 'noble', options);
      expect(result).toEqual(verifyLog(lines, TRUST_KEY_1_RECEIPTS, nodeBackend, options));
      expect(result.problems.map((p) => p.code)).toEqual(['WITNESS_COSIGNATURE_MISSING']);
      expect(how?.sequentialAgain).toBe(true);
    }, 120_000);

    it('passes the witnesses to verifyLog on one thread as well', async () => {
      const { result } = await checkedBy(lines.slice(0, 100), 'node', { trustedCheckpoint: receiptCheckpointNote(receipts.slice(0, 90), 'actiongate.test/receipts', signer), witnesses });
      expect(result.problems.map((p) => p.code)).toEqual(['WITNESS_COSIGNATURE_MISSING']);
    });
  });

  it('stays on one thread below 2,000 lines', async () => {
    const { how } = await checkedBy(lines.slice(0, 100));
    expect(how).toEqual({ threads: 1, signatures: 0, sequentialAgain: false });
  });
});
