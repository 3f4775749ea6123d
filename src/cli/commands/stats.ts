import { OUTCOMES } from '../../policy/decision.js';
import { outcomeMix, type OutcomeMix, type SurfaceShift } from '../../stats/outcome-mix.js';
import { OUTCOME_SHIFT_RULE } from '../../stats/outcome-shift-rule.js';
import { countDecisions } from '../../store/decision-counts.js';
import { CliError } from '../cli-error.js';
import type { CommandIo } from '../command-io.js';
import { connectDatabase } from '../connect-lazy.js';
import { environmentHelp, type ActionGateConfig } from '../config.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { parseDuration } from '../parse-duration.js';
import { textTable } from '../text-table.js';

const rule = OUTCOME_SHIFT_RULE;
/** A share as a whole percentage; a small one that is not zero shows as <1%, never 0%. */
const pct = (share: number) => (share > 0 && share < 0.005 ? '<1%' : `${Math.round(share * 100)}%`);

export const STATS_HELP = `Usage: actiongate stats [--surface S] [--since DURATION] [--window DURATION] [--json]

The outcome mix of the gate's decisions from the decision receipts in Postgres: one row per
surface and policy version (the bundle's version label, else the first 12 hex digits of the
policy set's digest), with the number of decisions and each outcome's count and share (PERMIT,
DENY, SILENCE, STEP_UP, and DENY+SILENCE together), over the decisions issued in the last
--since (default 1h; e.g. 30m, 2h, 1d).

Then a line per surface whose outcome mix shifted, by the rule of the outcome-shift alert: its
DENY+SILENCE share over the last --window (default 5m) is at least ${pct(rule.minRecentShare)} and at least
${rule.minRatio}x its share over the rest of the range (its baseline), over at least ${rule.minRecentDecisions} decisions in
the window, e.g.
  SHIFT payments: DENY+SILENCE 41% in the last 5m vs 2% before (20×)
A surface with no decisions before the window has no baseline and is not flagged.

--surface narrows it to one surface. --json prints one JSON object: the range, the rule, the
rows, every surface's window against its baseline ("surfaces", each with "flagged") and the
flagged ones ("shifts"). Read-only. Exit 0 when no shift is flagged, 1 when one is (a cron
check; also for errors such as no database), 2 for usage errors.

${environmentHelp(['database'])}`;

/** `--json` of `actiongate stats`. */
export interface StatsReport extends OutcomeMix {
  range: { from: string; recentFrom: string; to: string; since: string; window: string; surface: string | null };
  rule: typeof OUTCOME_SHIFT_RULE;
  /** The surfaces whose shift is flagged. */
  shifts: SurfaceShift[];
}

/** `actiongate stats`: outcome mix per surface and policy version, and the shifts the alert would flag. */
export async function statsCommand(config: ActionGateConfig, args: string[], io: CommandIo, now: () => Date = () => new Date()): Promise<number> {
  const { values, positionals } = parseCommandArgs('stats', args, {
    surface: { type: 'string' },
    since: { type: 'string' },
    window: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    io.out(STATS_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new CliError('USAGE', `stats takes no arguments, not ${JSON.stringify(positionals[0])}; run actiongate stats --help`);
  const since = values.since ?? '1h';
  const window = values.window ?? '5m';
  const sinceMs = parseDuration('stats: --since', since);
  const windowMs = parseDuration('stats: --window', window);
  if (windowMs === 0) throw new CliError('USAGE', 'stats: --window must be longer than 0');
  if (windowMs >= sinceMs) throw new CliError('USAGE', `stats: --window (${window}) must be shorter than --since (${since}), which holds it and the baseline before it`);
  if (values.surface === '') throw new CliError('USAGE', 'stats: --surface takes a surface name');

  const to = now();
  const range = { from: new Date(to.getTime() - sinceMs), recentFrom: new Date(to.getTime() - windowMs), to };
  const pool = await connectDatabase(config);
  let mix: OutcomeMix;
  try {
    mix = outcomeMix(await countDecisions(pool, { ...range, ...(values.surface === undefined ? {} : { surface: values.surface }) }));
  } finally {
    await pool.end();
  }
  const shifts = mix.surfaces.filter((s) => s.flagged);

  if (values.json) {
    const report: StatsReport = {
      range: { from: range.from.toISOString(), recentFrom: range.recentFrom.toISOString(), to: to.toISOString(), since, window, surface: values.surface ?? null },
      rule,
      ...mix,
      shifts,
    };
    io.out(JSON.stringify(report));
  } else if (mix.rows.length > 0) {
    const header = ['surface', 'policy', 'decisions', ...OUTCOMES, 'DENY+SILENCE'];
    const rows = mix.rows.map((r) => [
      r.surface,
      r.policy,
      String(r.decisions),
      ...OUTCOMES.map((o) => `${r.counts[o]} (${pct(r.shares[o])})`),
      pct(r.refusedShare),
    ]);
    for (const line of textTable(header, rows)) io.out(line);
    for (const shift of shifts) io.out(shiftLine(shift, window));
  }
  const where = values.surface === undefined ? '' : ` on ${values.surface}`;
  if (mix.rows.length === 0) io.log(`no decisions${where} in the last ${since}`);
  else if (shifts.length === 0) io.log(`no outcome shift flagged${where} (DENY+SILENCE in the last ${window} against the rest of the last ${since})`);
  else io.log(`${shifts.length} surface(s) shifted: ${shifts.map((s) => s.surface).join(', ')}`);
  return shifts.length === 0 ? 0 : 1;
}

/**
 * @example shiftLine(shift, '5m') === 'SHIFT payments: DENY+SILENCE 41% in the last 5m vs 2% before (20×)'
 */
export function shiftLine(shift: SurfaceShift, window: string): string {
  const recent = pct(shift.recent.share ?? 0);
  const baseline = pct(shift.baseline.share ?? 0);
  const ratio = shift.ratio === null ? 'none refused before' : `${Number(shift.ratio.toFixed(shift.ratio >= 10 ? 0 : 1))}×`;
  return `SHIFT ${shift.surface}: DENY+SILENCE ${recent} in the last ${window} vs ${baseline} before (${ratio})`;
}
