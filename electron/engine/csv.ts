// Writing CSV cells that people open in spreadsheets.

/** RFC 4180 quoting: fields with a comma, quote or line break are quoted, quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * A text cell (a label, a file name): quoted as csvField, and guarded against formula injection — a
 * spreadsheet runs a cell that starts with = + - @ (or tab, CR) as a formula, so such a cell gets a
 * leading apostrophe (OWASP's advice) and shows as text. A cell that is a plain number ('-1.5') is
 * no formula and stays as it is.
 */
export function csvText(value: string): string {
  const risky = /^[=+\-@\t\r]/.test(value) && !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value);
  return csvField(risky ? `'${value}` : value);
}
