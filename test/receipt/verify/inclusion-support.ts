// What the inclusion tests build bundles from (the library's own exports, in one place).
import { rootFromLeafHashes } from '../../../src/receipt/merkle/index.js';
import type { SignedReceipt } from '../../../src/receipt/signed-receipt.js';
import { receiptLeafHash } from '../../../src/receipt/verify/index.js';

export { checkpointNote, receiptLeafHash, verifyInclusionBundle, type InclusionBundle } from '../../../src/receipt/verify/index.js';

export function rootFromReceipts(receipts: readonly SignedReceipt[]): Uint8Array {
  return rootFromLeafHashes(receipts.map(receiptLeafHash));
}
