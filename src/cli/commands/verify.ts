import { readFile } from 'node:fs/promises';
import { loadKeySet } from '../../keys/key-set-schema.js';
import { cosignatureVerifier, type VerifierKey } from '../../receipt/note/index.js';
import { defaultBackend, formatNote, formatProblem, nobleBackend, requirePermit, verifyReceipt, type WitnessPolicy } from '../../receipt/verify/index.js';
import { PARALLEL_MIN_LINES, verifyLogParallel } from '../../receipt/verify/parallel-verify.js';
import { verifyInclusionBundle } from '../../receipt/verify/inclusion-bundle.js';
import { verifyConsistencyBundle } from '../../receipt/verify/consistency-bundle.js';
import type { Ed25519Backend } from '../../receipt/verify/ed25519-backend.js';
import { CliError } from '../cli-error.js';
import { readInput } from '../read-input.js';
import type { CommandIo } from '../command-io.js';
import type { ActionGateConfig } from '../config.js';
import { parseCommandArgs } from '../parse-command-args.js';

export const VERIFY_HELP = `Usage: actiongate verify --keys KEYSET [--require-permit KEY ...] [--backend node|noble] [--threads N] [--checkpoint NOTE [WITNESSES]] [FILE|-]
       actiongate verify --keys KEYSET --proof FILE [--backend node|noble] [WITNESSES]
       actiongate verify --keys KEYSET --consistency FILE --checkpoint OLD_NOTE [--backend node|noble] [WITNESSES]
       WITNESSES: --witness VKEY_FILE [--witness VKEY_FILE ...] [--witness-quorum N]

Checks signed receipts with public keys only (no database, no Temporal, no policies): one
receipt (a single JSON object) or an export (JSONL: receipts and checkpoints, one per line).
Checks the format version, canonical form, Ed25519 signature, the key's validity at the
receipt's issue time, and for an export the chain: gaps, duplicates, order, previous-receipt
hashes, checkpoints (a truncated tail), and approval and override receipts (each answers a
decision that waited for operators; the operator statements it carries are bound to that action,
and their signatures verify when the operators' keys are in the key set). Prints a summary, one
line per problem with its sequence number, and one note per thing it could not check (an operator
signature whose key is not in the key set). Exit 0 only when everything holds; notes do not fail.

Options:
  --keys KEYSET          key set file (JSON) of the public keys trusted to sign receipts; add the
                         operators' public keys (purpose operator) to check their approvals
  --require-permit KEY   also answer "was the action with this idempotency key authorized?":
                         yes only for a correctly signed PERMIT decision, a STEP_UP an approval
                         receipt says PERMIT to (approved by whom), or a DENY an override receipt
                         says PERMIT to (break-glass, by whom), in enforce mode, whose actor a
                         request signature proved (actor.keyId), in a log that verifies (a signed
                         DENY or SILENCE is not an authorization), and that no outcome receipt marks
                         superseded (DECISION_SUPERSEDED: the agent had been refused before the
                         PERMIT was recorded; answer SUPERSEDED); repeatable
  --backend node|noble   Ed25519 implementation for every signature checked: receipts, checkpoint
                         notes and witness cosignatures (default: Node's crypto when present, else
                         noble; both are strict RFC 8032 and give the same answers)
  --checkpoint NOTE      a checkpoint held outside the database (a C2SP checkpoint note over the
                         receipts' Merkle tree, signed by a receipt key under its origin): the
                         export must be at least as long and its receipts 1..size must hash to
                         the checkpoint's root, else TRUNCATED or TRUSTED_CHECKPOINT_MISMATCH
  --proof FILE           check receipts with their inclusion proofs instead of an export (what
                         \`actiongate receipts prove KEY\` prints): the checkpoint note signed by a
                         receipt key under its origin, each receipt signed, and its RFC 9162 audit
                         path leading to the checkpoint's root (else INCLUSION_PROOF_INVALID)
  --consistency FILE     check that the log extends a checkpoint held from before (--checkpoint
                         OLD_NOTE), with what \`actiongate receipts consistency OLD_SIZE\` prints: both
                         notes signed by a receipt key, the same origin, and the RFC 9162
                         consistency proof from the old root to the new (else CONSISTENCY_PROOF_INVALID)
  --threads N            check the signatures of an export of ${PARALLEL_MIN_LINES} lines or more on N worker
                         threads (default: the cores available, at most 8; 1: on this thread only).
                         The answer is the same either way: any signature that does not verify, and
                         the whole export is checked again on one thread
  --witness VKEY_FILE    require the checkpoint to be co-signed by this witness: a file holding one
                         C2SP verifier key of type 0x04 (tlog-cosignature/v1), as \`actiongate witness
                         --vkey\` prints it; repeatable. The checkpoint checked is --checkpoint NOTE
                         (with an export), the --proof bundle's, or the newer one of a --consistency
                         bundle; it must carry a valid cosignature over itself by each witness (or
                         --witness-quorum of them), else WITNESS_COSIGNATURE_MISSING. A cosignature
                         line by a witness that does not verify counts as missing
  --witness-quorum N     how many of the --witness keys must have co-signed (default: all of them)`;

/** \`actiongate verify\`: the independent check an auditor runs on an export. */
export async function verifyCommand(_config: ActionGateConfig, args: string[], io: CommandIo & { stdin: NodeJS.ReadableStream }): Promise<number> {
  const { values, positionals } = parseCommandArgs('verify', args, {
    keys: { type: 'string' },
    'require-permit': { type: 'string', multiple: true },
    backend: { type: 'string' },
    threads: { type: 'string' },
    checkpoint: { type: 'string' },
    proof: { type: 'string' },
    consistency: { type: 'string' },
    witness: { type: 'string', multiple: true },
    'witness-quorum': { type: 'string' },
  });
  if (values.help) {
    io.out(VERIFY_HELP);
    return 0;
  }
  if (values.keys === undefined) throw new CliError('USAGE', 'verify needs --keys KEYSET (the public keys trusted to sign receipts)');
  if (positionals.length > 1) throw new CliError('USAGE', 'verify takes at most one FILE (or - for standard input)');
  if (values.backend !== undefined && values.backend !== 'node' && values.backend !== 'noble') {
    throw new CliError('USAGE', `verify: --backend must be node or noble, not ${JSON.stringify(values.backend)}`);
  }
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 64)) {
    throw new CliError('USAGE', `verify: --threads must be an integer from 1 to 64, not ${JSON.stringify(values.threads)}`);
  }
  if (values.proof !== undefined && (positionals.length > 0 || values.checkpoint !== undefined || values['require-permit'] !== undefined)) {
    throw new CliError('USAGE', 'verify --proof FILE checks that file alone: no export FILE, --checkpoint or --require-permit with it');
  }
  if (values['witness-quorum'] !== undefined && values.witness === undefined) {
    throw new CliError('USAGE', 'verify: --witness-quorum N needs --witness VKEY_FILE (the witnesses to count)');
  }
  if (values.witness !== undefined && values.checkpoint === undefined && values.proof === undefined && values.consistency === undefined) {
    throw new CliError('USAGE', 'verify: --witness needs a checkpoint to require cosignatures on: --checkpoint NOTE, --proof FILE or --consistency FILE');
  }
  const witnesses = values.witness === undefined ? undefined : await readWitnessPolicy(values.witness, values['witness-quorum']);
  const keys = await loadKeySet(values.keys);
  const backend = values.backend === 'noble' ? nobleBackend : await defaultBackend();
  if (values.consistency !== undefined) {
    if (values.checkpoint === undefined || positionals.length > 0 || values.proof !== undefined) {
      throw new CliError('USAGE', 'verify --consistency FILE needs --checkpoint OLD_NOTE (the checkpoint held from before), and nothing else to check');
    }
    return verifyConsistencyFile(values.consistency, await readCheckpointNote(values.checkpoint), keys, backend, witnesses, io);
  }
  if (values.proof !== undefined) {
    return verifyProofFile(values.proof, keys, backend, witnesses, io);
  }
  const trustedCheckpoint = values.checkpoint === undefined ? undefined : await readCheckpointNote(values.checkpoint);
  const text = await readInput(positionals[0], io.stdin);
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (lines.length === 0) throw new CliError('INVALID_INPUT', 'verify: the input is empty');

  const permits = values['require-permit'] ?? [];
  // A single pretty-printed receipt spans several lines but is one JSON value.
  const single = trustedCheckpoint === undefined && (lines.length === 1 || isOneJsonValue(text));
  let ok: boolean;
  if (single && permits.length === 0) {
    const result = verifyReceipt(lines.length === 1 ? (lines[0] as string) : text.trim(), keys, backend);
    for (const problem of result.problems) io.out(formatProblem(problem));
    for (const note of result.notes) io.out(formatNote(note));
    io.out(result.ok ? `1 receipt (seq ${result.receipt.log.seq}, ${result.receipt.body.kind}) verifies with ${backend.name}` : `receipt does NOT verify: ${result.problems.length} problem(s)`);
    ok = result.ok;
  } else {
    const result = await verifyLogParallel(lines, keys, backend.name === nobleBackend.name ? 'noble' : 'node', {
      ...(threads === undefined ? {} : { threads }),
      ...(trustedCheckpoint === undefined ? {} : { trustedCheckpoint }),
      ...(witnesses === undefined ? {} : { witnesses }),
    });
    for (const problem of result.problems) io.out(formatProblem(problem));
    for (const note of result.notes) io.out(formatNote(note));
    io.out(
      `${result.receipts.length} receipts, ${result.checkpoints.length} checkpoints: ` +
        (result.ok ? `the log verifies with ${backend.name}${witnessedText(witnesses, 'the trusted checkpoint')}` : `${result.problems.length} problem(s)`) +
        (result.notes.length > 0 ? `; ${result.notes.length} note(s)` : ''),
    );
    ok = result.ok;
  }
  for (const key of permits) {
    const answer = requirePermit(lines, key, keys, backend);
    io.out(answer.authorized ? `${key}: authorized: ${answer.message}` : `${key}: NOT authorized (${answer.code}: ${answer.message})`);
    ok = ok && answer.authorized;
  }
  return ok ? 0 : 1;
}

/** A bundle file's JSON; a file that cannot be read or parsed is INVALID_INPUT naming the option and the file. */
async function readBundle(option: string, path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (err) {
    throw new CliError('INVALID_INPUT', `verify: ${option} ${path} is not a readable JSON file: ${(err as Error).message}`);
  }
}

async function verifyProofFile(
  path: string,
  keys: Awaited<ReturnType<typeof loadKeySet>>,
  backend: Ed25519Backend,
  witnesses: WitnessPolicy | undefined,
  io: CommandIo,
): Promise<number> {
  const bundle = await readBundle('--proof', path);
  const result = verifyInclusionBundle(bundle, keys, backend, witnesses === undefined ? {} : { witnesses });
  for (const problem of result.problems) io.out(formatProblem(problem));
  const where = result.checkpoint ? ` in the ${result.checkpoint.size}-receipt log ${result.checkpoint.origin}` : '';
  io.out(result.ok ? `${result.receipts.length} receipt(s) proved${where} with ${backend.name}${witnessedText(witnesses, 'its checkpoint')}` : `NOT proved: ${result.problems.length} problem(s)`);
  return result.ok ? 0 : 1;
}

async function verifyConsistencyFile(
  path: string,
  olderNote: string,
  keys: Awaited<ReturnType<typeof loadKeySet>>,
  backend: Ed25519Backend,
  witnesses: WitnessPolicy | undefined,
  io: CommandIo,
): Promise<number> {
  const bundle = await readBundle('--consistency', path);
  const result = verifyConsistencyBundle(bundle, olderNote, keys, backend, witnesses === undefined ? {} : { witnesses });
  for (const problem of result.problems) io.out(formatProblem(problem));
  io.out(
    result.ok && result.older && result.newer
      ? `the ${result.newer.size}-receipt log of ${result.newer.origin} extends the ${result.older.size}-receipt checkpoint (with ${backend.name}${witnessedText(witnesses, 'the newer checkpoint')})`
      : `NOT proved consistent: ${result.problems.length} problem(s)`,
  );
  return result.ok ? 0 : 1;
}

/**
 * The witnesses of `--witness` (one verifier key of type 0x04 per file) and `--witness-quorum`.
 *
 * @throws CliError `INVALID_INPUT` naming a file that cannot be read or does not hold one such key;
 * `USAGE` for a witness given twice or a quorum that is not an integer from 1 to their number.
 */
async function readWitnessPolicy(files: readonly string[], quorumText: string | undefined): Promise<WitnessPolicy> {
  const witnesses: VerifierKey[] = [];
  const fileOf = new Map<string, string>();
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new CliError('INVALID_INPUT', `verify: --witness ${file} cannot be read: ${(err as Error).message}`);
    }
    const line = text.trim();
    let key: VerifierKey;
    try {
      if (line === '' || line.includes('\n')) throw new Error('it must hold exactly one line');
      key = cosignatureVerifier(line);
    } catch (err) {
      throw new CliError(
        'INVALID_INPUT',
        `verify: --witness ${file} is not a witness verifier key (one C2SP verifier key line of type 0x04, tlog-cosignature/v1, as \`actiongate witness --vkey\` prints it): ${(err as Error).message}`,
      );
    }
    const id = `${key.name}+${key.keyHash.toString(16).padStart(8, '0')}`;
    const earlier = fileOf.get(id);
    if (earlier !== undefined) throw new CliError('USAGE', `verify: --witness ${earlier} and --witness ${file} are the same witness (${id}); give each witness once`);
    fileOf.set(id, file);
    witnesses.push(key);
  }
  if (quorumText === undefined) return { witnesses };
  const quorum = /^[0-9]+$/.test(quorumText) ? Number(quorumText) : Number.NaN;
  if (!Number.isSafeInteger(quorum) || quorum < 1 || quorum > witnesses.length) {
    throw new CliError('USAGE', `verify: --witness-quorum must be an integer from 1 to ${witnesses.length} (the --witness keys given), not ${JSON.stringify(quorumText)}`);
  }
  return { witnesses, quorum };
}

/** What a verified answer adds when witnesses were required: `checkpoint` names the one they co-signed. */
function witnessedText(witnesses: WitnessPolicy | undefined, checkpoint: string): string {
  if (witnesses === undefined) return '';
  const required = witnesses.quorum ?? witnesses.witnesses.length;
  return `; ${checkpoint} is co-signed by at least ${required} of the ${witnesses.witnesses.length} witness(es)`;
}

async function readCheckpointNote(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError('INVALID_INPUT', `verify: --checkpoint ${path} cannot be read: ${(err as Error).message}`);
  }
}

function isOneJsonValue(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
