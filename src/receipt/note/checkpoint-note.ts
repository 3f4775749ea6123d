import { decodeBase64, encodeBase64 } from './base64.js';
import { NoteError } from './note-error.js';
import { isUnicodeSpace, noteTextProblem } from './signed-note.js';

/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint, v1.0.0) note text, in pure JS:
 *
 *     <origin>\n<tree size, decimal>\n<base64 of the 32-byte root hash>\n[<extension line>\n]...
 *
 * Signed as a signed note (./signed-note.js); cosigned by witnesses (./cosignature.js).
 */

/** The root hash of an RFC 6962 Merkle tree: a SHA-256. */
export const CHECKPOINT_ROOT_HASH_BYTES = 32;

/** Longest checkpoint text accepted, in UTF-16 code units (Go's torchwood refuses above 1e6 bytes). */
export const MAX_CHECKPOINT_LENGTH = 1_000_000;

/** A parsed checkpoint body. */
export interface Checkpoint {
  /** The log's identity: non-empty, no newline, no leading or trailing Unicode space. */
  readonly origin: string;
  /** The number of leaves, 0 to 2^53 - 1. */
  readonly size: number;
  /** The RFC 6962 root hash at that size, 32 bytes. */
  readonly rootHash: Uint8Array;
  /** The extension lines, without their newlines: opaque, each non-empty. */
  readonly extensions: readonly string[];
}

/** What {@link formatCheckpoint} takes. */
export interface CheckpointFields {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensions?: readonly string[];
}

/**
 * The checkpoint note text (body) of a tree head, which {@link parseCheckpoint} gives back.
 *
 * @throws NoteError `MALFORMED_CHECKPOINT` for an origin or extension line that would not parse
 * back, a size that is not a safe non-negative integer, a root hash that is not 32 bytes.
 * @example formatCheckpoint({ origin: 'example.com/log', size: 3, rootHash }) // 'example.com/log\n3\n<base64>\n'
 */
export function formatCheckpoint(fields: CheckpointFields): string {
  const { origin, size, rootHash } = fields;
  const extensions = fields.extensions ?? [];
  const originProblem = lineProblem(origin) ?? originEdgeProblem(origin);
  if (originProblem !== undefined) throw bad(`origin: ${originProblem}`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(`the tree size must be an integer from 0 to 2^53 - 1, not ${String(size)}`);
  if (!(rootHash instanceof Uint8Array) || rootHash.length !== CHECKPOINT_ROOT_HASH_BYTES) throw bad('the root hash must be 32 bytes');
  extensions.forEach((line, index) => {
    const problem = lineProblem(line);
    if (problem !== undefined) throw bad(`extension line ${index + 1}: ${problem}`);
  });
  const text = [origin, String(size), encodeBase64(rootHash), ...extensions].join('\n') + '\n';
  if (text.length > MAX_CHECKPOINT_LENGTH) throw bad(`longer than ${MAX_CHECKPOINT_LENGTH} characters`);
  return text;
}

/**
 * Parses a checkpoint note text, strictly: at least three lines, each ending in a newline; a
 * non-empty origin without leading or trailing Unicode space; the size in decimal without a sign
 * or leading zero (but `0`), at most 2^53 - 1; the root hash the canonical base64 of 32 bytes;
 * extension lines non-empty; no control character; well-formed Unicode.
 *
 * It parses a note text, not a signed note: open the note first (openNote) and parse its `text`.
 *
 * @throws NoteError `MALFORMED_CHECKPOINT` (details.reason).
 * @example const { origin, size, rootHash } = parseCheckpoint(openNote(note, [logKey]).text);
 */
export function parseCheckpoint(body: string): Checkpoint {
  if (typeof body !== 'string') throw bad('a checkpoint is text');
  if (body.length > MAX_CHECKPOINT_LENGTH) throw bad(`longer than ${MAX_CHECKPOINT_LENGTH} characters`);
  const problem = noteTextProblem(body);
  if (problem !== undefined) throw bad(problem);
  if (!body.endsWith('\n')) throw bad('the last line does not end in a newline');
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) throw bad('fewer than three lines (origin, tree size, root hash)');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin === '') throw bad('empty origin');
  const edge = originEdgeProblem(origin);
  if (edge !== undefined) throw bad(`origin: ${edge}`);
  if (!/^(?:0|[1-9][0-9]*)$/.test(sizeText)) throw bad('the tree size is not a decimal without sign or leading zero');
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw bad('the tree size is beyond 2^53 - 1');
  const rootHash = decodeBase64(rootText, CHECKPOINT_ROOT_HASH_BYTES);
  if (rootHash === undefined) throw bad('the root hash is not the canonical base64 of 32 bytes');
  const empty = extensions.indexOf('');
  if (empty >= 0) throw bad(`extension line ${empty + 1} is empty`);
  return Object.freeze({ origin, size, rootHash, extensions: Object.freeze(extensions) });
}

function lineProblem(line: string): string | undefined {
  if (typeof line !== 'string' || line === '') return 'empty';
  if (line.includes('\n')) return 'has a newline';
  return noteTextProblem(line);
}

function originEdgeProblem(origin: string): string | undefined {
  if (isUnicodeSpace(origin.charCodeAt(0)) || isUnicodeSpace(origin.charCodeAt(origin.length - 1))) return 'leading or trailing space';
  return undefined;
}

function bad(reason: string): NoteError {
  return new NoteError('MALFORMED_CHECKPOINT', `not a checkpoint: ${reason}`, { reason });
}
