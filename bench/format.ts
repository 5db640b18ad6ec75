/** Number formatting shared by the stdout report and the generated docs. */

/** Integer with thousands separators. */
export function int(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Milliseconds with precision that suits their size. */
export function ms(value: number): string {
  return value < 1 ? value.toFixed(3) : value < 10 ? value.toFixed(2) : value.toFixed(1);
}

/** A ratio such as `3.2×`. */
export function times(value: number): string {
  return `${value < 10 ? value.toFixed(2) : value.toFixed(0)}×`;
}

/** A share in [0, 1] as a percentage with one decimal. */
export function pct(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}

/** A signed percentage-point difference. */
export function points(value: number): string {
  const p = value * 100;
  return `${p >= 0 ? '+' : ''}${p.toFixed(1)} pt`;
}

/** A markdown table; cells are escaped for pipes. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const cell = (value: string): string => value.replaceAll('|', '\\|');
  const lines = [
    `| ${header.map(cell).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
  return lines.join('\n');
}
