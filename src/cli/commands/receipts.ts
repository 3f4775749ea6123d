import { exportReceiptLog } from '../../store/receipt-export.js';
import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import { connectDatabase } from '../connect.js';
import { ENVIRONMENT_HELP, type ActionGateConfig } from '../config.js';
import { parseCommandArgs } from '../parse-command-args.js';

export const RECEIPTS_HELP = `Usage: actiongate receipts export [--since ISO-8601] [--surface S]
       actiongate receipts show KEY

export   writes the signed receipt log to standard output as JSONL: every signed receipt in
         sequence order (canonical JSON, one per line), then the latest checkpoint. Streams in
         batches; memory stays constant. Check it with:
           actiongate receipts export | actiongate verify --keys receipt-keyset.json -
         --since and --surface narrow the export; such an export has gaps in its chain by
         construction, so check the chain on a full export.
show     prints the receipts of one idempotency key (signed envelopes where signed), one per line.

${ENVIRONMENT_HELP}`;

/** \`actiongate receipts export|show\`. */
export async function receiptsCommand(config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('receipts', args, { since: { type: 'string' }, surface: { type: 'string' } });
  if (values.since !== undefined && Number.isNaN(Date.parse(values.since))) {
    throw new CliError('USAGE', `receipts export: --since must be an ISO 8601 instant, not ${JSON.stringify(values.since)}`);
  }
  const [sub, ...rest] = positionals;
  if (values.help || sub === undefined) {
    io.out(RECEIPTS_HELP);
    return sub === undefined && !values.help ? 2 : 0;
  }
  if (sub !== 'export' && sub !== 'show') throw new CliError('USAGE', `unknown subcommand receipts ${JSON.stringify(sub)}; run actiongate receipts --help`);
  if (sub === 'export' && rest.length > 0) throw new CliError('USAGE', 'receipts export takes no arguments');
  if (sub === 'show' && rest.length !== 1) throw new CliError('USAGE', 'receipts show takes one idempotency KEY');
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
    const { rows } = await pool.query<{ envelope_canonical: string | null; body_canonical: string }>(
      'SELECT envelope_canonical, body_canonical FROM receipts WHERE idempotency_key = $1 ORDER BY seq',
      [rest[0]],
    );
    if (rows.length === 0) throw new CliError('FAILED', `no receipts are recorded for ${rest[0]}`);
    for (const row of rows) io.out(row.envelope_canonical ?? row.body_canonical);
    return 0;
  } finally {
    await pool.end();
  }
}
