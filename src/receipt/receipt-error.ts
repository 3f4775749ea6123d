import { ActionGateError } from '../errors.js';

/**
 * `INVALID_LOG_POSITION`: a receipt was to be signed at a position that cannot exist
 * (seq below 1, seq 1 with a previous hash, a later seq without one).
 * `INVALID_CHECKPOINT`: a checkpoint was to be signed for an empty log or without a head hash.
 */
export type ReceiptErrorCode = 'INVALID_LOG_POSITION' | 'INVALID_CHECKPOINT';

/**
 * A receipt or checkpoint that cannot be signed as asked. Verification never throws this:
 * it reports problems as values (see `src/receipt/verify/`).
 *
 * @example
 * try {
 *   signReceipt(body, { seq: 0, prevHash: null }, signer);
 * } catch (error) {
 *   if (error instanceof ReceiptError && error.code === 'INVALID_LOG_POSITION') fix();
 * }
 */
export class ReceiptError extends ActionGateError<ReceiptErrorCode> {}
