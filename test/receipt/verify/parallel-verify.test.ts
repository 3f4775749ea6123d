// verifyLogParallel must give verifyLog's answer exactly: on a valid export (from the optimistic pass,
// its signatures checked on worker threads) and on every broken one (checked again on one thread).
import { describe, expect, it } from 'vitest';
import { verifyLog } from '../../../src/receipt/verify/index.js';
import { nodeBackend } from '../../../src/receipt/verify/node-backend.js';
import { nobleBackend } from '../../../src/receipt/verify/noble-backend.js';
import { verifyLogParallel } from '../../../src/receipt/verify/parallel-verify.js';
import { testKey1Signer, TRUST_KEY_1_RECEIPTS } from '../../fixtures/receipts/golden-receipts.js';
import { decisionBodies, exportLines, signChain, spliced } from '../chain-builder.js';

const signer = testKey1Signer();
const lines = exportLines(signChain(decisionBodies(2_500), () => signer), signer);

function checkedBy(input: string[], backend: 'node' | 'noble' = 'node') {
  const how: Array<{ threads: number; signatures: number; sequentialAgain: boolean }> = [];
  return verifyLogParallel(input, TRUST_KEY_1_RECEIPTS, backend, { threads: 2, report: (h) => how.push(h) }).then((result) => ({ result, how: how[0] }));
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

  it('stays on one thread below 2,000 lines', async () => {
    const { how } = await checkedBy(lines.slice(0, 100));
    expect(how).toEqual({ threads: 1, signatures: 0, sequentialAgain: false });
  });
});
