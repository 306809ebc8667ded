// Known factors of variation for a folder: factors.csv at its top (`file`, then one column per
// factor, numeric or categorical), or the columns after `file,label` in labels.csv. Each column
// becomes a FactorColumn aligned with the dataset's images; the report names what was found, the
// value counts, and every bad cell with its line number. Nothing here ever fails an import.
import type { FactorBadCell, FactorColumn, FactorsReport, FactorSummary } from '../../contract/factors.ts';
import { splitLine } from './labels-csv.ts';

export const FACTORS_CSV = 'factors.csv';

const FILE_HEADERS = new Set(['file', 'filename', 'file_name', 'path', 'image', 'name']);
const LABEL_HEADERS = new Set(['label', 'class', 'category', 'labels']);
/** Cells read as "no value" rather than as bad numbers. */
const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '-', '?']);
/** A column is numeric when more than this share of its non-missing cells are numbers; the others are bad cells. */
const NUMERIC_SHARE = 0.5;
/** Categorical columns with more distinct values are identifiers, not factors: left out (and reported). */
export const MAX_CATEGORIES = 100;
const MAX_LISTED_BAD_CELLS = 50;
const COUNTS_MAX_LEVELS = 20;

export interface ParsedFactors {
  columns: FactorColumn[];
  report: FactorsReport;
}

function parseNumber(cell: string): number | null {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(cell)) return null;
  const n = Number(cell);
  return Number.isFinite(n) ? n : null;
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/**
 * Reads factor columns from CSV text for the images `imagePaths` (relative, '/'-separated, the
 * dataset's order). `source` says which file it is: for labels.csv the first two columns
 * (file, label) are skipped and only a file with a header and more columns yields factors.
 * Returns null when the file holds no factor column.
 */
export function parseFactors(text: string, source: FactorsReport['source'], imagePaths: string[]): ParsedFactors | null {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== '');
  if (headerIndex < 0) return null;
  const first = lines[headerIndex];
  const delimiter = first.includes(',') ? ',' : first.includes(';') ? ';' : first.includes('\t') ? '\t' : ',';
  const header = splitLine(first, delimiter);
  const badCells: FactorBadCell[] = [];
  let badCellCount = 0;
  const bad = (cell: FactorBadCell) => {
    badCellCount++;
    if (badCells.length < MAX_LISTED_BAD_CELLS) badCells.push(cell);
  };
  const hasFileHeader = FILE_HEADERS.has(header[0]?.toLowerCase() ?? '');
  let firstFactor = 1;
  if (source === 'labels.csv') {
    if (!hasFileHeader || !LABEL_HEADERS.has(header[1]?.toLowerCase() ?? '') || header.length < 3) return null;
    firstFactor = 2;
  } else if (!hasFileHeader) {
    const report = emptyReport(source);
    bad({ row: headerIndex + 1, column: '', value: header[0] ?? '', reason: `the first line must name the columns, starting with 'file' (got '${header[0] ?? ''}')` });
    return { columns: [], report: { ...report, badCells, badCellCount } };
  }
  // Column names: unique, and never empty.
  const seen = new Set<string>();
  const names = header.slice(firstFactor).map((raw, k) => {
    let name = raw || `column ${firstFactor + k + 1}`;
    for (let n = 2; seen.has(name); n++) name = `${raw || `column ${firstFactor + k + 1}`} (${n})`;
    seen.add(name);
    return name;
  });
  if (names.length === 0) return null;

  // Match rows to images (a path relative to the folder, or a bare file name when it is unique).
  const byPath = new Map(imagePaths.map((p, i) => [p, i]));
  const byName = new Map<string, number | null>();
  imagePaths.forEach((path, i) => {
    const name = path.slice(path.lastIndexOf('/') + 1);
    byName.set(name, byName.has(name) ? null : i);
  });
  const cells: { line: number; image: number; fields: string[] }[] = [];
  const taken = new Map<number, number>();
  let rows = 0;
  let unmatched = 0;
  const unmatchedExamples: string[] = [];
  for (let li = headerIndex + 1; li < lines.length; li++) {
    if (lines[li].trim() === '') continue;
    rows++;
    const fields = splitLine(lines[li], delimiter);
    const line = li + 1;
    if (fields.length > header.length) {
      bad({ row: line, column: '', value: lines[li].slice(0, 80), reason: `${fields.length} fields, the header has ${header.length}` });
      continue;
    }
    const file = (fields[0] ?? '').replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/^\/+/, '');
    const image = byPath.get(file) ?? (!file.includes('/') ? byName.get(file) ?? undefined : undefined);
    if (image === undefined || image === null) {
      unmatched++;
      if (unmatchedExamples.length < 5) unmatchedExamples.push(fields[0] ?? '');
      continue;
    }
    if (taken.has(image)) {
      bad({ row: line, column: '', value: fields[0], reason: `a second row for this image (first on line ${taken.get(image)}); ignored` });
      continue;
    }
    taken.set(image, line);
    cells.push({ line, image, fields: fields.slice(firstFactor) });
  }

  const count = imagePaths.length;
  const columns: FactorColumn[] = [];
  const summaries: FactorSummary[] = [];
  names.forEach((name, k) => {
    const raw = cells.map((c) => (c.fields[k] ?? '').trim());
    const present = raw.filter((v) => !MISSING.has(v.toLowerCase()));
    const numbers = present.filter((v) => parseNumber(v) !== null).length;
    const values = new Float32Array(count).fill(NaN);
    if (present.length > 0 && numbers > NUMERIC_SHARE * present.length) {
      cells.forEach((c, r) => {
        if (MISSING.has(raw[r].toLowerCase())) return;
        const n = parseNumber(raw[r]);
        if (n === null) bad({ row: c.line, column: name, value: raw[r], reason: 'not a number' });
        else values[c.image] = n;
      });
      columns.push({ name, kind: 'numeric', values });
    } else {
      const categories = [...new Set(present)].sort(collator.compare);
      if (categories.length > MAX_CATEGORIES) {
        bad({ row: headerIndex + 1, column: name, value: name, reason: `${categories.length} distinct values: an identifier rather than a factor, not used` });
        return;
      }
      const index = new Map(categories.map((c, i) => [c, i]));
      cells.forEach((c, r) => {
        if (!MISSING.has(raw[r].toLowerCase())) values[c.image] = index.get(raw[r])!;
      });
      columns.push({ name, kind: 'categorical', values, categories });
    }
  });
  for (const column of columns) summaries.push(summarise(column));
  return {
    columns,
    report: { source, rows, matched: cells.length, unmatched, unmatchedExamples, factors: summaries, badCells, badCellCount },
  };
}

function emptyReport(source: FactorsReport['source']): FactorsReport {
  return { source, rows: 0, matched: 0, unmatched: 0, unmatchedExamples: [], factors: [], badCells: [], badCellCount: 0 };
}

/** Present and missing values, distinct values and, for few of them, their counts. */
export function summarise(column: FactorColumn): FactorSummary {
  const counts = new Map<number, number>();
  let present = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of column.values) {
    if (!Number.isFinite(v)) continue;
    present++;
    counts.set(v, (counts.get(v) ?? 0) + 1);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const summary: FactorSummary = { name: column.name, kind: column.kind, present, missing: column.values.length - present, distinct: counts.size };
  if (column.kind === 'categorical' || counts.size <= COUNTS_MAX_LEVELS) {
    const keys = [...counts.keys()].sort((a, b) => a - b);
    summary.counts = Object.fromEntries(keys.map((v) => [column.kind === 'categorical' ? column.categories![v] : String(v), counts.get(v)!]));
  }
  if (column.kind === 'numeric' && present > 0) {
    // float32 values printed as the numbers the file held
    summary.min = Number(min.toPrecision(7));
    summary.max = Number(max.toPrecision(7));
  }
  return summary;
}
