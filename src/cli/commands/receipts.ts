import type pg from 'pg';
import { readPrivateKeyFile } from '../../keys/private-key-file.js';
import { encodeBase64 } from '../../receipt/note/index.js';
import type { ReceiptBody } from '../../receipt/receipt-body.js';
import { checkpointNote } from '../../receipt/verify/trusted-checkpoint.js';
import type { InclusionBundle } from '../../receipt/verify/inclusion-bundle.js';
import type { ConsistencyBundle } from '../../receipt/verify/consistency-bundle.js';
import { integrateReceiptTree, receiptConsistencyProof, receiptInclusionProof, receiptTreeRoot } from '../../store/receipt-tree.js';
import { DEFAULT_LOG_ORIGIN, integrationProgress } from './checkpoint.js';
import { exportReceiptLog } from '../../store/receipt-export.js';
import { findUnsettledActions, type UnsettledAction } from '../../store/unsettled-actions.js';
import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import { connectDatabase } from '../connect-lazy.js';
import { environmentHelp, type ActionGateConfig } from '../config.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { parseDuration } from '../parse-duration.js';
import { textTable } from '../text-table.js';

export const RECEIPTS_HELP = `Usage: actiongate receipts export [--since ISO-8601] [--surface S]
       actiongate receipts show KEY
       actiongate receipts prove KEY [--origin NAME]
       actiongate receipts consistency OLD_SIZE [NEW_SIZE] [--origin NAME]
       actiongate receipts unsettled [--older-than DURATION] [--json]

export     writes the signed receipt log to standard output as JSONL: every signed receipt in
           sequence order (canonical JSON, one per line), then the latest checkpoint. Streams in
           batches; memory stays constant. Check it with:
             actiongate receipts export | actiongate verify --keys receipt-keyset.json -
           --since and --surface narrow the export; such an export has gaps in its chain by
           construction, so check the chain on a full export.
show       prints the receipts of one idempotency key (signed envelopes where signed), one per line;
           on standard error, what operators did (a break-glass override is marked BREAK-GLASS).
prove      prints the receipts of one idempotency key with their RFC 9162 inclusion proofs to the
           log's checkpoint as it stands (signed now with ACTIONGATE_RECEIPT_KEY, origin from --origin,
           ACTIONGATE_LOG_ORIGIN or actiongate/receipts), as one JSON object; anyone with the public
           keys checks it without the log: actiongate verify --keys KEYSET --proof FILE
consistency
           prints the RFC 9162 consistency proof from the log at OLD_SIZE receipts to NEW_SIZE (default:
           the log as it stands) with a checkpoint note signed now for NEW_SIZE, as one JSON object:
           whoever holds a checkpoint of OLD_SIZE checks that today's log extends it with
           actiongate verify --keys KEYSET --consistency FILE --checkpoint OLD_NOTE
unsettled  lists decided actions that have no outcome receipt and were decided (issuedAt) more
           than DURATION ago (default 10m; e.g. 30s, 10m, 2h, 1d): key, surface, actor, outcome,
           mode, decided at, workflow and run id, and whether dispatch may have happened (the
           decision let the action go out). Their outcome is unknown: reconcile those that may
           have dispatched with the external system by idempotency key. --json prints one JSON
           array. Exit 0 when there are none, 1 when there are some (a cron check), 2 for usage
           errors.

${environmentHelp(['database', 'ACTIONGATE_RECEIPT_KEY', 'ACTIONGATE_LOG_ORIGIN'])}`;

const DEFAULT_OLDER_THAN = '10m';

/** Options each subcommand takes; any other given option is a usage error, never ignored. */
const SUBCOMMAND_OPTIONS = {
  export: ['since', 'surface'],
  show: [],
  prove: ['origin'],
  consistency: ['origin'],
  unsettled: ['older-than', 'json'],
} as const satisfies Record<string, readonly string[]>;

type Subcommand = keyof typeof SUBCOMMAND_OPTIONS;

/** \`actiongate receipts export|show|unsettled\`. */
export async function receiptsCommand(config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('receipts', args, {
    since: { type: 'string' },
    surface: { type: 'string' },
    'older-than': { type: 'string' },
    json: { type: 'boolean' },
    origin: { type: 'string' },
  });
  const [sub, ...rest] = positionals;
  // An unknown subcommand is unknown with --help too (printing help and exit 0 would say it exists).
  if (sub !== undefined && !isSubcommand(sub)) throw new CliError('USAGE', `unknown subcommand receipts ${JSON.stringify(sub)}; run actiongate receipts --help`);
  if (values.help || sub === undefined) {
    io.out(RECEIPTS_HELP);
    return sub === undefined && !values.help ? 2 : 0;
  }
  const allowed: readonly string[] = SUBCOMMAND_OPTIONS[sub];
  const stray = Object.keys(values).filter((option) => option !== 'help' && !allowed.includes(option));
  if (stray.length > 0) throw new CliError('USAGE', `receipts ${sub} does not take ${stray.map((option) => `--${option}`).join(', ')}; run actiongate receipts --help`);
  if (values.since !== undefined && Number.isNaN(Date.parse(values.since))) {
    throw new CliError('USAGE', `receipts export: --since must be an ISO 8601 instant, not ${JSON.stringify(values.since)}`);
  }
  if (sub === 'export' && rest.length > 0) throw new CliError('USAGE', 'receipts export takes no arguments');
  if (sub === 'show' && rest.length !== 1) throw new CliError('USAGE', 'receipts show takes one idempotency KEY');
  if (sub === 'prove' && rest.length !== 1) throw new CliError('USAGE', 'receipts prove takes one idempotency KEY');
  if (sub === 'consistency' && (rest.length < 1 || rest.length > 2)) throw new CliError('USAGE', 'receipts consistency takes OLD_SIZE and, optionally, NEW_SIZE');
  const sizes = sub === 'consistency' ? rest.map((text) => receiptCount(text)) : [];
  if ((sub === 'prove' || sub === 'consistency') && config.receiptSigningKey === undefined) {
    throw new CliError('USAGE', `receipts ${sub} signs the checkpoint it proves to: set ACTIONGATE_RECEIPT_KEY`);
  }
  if (sub === 'unsettled' && rest.length > 0) throw new CliError('USAGE', 'receipts unsettled takes no arguments');
  const olderThan = values['older-than'] ?? DEFAULT_OLDER_THAN;
  const olderThanMs = parseDuration('receipts unsettled: --older-than', olderThan);

  const pool = await connectDatabase(config);
  try {
    if (sub === 'export') {
      let count = 0;
      const filter = { ...(values.since === undefined ? {} : { since: values.since }), ...(values.surface === undefined ? {} : { surface: values.surface }) };
      for await (const line of exportReceiptLog(pool, filter)) {
        io.out(line);
        count++;
      }
      io.log(`exported ${count} lines`);
      return 0;
    }
    if (sub === 'prove') {
      io.out(JSON.stringify(await proveReceipts(pool, rest[0] as string, logSigner(values.origin ?? config.logOrigin, config.receiptSigningKey as string), io)));
      return 0;
    }
    if (sub === 'consistency') {
      io.out(JSON.stringify(await consistencyBetween(pool, sizes[0] as number, sizes[1], logSigner(values.origin ?? config.logOrigin, config.receiptSigningKey as string), io)));
      return 0;
    }
    if (sub === 'unsettled') {
      const unsettled = await findUnsettledActions(pool, { decidedBefore: new Date(Date.now() - olderThanMs) });
      printUnsettled(unsettled, olderThan, values.json === true, io);
      return unsettled.length === 0 ? 0 : 1;
    }
    const { rows } = await pool.query<{ envelope_canonical: string | null; body_canonical: string }>(
      'SELECT envelope_canonical, body_canonical FROM receipts WHERE idempotency_key = $1 ORDER BY seq',
      [rest[0]],
    );
    if (rows.length === 0) throw new CliError('FAILED', `no receipts are recorded for ${rest[0]}`);
    for (const row of rows) {
      io.out(row.envelope_canonical ?? row.body_canonical);
      const note = operatorsNote(JSON.parse(row.body_canonical) as ReceiptBody);
      if (note) io.log(note);
    }
    return 0;
  } finally {
    await pool.end();
  }
}

/** Signs checkpoints of the log under its origin (the option, ACTIONGATE_LOG_ORIGIN, or the default) with the receipt key. */
function logSigner(origin: string | undefined, keyFile: string): (size: number, rootHash: Uint8Array) => Promise<string> {
  const name = origin ?? DEFAULT_LOG_ORIGIN;
  return async (size, rootHash) => {
    const signer = await readPrivateKeyFile(keyFile);
    try {
      return checkpointNote({ origin: name, size, rootHash }, signer);
    } catch (err) {
      throw new CliError('USAGE', `--origin ${JSON.stringify(name)} cannot name a log: ${(err as Error).message}`);
    }
  };
}

/** The receipts of a key with their inclusion proofs to a checkpoint of the log as it stands (the stored tree brought up to its head), signed now. */
async function proveReceipts(pool: pg.Pool, key: string, signCheckpoint: (size: number, rootHash: Uint8Array) => Promise<string>, io: CommandIo): Promise<InclusionBundle> {
  const size = await integrateReceiptTree(pool, { onProgress: integrationProgress(io) });
  const { rows } = await pool.query<{ log_seq: string; envelope_canonical: string }>(
    'SELECT log_seq, envelope_canonical FROM receipts WHERE idempotency_key = $1 AND log_seq IS NOT NULL AND log_seq <= $2 ORDER BY log_seq',
    [key, size],
  );
  if (rows.length === 0) throw new CliError('FAILED', `no signed receipts of ${key} are in the log`);
  const receipts: InclusionBundle['receipts'] = [];
  for (const row of rows) {
    const index = Number(row.log_seq) - 1;
    receipts.push({ line: row.envelope_canonical, index, proof: (await receiptInclusionProof(pool, index, size)).map(encodeBase64) });
  }
  return { checkpoint: await signCheckpoint(size, await receiptTreeRoot(pool, size)), receipts };
}

/** The consistency proof from `oldSize` to `newSize` (default: the log's size), with a checkpoint signed now for `newSize`. */
async function consistencyBetween(
  pool: pg.Pool,
  oldSize: number,
  newSizeArg: number | undefined,
  signCheckpoint: (size: number, rootHash: Uint8Array) => Promise<string>,
  io: CommandIo,
): Promise<ConsistencyBundle> {
  const size = await integrateReceiptTree(pool, { onProgress: integrationProgress(io) });
  const newSize = newSizeArg ?? size;
  if (oldSize < 1 || oldSize > newSize || newSize > size) {
    throw new CliError('USAGE', `receipts consistency: sizes must satisfy 1 ≤ OLD_SIZE (${oldSize}) ≤ NEW_SIZE (${newSize}) ≤ the log's ${size} receipts`);
  }
  const checkpoint = await signCheckpoint(newSize, await receiptTreeRoot(pool, newSize));
  return { checkpoint, oldSize, proof: (await receiptConsistencyProof(pool, oldSize, newSize)).map(encodeBase64) };
}

function receiptCount(text: string): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n)) throw new CliError('USAGE', `receipts consistency: a size is a number of receipts, not ${JSON.stringify(text)}`);
  return n;
}

/** A line on standard error for what operators did, so a break-glass override cannot be missed. */
function operatorsNote(body: ReceiptBody): string | undefined {
  if (body.kind === 'decision' && body.operators) {
    const needs = body.operators.requirements.map((r) => `${r.quorum} of ${r.groups.join('|')}`).join(' and ');
    return `${body.outcome}: waited for ${body.operators.kind === 'approval' ? 'approval' : 'a break-glass override'} (${needs}) until ${body.operators.until}`;
  }
  if (body.kind !== 'approval' && body.kind !== 'override') return undefined;
  const who = body.approvals.map((a) => `${a.statement.operatorId} ("${a.statement.reason}")`).join(', ');
  if (body.kind === 'override' && body.outcome === 'PERMIT') return `BREAK-GLASS: the DENY ${body.decisionReceiptId} was overridden by ${who} at ${body.issuedAt}`;
  return `${body.kind} ${body.outcome} ${body.reasons.join(', ')}${who ? ` by ${who}` : ''} at ${body.issuedAt}`;
}

function isSubcommand(sub: string): sub is Subcommand {
  return Object.hasOwn(SUBCOMMAND_OPTIONS, sub);
}

function printUnsettled(unsettled: UnsettledAction[], olderThan: string, json: boolean, io: CommandIo): void {
  if (json) {
    io.out(JSON.stringify(unsettled));
  } else if (unsettled.length > 0) {
    const header = ['key', 'surface', 'actor', 'outcome', 'mode', 'decided at', 'workflow id', 'run id', 'dispatch'];
    const rows = unsettled.map((a) => [a.idempotencyKey, a.surface, a.actorId, a.outcome, a.mode, a.decidedAt, a.workflowId, a.runId, a.mayHaveDispatched ? 'may have happened' : 'not allowed']);
    for (const line of textTable(header, rows)) io.out(line);
  }
  if (unsettled.length === 0) {
    io.log(`no unsettled actions decided more than ${olderThan} ago`);
    return;
  }
  const dispatchable = unsettled.filter((a) => a.mayHaveDispatched).length;
  io.log(
    `${unsettled.length} action(s) decided more than ${olderThan} ago have no outcome receipt; ` +
      `${dispatchable} may have been dispatched: reconcile them with the external system by idempotency key`,
  );
}
