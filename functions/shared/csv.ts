/** One CSV cell for Excel: a leading = + - @ tab or CR is neutralised with ' (no formula injection), quoted when needed. */
export function csvCell(v: string | number): string {
  const s = String(v);
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** An Excel-friendly CSV file: UTF-8 with a BOM (Excel reads it as UTF-8), CRLF line ends. */
export const csvFile = (rows: (string | number)[][]) => `\uFEFF${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
