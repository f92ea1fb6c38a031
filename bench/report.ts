// Percentiles and the text table the benchmark prints.

/** Nearest-rank percentile of `values`; NaN for none. */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank]!;
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export interface TableRow {
  figure: string;
  value: string;
  goal?: string;
  met?: boolean;
}

/** Renders rows as a Markdown table, which reads as plain text too. */
export function renderTable(rows: readonly TableRow[]): string {
  const lines = ['| Figure | Value | Goal | Met |', '| --- | --- | --- | --- |'];
  for (const row of rows) {
    let met = '';
    if (row.met !== undefined) met = row.met ? 'yes' : 'no';
    lines.push(`| ${row.figure} | ${row.value} | ${row.goal ?? ''} | ${met} |`);
  }
  return lines.join('\n');
}
