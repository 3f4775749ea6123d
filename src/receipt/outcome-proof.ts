// Bundled into Temporal workflow code: pure JS only (no Node built-ins, no zod).
//
// How the workflow takes the outcome receipt from the dispatch activity's completion without asking
// Postgres again: the completion carries the signed envelope the store wrote, and the workflow checks
// it against the receipt key the gate's own decide step reported (a local activity, run by this
// worker). A completion made up by a stranger holding a Temporal client (`temporal activity
// complete`) carries no valid signature under that key, and the workflow falls back to reading
// what is on record.
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { canonicalJson } from '../request/canonical-json.js';
import { digestsEqual, type Digest } from '../request/digest.js';
import type { OutcomeReceiptBody } from './receipt-body.js';
import { receiptId } from './receipt-id.js';
import { receiptSigningInput, SIGNED_RECEIPT_VERSION, type SignedReceipt } from './signed-receipt.js';
import { decodeBase64url } from './verify/base64url.js';

// The synchronous API needs a SHA-512; @noble/hashes is pure JS, so this runs in the sandbox too.
ed.hashes.sha512 = sha512;

/** The key the receipt store signs with: its id and raw 32-byte public key, base64url. */
export interface ReceiptKey {
  keyId: string;
  publicKey: string;
}

/** What the outcome must be: this run's, answering this decision, of this request. */
export interface ExpectedOutcome {
  workflowId: string;
  runId: string;
  decisionReceiptId: Digest;
  requestHash: Digest;
  /** The outcome receipt id the completion names. */
  outcomeReceiptId: string;
}

/**
 * The outcome receipt an envelope proves, or null when it proves nothing: not the canonical JSON of
 * a version-1 signed outcome receipt, signed by `key`, for `expected`'s run, decision and request,
 * with the id the completion names. Null means "read the store", never "failed".
 *
 * @example const outcome = provenOutcome(reported.outcomeEnvelope, key, expected) ?? (await store.recordOutcome(...));
 */
export function provenOutcome(envelopeText: unknown, key: ReceiptKey, expected: ExpectedOutcome): { receiptId: Digest; body: OutcomeReceiptBody } | null {
  if (typeof envelopeText !== 'string' || envelopeText.length > 100_000) return null;
  let envelope: SignedReceipt;
  try {
    envelope = JSON.parse(envelopeText) as SignedReceipt;
    // Exactly the bytes the store wrote: nothing the parse dropped or reordered.
    if (canonicalJson(envelope) !== envelopeText) return null;
  } catch {
    return null;
  }
  if (typeof envelope !== 'object' || envelope === null || envelope.v !== SIGNED_RECEIPT_VERSION || envelope.keyId !== key.keyId) return null;
  const body = envelope.body as OutcomeReceiptBody | undefined;
  if (typeof body !== 'object' || body === null || body.kind !== 'outcome') return null;
  if (body.workflowId !== expected.workflowId || body.runId !== expected.runId) return null;
  if (typeof body.decisionReceiptId !== 'string' || !digestsEqual(body.decisionReceiptId, expected.decisionReceiptId)) return null;
  if (typeof body.requestHash !== 'string' || !digestsEqual(body.requestHash, expected.requestHash)) return null;
  if (typeof envelope.log !== 'object' || envelope.log === null || typeof envelope.sig !== 'string') return null;
  const publicKey = decodeBase64url(key.publicKey, 32);
  const signature = decodeBase64url(envelope.sig, 64);
  if (!publicKey || !signature) return null;
  try {
    if (!ed.verify(signature, receiptSigningInput(envelope), publicKey, { zip215: false })) return null;
  } catch {
    return null;
  }
  const id = receiptId(body);
  if (!digestsEqual(id, expected.outcomeReceiptId)) return null;
  return { receiptId: id, body };
}
