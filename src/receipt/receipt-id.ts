import { digestJson, type Digest } from '../request/digest.js';
import type { ReceiptBody } from './receipt-body.js';

/** A receipt's id is the sha256 of its canonical body: content-addressed, so a link cannot dangle silently. */
export function receiptId(body: ReceiptBody): Digest {
  return digestJson(body);
}
