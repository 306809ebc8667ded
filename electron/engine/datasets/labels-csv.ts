// labels.csv at the top of a folder: `file,label` rows that override folder names, for some or all
// images. `file` is a path relative to the folder, or a bare file name when that name is unique.
import type { LabelsCsvReport } from './types.ts';

export interface LabelRow {
  file: string;
  label: string;
  line: number;
}

export const LABELS_CSV = 'labels.csv';

const FILE_HEADERS = new Set(['file', 'filename', 'file_name', 'path', 'image', 'name']);
const LABEL_HEADERS = new Set(['label', 'class', 'category', 'labels']);

/** RFC 4180 fields of one line (quoted fields may contain the delimiter and doubled quotes). */
export function splitLine(line: string, delimiter: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (ch === delimiter) {
      fields.push(field.trim());
      field = '';
    } else field += ch;
  }
  fields.push(field.trim());
  return fields;
}

export function parseLabelsCsv(text: string): { rows: LabelRow[]; invalid: number } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const first = lines.find((l) => l.trim() !== '') ?? '';
  // Spreadsheets in some locales write ';'; tab-separated files happen too.
  const delimiter = first.includes(',') ? ',' : first.includes(';') ? ';' : first.includes('\t') ? '\t' : ',';
  const rows: LabelRow[] = [];
  let invalid = 0;
  let headerChecked = false;
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const fields = splitLine(line, delimiter);
    if (!headerChecked) {
      headerChecked = true;
      if (fields.length >= 2 && FILE_HEADERS.has(fields[0].toLowerCase()) && LABEL_HEADERS.has(fields[1].toLowerCase())) return;
    }
    if (fields.length < 2 || fields[0] === '') {
      invalid++;
      return;
    }
    rows.push({ file: fields[0], label: fields[1], line: index + 1 });
  });
  return { rows, invalid };
}

/**
 * Matches rows to the folder's images. Returns the label per image path (relative, '/' separated)
 * for rows with a non-empty label, and a report of what matched.
 */
export function matchLabels(rows: LabelRow[], invalid: number, imagePaths: string[]): { labels: Map<string, string>; report: LabelsCsvReport } {
  const byPath = new Set(imagePaths);
  const byName = new Map<string, string | null>(); // null = ambiguous name
  for (const path of imagePaths) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    byName.set(name, byName.has(name) ? null : path);
  }
  const labels = new Map<string, string>();
  const report: LabelsCsvReport = { rows: rows.length, applied: 0, unmatched: 0, unmatchedExamples: [], invalid };
  for (const row of rows) {
    const file = row.file.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/^\/+/, '');
    const path = byPath.has(file) ? file : !file.includes('/') ? byName.get(file) ?? null : null;
    if (!path) {
      report.unmatched++;
      if (report.unmatchedExamples.length < 5) report.unmatchedExamples.push(row.file);
      continue;
    }
    if (row.label === '') continue; // a row may list a file without labelling it
    labels.set(path, row.label);
    report.applied++;
  }
  return { labels, report };
}
