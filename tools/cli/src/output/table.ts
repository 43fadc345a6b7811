export type Align = 'left' | 'right';

export interface Column {
  header: string;
  align?: Align;
}

/** Visible width of a cell (ANSI colour codes excluded). */
function width(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

function pad(text: string, size: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, size - width(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** A plain-text table: a header row, a rule, then the rows; columns two spaces apart. */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  options: { footer?: readonly string[] } = {},
): string {
  const all = options.footer ? [...rows, options.footer] : rows;
  const widths = columns.map((column, i) => Math.max(width(column.header), ...all.map((row) => width(row[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    columns
      .map((column, i) => pad(cells[i] ?? '', widths[i] ?? 0, column.align ?? 'left'))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [line(columns.map((c) => c.header)), rule, ...rows.map(line)];
  if (options.footer) out.push(rule, line(options.footer));
  return out.join('\n');
}
