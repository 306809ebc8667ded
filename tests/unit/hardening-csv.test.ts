// CSV exports open in spreadsheets: a text cell that starts with = + - @ would run as a formula
// (formula injection), so such cells get a leading apostrophe; numbers stay numbers.
import { describe, expect, it } from 'vitest';
import { embeddingTableCsv } from '../../electron/engine/exports/embedding-table.ts';
import { formatCoordsCsv, parseVectorsCsv } from '../../electron/engine/projections/vectors-csv.ts';
import { csvText } from '../../electron/engine/csv.ts';

const hostile = ["=cmd|' /C calc'!A0", '+1+1', '-2+3', '@SUM(A1:A9)', '\t=1', '\r=1'];

describe('CSV formula-injection guard', () => {
  it('prefixes text cells starting with = + - @ (or tab, CR) with an apostrophe, keeps numbers and plain text', () => {
    expect(hostile.map(csvText)).toEqual(["'=cmd|' /C calc'!A0", "'+1+1", "'-2+3", "'@SUM(A1:A9)", "'\t=1", `"'\r=1"`]);
    expect(csvText('-1.5')).toBe('-1.5');
    expect(csvText('+3')).toBe('+3');
    expect(csvText('cat')).toBe('cat');
    expect(csvText('a,b')).toBe('"a,b"');
    expect(csvText('=a,b')).toBe(`"'=a,b"`);
  });

  it('guards the labels and file names of the embedding table', () => {
    const table = embeddingTableCsv({
      images: { count: 2, files: ['=HYPERLINK("http://x")', 'ok.png'], labels: Int32Array.from([0, 1]), classNames: ['@evil', '-1'], split: Uint8Array.from([0, 1]) },
      means: Float32Array.from([-0.5, 0.25, 1, -2]),
      latent: 2,
    });
    const lines = table.csv.trim().split('\n');
    expect(lines[1]).toBe(`0,"'=HYPERLINK(""http://x"")",'@evil,train,-0.5,0.25`);
    expect(lines[2]).toBe('1,ok.png,-1,test,1,-2');
  });

  it('guards the labels of `embed` output, which round-trip through its own reader', () => {
    const csv = formatCoordsCsv(Float32Array.from([1, -1, 2, 3]), 2, ['=1+1', 'seven']);
    expect(csv.split('\n')[1]).toBe("1.000000,-1.000000,'=1+1");
    expect(parseVectorsCsv(csv).labels).toEqual(["'=1+1", 'seven']);
  });
});
