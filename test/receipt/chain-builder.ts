// Builds signed logs for tests: any bodies, any signer per receipt, as JSONL lines.
import type { Signer } from '../../src/keys/signer.js';
import { signCheckpoint } from '../../src/receipt/checkpoint.js';
import type { DecisionReceiptBody, ReceiptBody } from '../../src/receipt/receipt-body.js';
import { receiptHash, signReceipt, type SignedReceipt } from '../../src/receipt/signed-receipt.js';
import { canonicalJson } from '../../src/request/canonical-json.js';
import { PERMIT_BODY } from '../fixtures/receipts/golden-receipts.js';

/** `n` decision bodies for keys act-1..act-n, issued a minute apart from `start`. */
export function decisionBodies(n: number, start = '2026-11-24T10:00:00.000Z', overrides: Partial<DecisionReceiptBody> = {}): DecisionReceiptBody[] {
  return Array.from({ length: n }, (_, i) => ({
    ...PERMIT_BODY,
    idempotencyKey: `act-${i + 1}`,
    workflowId: `act-${i + 1}`,
    issuedAt: new Date(Date.parse(start) + i * 60_000).toISOString(),
    ...overrides,
  }));
}

/** Signs bodies as log entries 1..n; `signerFor` picks the key per receipt. */
export function signChain(bodies: readonly ReceiptBody[], signerFor: (index: number) => Signer): SignedReceipt[] {
  const receipts: SignedReceipt[] = [];
  bodies.forEach((body, i) => {
    const previous = receipts.at(-1);
    receipts.push(signReceipt(body, { seq: i + 1, prevHash: previous ? receiptHash(previous) : null }, signerFor(i)));
  });
  return receipts;
}

/** The JSONL lines of receipts, with a checkpoint of the whole chain at the end when `checkpointBy` is given. */
export function exportLines(receipts: readonly SignedReceipt[], checkpointBy?: Signer, issuedAt = '2026-11-24T12:00:00.000Z'): string[] {
  const lines = receipts.map((receipt) => canonicalJson(receipt));
  const head = receipts.at(-1);
  if (checkpointBy && head) lines.push(canonicalJson(signCheckpoint({ size: head.log.seq, headHash: receiptHash(head), issuedAt }, checkpointBy)));
  return lines;
}

/** `Array.prototype.toSpliced` (ES2023, beyond this project's lib setting): a copy with lines removed or inserted. */
export function spliced(lines: readonly string[], start: number, deleteCount: number, ...items: string[]): string[] {
  const copy = [...lines];
  copy.splice(start, deleteCount, ...items);
  return copy;
}
