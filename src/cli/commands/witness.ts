import { readFile, rename, writeFile } from 'node:fs/promises';
import { loadKeySet } from '../../keys/key-set-schema.js';
import { readPrivateKeyFile } from '../../keys/private-key-file.js';
import { decodeBase64url } from '../../keys/base64url.js';
import { addSignatureLines, cosign, COSIGNATURE_V1_SIGNATURE_TYPE, formatVerifierKey } from '../../receipt/note/index.js';
import { verifyConsistencyBundle } from '../../receipt/verify/consistency-bundle.js';
import { defaultBackend } from '../../receipt/verify/default-backend.js';
import { formatProblem } from '../../receipt/verify/problem.js';
import { openReceiptCheckpoint } from '../../receipt/verify/trusted-checkpoint.js';
import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import type { ActionGateConfig } from '../config.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { readInput } from '../read-input.js';

export const WITNESS_HELP = `Usage: actiongate witness --key KEY --log-keys KEYSET --state FILE [--name NAME] --init NOTE
       actiongate witness --key KEY --log-keys KEYSET --state FILE [--name NAME] [BUNDLE|-]
       actiongate witness --key KEY [--name NAME] --vkey

A witness for the receipt log (C2SP tlog-witness, in its simplest form): it holds the last
checkpoint it saw in FILE, and co-signs a newer one (C2SP tlog-cosignature/v1) only when a
consistency proof shows the log extends the one it holds. A log that shows two different
histories to two auditors is caught by whichever of them checks a checkpoint this witness signed.

  --init NOTE   start from this checkpoint note (checked against the log's keys), co-sign it and hold it
  BUNDLE        what \`actiongate receipts consistency <held size>\` prints: the newer checkpoint note and
                the proof from the held size; co-signed and held when it verifies, else exit 1
  --vkey        print the witness's verifier key (C2SP, key type 0x04) for auditors, and exit

Options:
  --key KEY         the witness's private key file (actiongate keys generate)
  --log-keys KEYSET key set of the log's receipt keys (public keys, purpose receipt)
  --state FILE      where the held checkpoint note is kept (written whole, then renamed into place)
  --name NAME       the witness's key name (default actiongate-witness)

Prints the co-signed checkpoint note (the log's signature and this witness's cosignature).`;

/** \`actiongate witness\`. */
export async function witnessCommand(_config: ActionGateConfig, args: string[], io: CommandIo & { stdin: NodeJS.ReadableStream }, now: () => Date = () => new Date()): Promise<number> {
  const { values, positionals } = parseCommandArgs('witness', args, {
    key: { type: 'string' },
    'log-keys': { type: 'string' },
    state: { type: 'string' },
    name: { type: 'string' },
    init: { type: 'string' },
    vkey: { type: 'boolean' },
  });
  if (values.help) {
    io.out(WITNESS_HELP);
    return 0;
  }
  if (values.key === undefined) throw new CliError('USAGE', 'witness needs --key KEY (the witness\'s private key file)');
  const name = values.name ?? 'actiongate-witness';
  const signer = await readPrivateKeyFile(values.key);
  const witness = { name, publicKey: signer.publicKey, sign: (bytes: Uint8Array) => signer.sign(bytes) };
  if (values.vkey) {
    io.out(formatVerifierKey(name, decodeBase64url(signer.publicKey, 32) as Uint8Array, COSIGNATURE_V1_SIGNATURE_TYPE));
    return 0;
  }
  if (values['log-keys'] === undefined || values.state === undefined) throw new CliError('USAGE', 'witness needs --log-keys KEYSET and --state FILE');
  if (positionals.length > 1 || (values.init !== undefined && positionals.length > 0)) throw new CliError('USAGE', 'witness takes one BUNDLE (or - for standard input), or --init NOTE');
  const keys = await loadKeySet(values['log-keys']);
  // The log's checkpoint signatures are checked as `actiongate verify` checks them by default: Node's crypto (noble without it).
  const backend = await defaultBackend();
  const held = await readFile(values.state, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new CliError('INVALID_INPUT', `witness: --state ${values.state} cannot be read: ${err.message}`);
  });

  let newer: string;
  if (values.init !== undefined) {
    if (held !== undefined) throw new CliError('USAGE', `witness --init: ${values.state} already holds a checkpoint; a witness starts once`);
    newer = await readFile(values.init, 'utf8').catch((err: Error) => {
      throw new CliError('INVALID_INPUT', `witness: --init ${values.init} cannot be read: ${err.message}`);
    });
    const opened = openReceiptCheckpoint(newer, keys, backend);
    if ('problem' in opened) {
      io.out(formatProblem(opened.problem));
      return 1;
    }
  } else {
    if (held === undefined) throw new CliError('USAGE', `witness: ${values.state} holds no checkpoint yet; start with --init NOTE`);
    let bundle: unknown;
    try {
      bundle = JSON.parse(await readInput(positionals[0], io.stdin));
    } catch (err) {
      throw new CliError('INVALID_INPUT', `witness: the consistency bundle is not JSON: ${(err as Error).message}`);
    }
    const result = verifyConsistencyBundle(bundle, held, keys, backend);
    if (!result.ok) {
      for (const problem of result.problems) io.out(formatProblem(problem));
      io.out('NOT co-signed: the log is not proved to extend the checkpoint this witness holds');
      return 1;
    }
    newer = (bundle as { checkpoint: string }).checkpoint;
  }
  const cosigned = addSignatureLines(newer, [cosign(newer, witness, Math.floor(now().getTime() / 1000))]);
  const partial = `${values.state}.partial-${process.pid}`;
  await writeFile(partial, cosigned);
  await rename(partial, values.state);
  io.out(cosigned.trimEnd());
  return 0;
}
