// Exports never replace a file by accident, also where the check and the write race and on file
// systems without hard links: node:fs's linkSync is replaced here to act as those cases do.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What linkSync does: 'race' (the target appears first), 'race-EPERM' (appears, then no links), an errno code to throw, or null. */
let linkBehaviour: string | null = null;
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  const linkSync: typeof fs.linkSync = (existing, target) => {
    if (linkBehaviour?.startsWith('race')) fs.writeFileSync(target, 'written by someone else meanwhile');
    if (linkBehaviour === 'race-EPERM') throw Object.assign(new Error('EPERM: link not supported'), { code: 'EPERM' });
    if (linkBehaviour && linkBehaviour !== 'race') throw Object.assign(new Error(`${linkBehaviour}: link not supported`), { code: linkBehaviour });
    return fs.linkSync(existing, target);
  };
  return { ...fs, linkSync, default: { ...fs, linkSync } };
});
const { OutputExistsError, writeOutputFile } = await import('../../electron/engine/exports/write.ts');

let root: string;
let n = 0;
const fresh = () => mkdtempSync(join(root, `case-${++n}-`));
beforeAll(() => (root = mkdtempSync(join(tmpdir(), 'le-links-'))));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writeOutputFile where hard links fail', () => {
  it('a file that appears between the check and the write is kept, and the export refused', () => {
    const dir = fresh();
    linkBehaviour = 'race';
    expect(() => writeOutputFile(join(dir, 'a.gif'), 'ours', false)).toThrow(OutputExistsError);
    expect(readFileSync(join(dir, 'a.gif'), 'utf8')).toBe('written by someone else meanwhile');
    expect(readdirSync(dir)).toEqual(['a.gif']); // no temporary file left
  });

  it.each(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'])('without hard links (%s) it writes by rename and still refuses to replace', (code) => {
    const dir = fresh();
    linkBehaviour = code;
    expect(writeOutputFile(join(dir, 'a.gif'), 'one', false)).toBe(join(dir, 'a.gif'));
    expect(readFileSync(join(dir, 'a.gif'), 'utf8')).toBe('one');
    expect(readdirSync(dir)).toEqual(['a.gif']);
    expect(() => writeOutputFile(join(dir, 'a.gif'), 'two', false)).toThrow(OutputExistsError);
    expect(readFileSync(join(dir, 'a.gif'), 'utf8')).toBe('one');
  });

  it('without hard links, a file that appears meanwhile is still not replaced', () => {
    const dir = fresh();
    linkBehaviour = 'race-EPERM';
    expect(() => writeOutputFile(join(dir, 'a.gif'), 'ours', false)).toThrow(OutputExistsError);
    expect(readFileSync(join(dir, 'a.gif'), 'utf8')).toBe('written by someone else meanwhile');
    expect(readdirSync(dir)).toEqual(['a.gif']);
  });

  it('another link failure is reported as it is, and leaves no temporary file', () => {
    const dir = fresh();
    linkBehaviour = 'EIO';
    expect(() => writeOutputFile(join(dir, 'a.gif'), 'ours', false)).toThrow(/EIO/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
