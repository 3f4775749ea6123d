import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import { environmentHelp, type ActionGateConfig } from '../config.js';
import { withBundleStore } from '../bundle-store-access.js';
import { parseCommandArgs } from '../parse-command-args.js';

export const POLICY_LIST_HELP = `Usage: actiongate policy list [--activations] [--json]

Lists the published bundles, highest revision first, the active one marked with *.
With --activations, lists the activation log instead, oldest first: when, who, from which
bundle to which, whether it was a rollback, and the note.

Options:
  --activations  the activation log instead of the bundles
  --json         one JSON array on standard output, for scripts

${environmentHelp(['database', 'ACTIONGATE_BUNDLE_KEYS'])}`;

/** \`actiongate policy list\`. */
export async function policyListCommand(config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('policy list', args, { activations: { type: 'boolean' }, json: { type: 'boolean' } });
  if (values.help) {
    io.out(POLICY_LIST_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new CliError('USAGE', `policy list takes no arguments (got ${JSON.stringify(positionals[0])})`);

  if (values.activations) {
    const log = await withBundleStore(config, { trusted: false, command: 'policy list' }, (store) => store.activations());
    if (values.json) {
      io.out(JSON.stringify(log));
      return 0;
    }
    if (log.length === 0) io.log('no bundle has been activated');
    table(
      io,
      ['seq', 'activated at', 'by', 'from', 'to', 'rollback', 'note'],
      log.map((a) => [
        a.seq,
        a.activatedAt,
        a.activatedBy,
        a.previousVersion === null ? '-' : `${a.previousVersion} (r${a.previousRevision})`,
        `${a.version} (r${a.revision})`,
        a.rollback ? 'yes' : 'no',
        a.note ?? '',
      ]),
    );
    return 0;
  }

  const bundles = await withBundleStore(config, { trusted: false, command: 'policy list' }, (store) => store.list());
  if (values.json) {
    io.out(JSON.stringify(bundles));
    return 0;
  }
  if (bundles.length === 0) io.log('no bundle has been published');
  table(
    io,
    ['', 'version', 'revision', 'digest', 'key', 'published at', 'by'],
    bundles.map((b) => [b.active ? '*' : '', b.version, String(b.revision), b.digest, b.keyId, b.publishedAt, b.publishedBy]),
  );
  return 0;
}

function table(io: CommandIo, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  io.out(line(header));
  for (const row of rows) io.out(line(row));
}
