/**
 * Lines of a plain-text table: columns padded to their widest cell, two spaces apart.
 *
 * @example textTable(['key', 'outcome'], [['pay-1', 'PERMIT']]) // ['key    outcome', 'pay-1  PERMIT']
 */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}
