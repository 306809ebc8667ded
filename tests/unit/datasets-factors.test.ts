// Known factors read with a folder: factors.csv (or extra labels.csv columns) becomes factor columns
// aligned with the images; the report lists each factor's values and every bad cell by its line.
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../electron/engine/datasets/open.ts';
import { parseFactors } from '../../electron/engine/datasets/factors-csv.ts';
import { buildDigitFolder, snapshotFolder, tempDir } from './helpers/fixtures-datasets.ts';

const dataDir = tempDir('data');
process.env.LATENT_EXPLORER_DATA = dataDir;
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const images = ['a/1.png', 'a/2.png', 'b/3.png', 'b/4.png'];

describe('parseFactors', () => {
  it('reads numeric and categorical columns, matched by path or unique name, with value counts', () => {
    const csv = 'file,slant,pen\na/1.png,0.5,thin\n2.png,-0.25,thick\nb/3.png,1e-1,thin\nnot-there.png,3,thin\n';
    const parsed = parseFactors(csv, 'factors.csv', images)!;
    expect(parsed.columns.map((c) => [c.name, c.kind])).toEqual([['slant', 'numeric'], ['pen', 'categorical']]);
    expect([...parsed.columns[0].values]).toEqual([0.5, -0.25, Math.fround(0.1), NaN]);
    expect(parsed.columns[1].categories).toEqual(['thick', 'thin']);
    expect([...parsed.columns[1].values]).toEqual([1, 0, 1, NaN]);
    expect(parsed.report).toMatchObject({ source: 'factors.csv', rows: 4, matched: 3, unmatched: 1, unmatchedExamples: ['not-there.png'], badCellCount: 0 });
    expect(parsed.report.factors[1]).toMatchObject({ name: 'pen', kind: 'categorical', present: 3, missing: 1, counts: { thick: 1, thin: 2 } });
    expect(parsed.report.factors[0]).toMatchObject({ min: -0.25, max: 0.5, distinct: 3 });
  });

  it('reports bad cells with their line and column and keeps the rest', () => {
    const csv = ['file,slant,width', 'a/1.png,0.1,3', 'a/2.png,abc,4', 'b/3.png,0.3,', 'b/4.png,NA,5', 'a/1.png,0.9,9', 'b/4.png,1,2,3'].join('\n');
    const { columns, report } = parseFactors(csv, 'factors.csv', images)!;
    expect(report.badCells).toEqual([
      { row: 6, column: '', value: 'a/1.png', reason: 'a second row for this image (first on line 2); ignored' },
      { row: 7, column: '', value: 'b/4.png,1,2,3', reason: '4 fields, the header has 3' },
      { row: 3, column: 'slant', value: 'abc', reason: 'not a number' },
    ]);
    expect(report.badCellCount).toBe(3);
    expect([...columns[0].values]).toEqual([Math.fround(0.1), NaN, Math.fround(0.3), NaN]); // bad, empty and NA cells are missing
    expect([...columns[1].values]).toEqual([3, 4, NaN, 5]);
  });

  it('says what is wrong with a file without a header, and reads extra labels.csv columns', () => {
    const noHeader = parseFactors('a/1.png,0.1\n', 'factors.csv', images)!;
    expect(noHeader.columns).toEqual([]);
    expect(noHeader.report.badCells[0]).toMatchObject({ row: 1, reason: expect.stringMatching(/must name the columns, starting with 'file'/) });
    expect(parseFactors('file,label\na/1.png,x\n', 'labels.csv', images)).toBeNull();
    const extra = parseFactors('file,label,size\na/1.png,x,3\n', 'labels.csv', images)!;
    expect(extra.columns.map((c) => c.name)).toEqual(['size']);
    expect(extra.columns[0].values[0]).toBe(3);
  });

  it('leaves out identifier-like categorical columns', () => {
    const paths = Array.from({ length: 150 }, (_, i) => `x${i}.png`);
    const csv = ['file,id,group', ...paths.map((p, i) => `${p},id${i},g${i % 3}`)].join('\n');
    const { columns, report } = parseFactors(csv, 'factors.csv', paths)!;
    expect(columns.map((c) => c.name)).toEqual(['group']);
    expect(report.badCells[0]).toMatchObject({ column: 'id', reason: expect.stringMatching(/150 distinct values/) });
  });
});

describe('a folder with factors.csv', () => {
  it('opens with factors aligned to its images, without modifying the folder; a changed factors.csv is read again', async () => {
    const root = tempDir('factors');
    await buildDigitFolder(root, 12, 3, 16);
    const first = await openDataset(root, { size: 16, channels: 1 });
    const files = first.images.files;
    writeFileSync(join(root, 'factors.csv'), ['file,order', ...files.map((f, i) => `${f},${i}`)].join('\n'));
    const before = snapshotFolder(root);
    const opened = await openDataset(root, { size: 16, channels: 1 });
    expect(opened.images.factors?.map((f) => f.name)).toEqual(['order']);
    expect([...opened.images.factors![0].values]).toEqual(files.map((_, i) => i));
    expect(opened.summary.factors).toMatchObject({ source: 'factors.csv', rows: files.length, matched: files.length });
    expect(opened.summary.ignoredFiles).toBe(first.summary.ignoredFiles); // factors.csv is not counted as an ignored file
    expect(snapshotFolder(root)).toEqual(before);

    writeFileSync(join(root, 'factors.csv'), ['file,order', ...files.map((f, i) => `${f},${2 * i}`)].join('\n'));
    const again = await openDataset(root, { size: 16, channels: 1 });
    expect(again.images.factors![0].values[3]).toBe(6);
  });
});
