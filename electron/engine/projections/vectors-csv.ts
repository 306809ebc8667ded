// Vectors in and coordinates out as CSV, for `latent-explorer embed`.
// In: one vector per row, comma-separated; an optional header row; a column named `label` in the
// header holds each row's label (any text). Out: `x,y,label`.
import { csvText } from '../csv.ts';

import { UserError } from '../../contract/errors.ts';

export class VectorsCsvError extends UserError {
  override name = 'VectorsCsvError';
}

export interface VectorsTable {
  /** N x dim, row-major. */
  data: Float32Array;
  n: number;
  dim: number;
  /** One label per row ('' when none), or null when the file has no label column. */
  labels: string[] | null;
  /** Names of the vector columns from the header, or null without a header. */
  columns: string[] | null;
}

/** Splits one CSV line into fields (RFC 4180 quotes; a quoted field cannot span lines here). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new VectorsCsvError('unclosed quote');
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i >= line.length) break;
      if (line[i] !== ',') throw new VectorsCsvError('text after a closing quote');
      i++;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        fields.push(line.slice(i));
        break;
      }
      fields.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
  return fields;
}

const isNumber = (text: string): boolean => text.trim() !== '' && Number.isFinite(Number(text));

/** Parses the text of a vectors file; errors name the line and the reason (the caller adds the file). */
export function parseVectorsCsv(text: string): VectorsTable {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new VectorsCsvError('the file is empty');
  const rows: { line: number; fields: string[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') throw new VectorsCsvError(`line ${i + 1} is empty`);
    try {
      rows.push({ line: i + 1, fields: splitCsvLine(lines[i]) });
    } catch (e) {
      throw new VectorsCsvError(`line ${i + 1}: ${(e as Error).message}`);
    }
  }
  // A header is a first row with something that is not a number.
  const hasHeader = rows[0].fields.some((f) => !isNumber(f));
  let labelColumn = -1;
  let columns: string[] | null = null;
  if (hasHeader) {
    const names = rows[0].fields.map((f) => f.trim());
    labelColumn = names.findIndex((f) => f.toLowerCase() === 'label');
    if (names.findIndex((f, i) => i !== labelColumn && f.toLowerCase() === 'label') >= 0) throw new VectorsCsvError('line 1: more than one label column');
    columns = names.filter((_, i) => i !== labelColumn);
    rows.shift();
    if (rows.length === 0) throw new VectorsCsvError('the file has a header but no vectors');
  }
  const width = hasHeader ? columns!.length + (labelColumn >= 0 ? 1 : 0) : rows[0].fields.length;
  const dim = width - (labelColumn >= 0 ? 1 : 0);
  if (dim < 1) throw new VectorsCsvError('no vector columns (only a label column)');
  const n = rows.length;
  const data = new Float32Array(n * dim);
  const labels = labelColumn >= 0 ? new Array<string>(n) : null;
  for (let r = 0; r < n; r++) {
    const { line, fields } = rows[r];
    if (fields.length !== width) throw new VectorsCsvError(`line ${line}: ${fields.length} values, expected ${width}`);
    let c = 0;
    for (let f = 0; f < width; f++) {
      if (f === labelColumn) {
        labels![r] = fields[f].trim();
        continue;
      }
      const text = fields[f];
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value)) {
        const hint = hasHeader ? '' : ' (a label column needs a header row naming it "label")';
        throw new VectorsCsvError(`line ${line}, column ${f + 1}: '${text.slice(0, 40)}' is not a number${hint}`);
      }
      data[r * dim + c++] = value;
    }
  }
  return { data, n, dim, labels, columns };
}


/** `x,y,label` rows; labels may be omitted (empty column). */
export function formatCoordsCsv(coords: Float32Array, n: number, labels: readonly string[] | null): string {
  const out: string[] = ['x,y,label'];
  for (let i = 0; i < n; i++) {
    out.push(`${coords[2 * i].toPrecision(7)},${coords[2 * i + 1].toPrecision(7)},${labels ? csvText(labels[i] ?? '') : ''}`);
  }
  return out.join('\n') + '\n';
}
