import { canonicalJson } from '../../request/canonical-json.js';
import { sha256Text, type Digest } from '../../request/digest.js';
import type { SignedCheckpoint } from '../checkpoint.js';
import type { SignedReceipt } from '../signed-receipt.js';
import type { Problem } from './problem.js';
import { issuesOf, SignedCheckpointSchema, SignedReceiptSchema } from './schemas.js';

/** A receipt line that has the v1 shape and canonical form (its signature is not checked yet). */
export interface ParsedReceipt {
  kind: 'receipt';
  envelope: SignedReceipt;
  /** {@link receiptHash} of the envelope: sha256 of the line itself, since the line is canonical. */
  hash: Digest;
  line?: number;
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
 * @example const parsed = parseExportLine(text, 3); if (!parsed.ok) report(parsed.problems);
 */
export function parseExportLine(text: string, line?: number): ParsedLine {
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
  const seq = seqOf(record);
  const where = { ...(seq === undefined ? {} : { seq }), ...at };
  if (record['v'] !== 1) {
    return fail({ code: 'UNSUPPORTED_VERSION', ...where, message: `version ${JSON.stringify(record['v'])} is not supported (expected 1)` });
  }
  const isCheckpoint = record['kind'] === 'checkpoint';
  if (!isCheckpoint) {
    const body = record['body'];
    const bodyVersion = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['v'] : undefined;
    if (bodyVersion !== undefined && bodyVersion !== 1) {
      return fail({ code: 'UNSUPPORTED_VERSION', ...where, message: `body version ${JSON.stringify(bodyVersion)} is not supported (expected 1)` });
    }
  }
  const parsed = isCheckpoint ? SignedCheckpointSchema.safeParse(json) : SignedReceiptSchema.safeParse(json);
  if (!parsed.success) {
    return fail({ code: 'MALFORMED', ...where, message: `not a v1 ${isCheckpoint ? 'checkpoint' : 'receipt'}: ${issuesOf(parsed.error).join('; ')}` });
  }
  // The line must be exactly the canonical bytes: then hashes over the line and over the parsed
  // value agree, and no duplicate member or alternative escaping can hide in the export.
  const canonical = canonicalJson(parsed.data);
  if (canonical !== text) {
    return fail({ code: 'NOT_CANONICAL', ...where, message: 'the line is not the RFC 8785 canonical JSON of its content' });
  }
  if (isCheckpoint) return { ok: true, entry: { kind: 'checkpoint', checkpoint: parsed.data as SignedCheckpoint, ...at } };
  return { ok: true, entry: { kind: 'receipt', envelope: parsed.data as SignedReceipt, hash: sha256Text(canonical), ...at } };
}

function fail(problem: Problem): ParsedLine {
  return { ok: false, problems: [problem] };
}

/** The seq a damaged receipt claims, for the report only. */
function seqOf(record: Record<string, unknown>): number | undefined {
  const log = record['log'];
  const seq = typeof log === 'object' && log !== null ? (log as Record<string, unknown>)['seq'] : undefined;
  return typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : undefined;
}
