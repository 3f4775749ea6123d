import { diffDecisions } from '../../policy/decision-diff.js';
import { PgReceiptStore } from '../../store/receipt-store.js';
import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import { connectDatabase } from '../connect-lazy.js';
import { environmentHelp, type ActionGateConfig } from '../config.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { loadCandidatePolicySet } from '../policy-candidate.js';

export const POLICY_DIFF_HELP = `Usage: actiongate policy diff FILE|DIR [--last N] [--surface S]

Evaluates the last N recorded requests (default 1000) against a candidate policy set — a bundle
file or a policy directory — each at the instant it was first decided, and prints the decisions
that would change:

  KEY  SURFACE  BEFORE [reasons] -> AFTER [reasons]

Refusals the gate made itself (gate_timeout, receipt_store_unavailable, policy_unavailable) are
skipped: no policy decided them. A bundle's signature is checked when ACTIONGATE_BUNDLE_KEYS is
set. Exit 0 when the diff was computed (whatever it found), 1 on errors.

${environmentHelp(['database', 'ACTIONGATE_BUNDLE_KEYS'])}`;

/** \`actiongate policy diff\`: what a reviewer reads on a policy pull request. */
export async function policyDiffCommand(config: ActionGateConfig, args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('policy diff', args, {
    last: { type: 'string' },
    surface: { type: 'string' },
  });
  if (values.help) {
    io.out(POLICY_DIFF_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError('USAGE', 'policy diff takes one FILE or DIR; run actiongate policy diff --help');
  const last = values.last === undefined ? 1000 : Number(values.last);
  if (!Number.isInteger(last) || last < 1 || last > 1_000_000) {
    throw new CliError('USAGE', `policy diff: --last must be a whole number from 1 to 1000000, not ${JSON.stringify(values.last)}`);
  }
  const { set, verified } = await loadCandidatePolicySet(config, positionals[0] as string);
  if (verified === false) io.log('bundle signature not checked (ACTIONGATE_BUNDLE_KEYS is not set); a diff enforces nothing');
  const pool = await connectDatabase(config);
  try {
    const records = await new PgReceiptStore(pool).recentDecisions(last, values.surface === undefined ? {} : { surface: values.surface });
    const diff = diffDecisions(records, set);
    for (const change of diff.changes) {
      io.out(
        `${change.idempotencyKey}  ${change.surface}  ${change.before.outcome} [${change.before.reasons.join(', ')}] -> ${change.after.outcome} [${change.after.reasons.join(', ')}]`,
      );
    }
    io.out(
      `${diff.checked} decisions checked against ${set.digest}${set.version ? ` (${set.version})` : ''}: ${diff.changes.length} would change` +
        (diff.skipped > 0 ? `; ${diff.skipped} gate refusals skipped` : ''),
    );
    return 0;
  } finally {
    await pool.end();
  }
}
