import type { DemoRow } from './run-demo.js';

/** A plain-text table of the demo's rows, for a terminal. */
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
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

function dispatched(row: DemoRow): string {
  if (row.newCalls === 0 && row.callsForKey > 0) return `no (answered from the first; ${row.callsForKey} call in all)`;
  if (row.newCalls === 0) return 'no';
  return row.newCalls === 1 ? 'yes, once' : `yes, ${row.newCalls} calls`;
}
