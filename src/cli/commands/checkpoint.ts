import { rename, writeFile } from 'node:fs/promises';
import { emptyTreeRoot } from '../../receipt/merkle/index.js';
import { checkpointNote } from '../../receipt/verify/trusted-checkpoint.js';
import { readPrivateKeyFile } from '../../keys/private-key-file.js';
import { integrateReceiptTree, receiptTreeRoot } from '../../store/receipt-tree.js';
import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import { connectDatabase } from '../connect-lazy.js';
import { environmentHelp, type ActionGateConfig } from '../config.js';
import { parseCommandArgs } from '../parse-command-args.js';

/** The log's name in its checkpoints when neither --origin nor ACTIONGATE_LOG_ORIGIN says otherwise. */
export const DEFAULT_LOG_ORIGIN = 'actiongate/receipts';

export const CHECKPOINT_HELP = `Usage: actiongate checkpoint [--origin NAME] [--out FILE]

Prints the signed receipt log's checkpoint as it stands: a C2SP tlog-checkpoint (origin, number of
receipts, RFC 9162 Merkle root over the export lines) signed as a C2SP signed note with the
receipt key (ACTIONGATE_RECEIPT_KEY) under the origin as key name. Keep it outside the database
(another system, another team): \`actiongate verify --checkpoint FILE\` then refuses an export cut
short or rewritten before it. The Merkle tree is stored with the log (integrated behind it by
workers that publish checkpoints, ACTIONGATE_CHECKPOINT_PUBLISH, and by this command): the receipts
not in it yet are added first, then the root is read from O(log n) stored nodes.

Options:
  --origin NAME   the log's name (default: ACTIONGATE_LOG_ORIGIN, else ${DEFAULT_LOG_ORIGIN}); the
                  verifier takes the key name from the checkpoint's first line
  --out FILE      also write it to FILE (written whole, then renamed into place)

${environmentHelp(['database', 'ACTIONGATE_RECEIPT_KEY', 'ACTIONGATE_LOG_ORIGIN'])}`;

/**
 * Progress of a long tree integration (a log that predates the stored tree): a line on standard
 * error every 2 s, none for one that ends sooner.
 */
export function integrationProgress(io: CommandIo): (size: number, logSize: number) => void {
  const started = performance.now();
  let last = started;
  return (size, logSize) => {
    const now = performance.now();
    if (now - last < 2_000) return;
    last = now;
    io.log(`integrating the receipt log's Merkle tree: ${size} of ${logSize} receipts (${Math.round(size / ((now - started) / 1_000))}/s)`);
  };
}

/** \`actiongate checkpoint\`. */
export async function checkpointCommand(config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('checkpoint', args, { origin: { type: 'string' }, out: { type: 'string' } });
  if (values.help) {
    io.out(CHECKPOINT_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new CliError('USAGE', 'checkpoint takes no arguments; run actiongate checkpoint --help');
  if (config.receiptSigningKey === undefined) throw new CliError('USAGE', 'checkpoint needs the receipt key: set ACTIONGATE_RECEIPT_KEY');
  const origin = values.origin ?? config.logOrigin ?? DEFAULT_LOG_ORIGIN;
  const signer = await readPrivateKeyFile(config.receiptSigningKey);
  const pool = await connectDatabase(config);
  let note: string;
  try {
    const size = await integrateReceiptTree(pool, { onProgress: integrationProgress(io) });
    // An empty log has a checkpoint too (C2SP: size 0, the root SHA-256 of nothing), as before the tree was stored.
    const rootHash = size === 0 ? emptyTreeRoot() : await receiptTreeRoot(pool, size);
    try {
      note = checkpointNote({ origin, size, rootHash }, signer);
    } catch (err) {
      throw new CliError('USAGE', `checkpoint: --origin ${JSON.stringify(origin)} cannot name a log: ${(err as Error).message}`);
    }
  } finally {
    await pool.end();
  }
  io.out(note.trimEnd());
  if (values.out !== undefined) {
    const partial = `${values.out}.partial-${process.pid}`;
    await writeFile(partial, note);
    await rename(partial, values.out);
  }
  return 0;
}
