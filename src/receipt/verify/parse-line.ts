import { utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from '../../request/canonical-json.js';
import { sha256Text, type Digest } from '../../request/digest.js';
import type { SignedCheckpoint } from '../checkpoint.js';
import { RECEIPT_SIGNING_DOMAIN, type SignedReceipt } from '../signed-receipt.js';
import type { Ed25519Backend } from './ed25519-backend.js';
import type { Problem } from './problem.js';
import { isCommonReceipt } from './fast-shape.js';
import { issuesOf, SignedCheckpointSchema, SignedReceiptSchema } from './schemas.js';

/** A receipt line that has the v1 shape and canonical form (its signature is not checked yet). */
export interface ParsedReceipt {
  kind: 'receipt';
  envelope: SignedReceipt;
  /** {@link receiptHash} of the envelope: sha256 of the line itself, since the line is canonical. */
  hash: Digest;
  line?: number;
  /** `receiptSigningInput(envelope)`, cut from the canonical line (absent: compute it from the envelope). */
  signingInput?: Uint8Array;
  /** `receiptId(envelope.body)` of a decision receipt, hashed from the canonical line (absent: compute it). */
  id?: Digest;
}

export interface ParsedCheckpoint {
  kind: 'checkpoint';
  checkpoint: SignedCheckpoint;
  line?: number;
}

export type ParsedLine = { ok: true; entry: ParsedReceipt | ParsedCheckpoint } | { ok: false; problems: Problem[] };

/**
 * Parses one line of a JSONL export: version first (a `v` it does not know is
 * `UNSUPPORTED_VERSION`, never a guess), then the strict v1 shape, then the canonical form.
 *
 * `hashing` (optional) lends a back end's faster SHA-256 ({@link Ed25519Backend.sha256Hex}).
 *
 * @example const parsed = parseExportLine(text, 3); if (!parsed.ok) report(parsed.problems);
 */
export function parseExportLine(text: string, line?: number, hashing?: Pick<Ed25519Backend, 'sha256Hex'>): ParsedLine {
  const at = line === undefined ? {} : { line };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail({ code: 'MALFORMED', ...at, message: 'not JSON' });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail({ code: 'MALFORMED', ...at, message: 'a receipt or checkpoint is a JSON object' });
  }
  const record = json as Record<string, unknown>;
  if (record['v'] !== 1) {
    return fail({ code: 'UNSUPPORTED_VERSION', ...whereOf(record, line), message: `version ${JSON.stringify(record['v'])} is not supported (expected 1)` });
  }
  if (record['kind'] === 'checkpoint') {
    const parsed = SignedCheckpointSchema.safeParse(json);
    if (!parsed.success) return fail(malformed(whereOf(record, line), 'checkpoint', parsed.error));
    // The line must be exactly the canonical bytes: then hashes over the line and over the parsed
    // value agree, and no duplicate member or alternative escaping can hide in the export.
    if (canonicalJson(parsed.data) !== text) return fail(notCanonical(whereOf(record, line)));
    return { ok: true, entry: { kind: 'checkpoint', checkpoint: parsed.data as SignedCheckpoint, ...at } };
  }
  const bodyValue = record['body'];
  const bodyVersion = typeof bodyValue === 'object' && bodyValue !== null ? (bodyValue as Record<string, unknown>)['v'] : undefined;
  if (bodyVersion !== undefined && bodyVersion !== 1) {
    return fail({ code: 'UNSUPPORTED_VERSION', ...whereOf(record, line), message: `body version ${JSON.stringify(bodyVersion)} is not supported (expected 1)` });
  }
  // The common receipts pass a fast check that says yes only to what the schema accepts; the
  // schema decides the others and words what is wrong.
  let envelope: SignedReceipt;
  let body: string;
  if (isCommonReceipt(json)) {
    envelope = json;
    // Its members are all in sorted order, so JSON.stringify writes the canonical JSON.
    body = JSON.stringify(envelope.body);
  } else {
    const parsed = SignedReceiptSchema.safeParse(json);
    if (!parsed.success) return fail(malformed(whereOf(record, line), 'receipt', parsed.error));
    envelope = parsed.data as SignedReceipt;
    body = canonicalJson(envelope.body);
  }
  // The same canonical check for a receipt, with canonicalJson(envelope) built once around the
  // canonical body: the strict shape fixes the envelope's members (body, keyId, log { prevHash,
  // seq }, sig, v). The signing input is its first part; the receipt id is the body's hash.
  const signed = `{"body":${body},"keyId":${JSON.stringify(envelope.keyId)},"log":${logText(envelope.log)}`;
  if (`${signed},"sig":${JSON.stringify(envelope.sig)},"v":1}` !== text) return fail(notCanonical(whereOf(record, line)));
  const entry: ParsedReceipt = {
    kind: 'receipt',
    envelope,
    hash: sha256Of(text, hashing),
    signingInput: utf8ToBytes(`${RECEIPT_SIGNING_DOMAIN}${signed}}`),
  };
  if (line !== undefined) entry.line = line;
  if (envelope.body.kind === 'decision') entry.id = sha256Of(body, hashing);
  return { ok: true, entry };
}

function sha256Of(text: string, hashing: Pick<Ed25519Backend, 'sha256Hex'> | undefined): Digest {
  return hashing?.sha256Hex === undefined ? sha256Text(text) : `sha256:${hashing.sha256Hex(text)}`;
}

function malformed(where: { seq?: number; line?: number }, what: 'receipt' | 'checkpoint', error: Parameters<typeof issuesOf>[0]): Problem {
  return { code: 'MALFORMED', ...where, message: `not a v1 ${what}: ${issuesOf(error).join('; ')}` };
}

/** The canonical JSON of a parsed `log`: `{ prevHash, seq }`, seq a positive safe integer (written as String writes it). */
function logText(log: SignedReceipt['log']): string {
  return `{"prevHash":${log.prevHash === null ? 'null' : JSON.stringify(log.prevHash)},"seq":${String(log.seq)}}`;
}

function notCanonical(where: { seq?: number; line?: number }): Problem {
  return { code: 'NOT_CANONICAL', ...where, message: 'the line is not the RFC 8785 canonical JSON of its content' };
}

function fail(problem: Problem): ParsedLine {
  return { ok: false, problems: [problem] };
}

/** Where a damaged line is: the seq it claims, for the report only, and its line number. */
function whereOf(record: Record<string, unknown>, line: number | undefined): { seq?: number; line?: number } {
  const log = record['log'];
  const seq = typeof log === 'object' && log !== null ? (log as Record<string, unknown>)['seq'] : undefined;
  const claimed = typeof seq === 'number' && Number.isSafeInteger(seq) ? { seq } : {};
  return { ...claimed, ...(line === undefined ? {} : { line }) };
}
