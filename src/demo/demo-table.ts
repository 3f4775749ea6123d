import type { DemoRow } from './run-demo.js';

/**
 * A plain-text table of the demo's rows, for a terminal; then, for each action that waited for
 * operators, its receipts and what each operator's signed answer did.
 */
export function renderDemoTable(rows: DemoRow[]): string {
  const header = ['#', 'action', 'surface', 'actor', 'outcome', 'reasons', 'dispatched?', 'decision', 'done'];
  const body = rows.map((r) => [
    String(r.step),
    r.title,
    r.surface,
    r.actor,
    r.outcome === r.expected ? r.outcome : `${r.outcome} (expected ${r.expected})`,
    r.reasons.join(', '),
    dispatched(r),
    `${Math.round(r.decisionMs)} ms`,
    `${Math.round(r.doneMs)} ms`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const table = [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
  const operatorSteps = rows.filter((r) => r.operators).map(renderOperators);
  return operatorSteps.length === 0 ? table : [table, ...operatorSteps].join('\n\n');
}

function dispatched(row: DemoRow): string {
  if (row.newCalls === 0 && row.callsForKey > 0) return `no (answered from the first; ${row.callsForKey} call in all)`;
  if (row.newCalls === 0) return 'no';
  return row.newCalls === 1 ? 'yes, once' : `yes, ${row.newCalls} calls`;
}

/** Step N: the decision receipt, each operator's answer, the approval or override receipt, the outcome receipt. */
function renderOperators(row: DemoRow): string {
  const report = row.operators;
  if (!report) return '';
  const decisionOutcome = row.outcome.split(' → ')[0] ?? row.outcome;
  const waitsFor = report.kind === 'approval' ? 'approval' : 'break-glass';
  const lines = [
    `#${row.step} ${row.title}: the agent was answered ${decisionOutcome} in ${Math.round(row.decisionMs)} ms; ` +
      (report.needs ? `the action waited for ${waitsFor} by ${report.needs} (until ${report.until})` : 'it did not wait for operators'),
  ];
  const entries: Array<[string, string]> = [[`decision receipt`, `${row.receipts?.decision ?? '(none)'}  ${decisionOutcome}  ${row.reasons.join(', ')}`]];
  for (const answer of report.answers) entries.push([`${answer.operatorId} signs ${answer.verdict}`, answer.said]);
  if (report.resolution) {
    const by = report.resolution.operators.length > 0 ? ` by ${report.resolution.operators.join(', ')}` : '';
    entries.push([`${report.kind} receipt`, `${report.resolution.receiptId ?? '(none)'}  ${report.resolution.outcome}  ${report.resolution.reasons.join(', ')}${by}`]);
  }
  if (row.receipts) entries.push(['outcome receipt', `${row.receipts.outcome ?? '(none)'}  dispatch ${row.receipts.dispatch}`]);
  if (report.searchAttribute) {
    const loud =
      report.kind === 'override' && report.resolution?.outcome === 'PERMIT' ? '; the worker logs a break_glass_used warning (the WARN line above)' : '';
    entries.push(['ActionOperators', `${report.searchAttribute}${loud}`]);
  }
  if (report.problem) entries.push(['PROBLEM', report.problem]);
  const width = Math.max(...entries.map(([label]) => label.length));
  for (const [label, text] of entries) lines.push(`  ${label.padEnd(width)}  ${text}`);
  return lines.join('\n');
}
