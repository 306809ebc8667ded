// The engine's open datasets: reused by training and the views, re-imported when the user opens a
// folder again (it may have changed), and bounded in number.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createContext } from '../../electron/engine/context.ts';
import { Workspace } from '../../electron/engine/workspace.ts';

let root: string;
const digit = (file: string, x: number) =>
  sharp({ create: { width: 28, height: 28, channels: 3, background: '#000' } })
    .composite([{ input: { create: { width: 6, height: 6, channels: 3, background: '#fff' } }, left: x, top: 10 }])
    .png()
    .toFile(file);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'le-workspace-'));
  process.env.LATENT_EXPLORER_DATA = join(root, 'data');
  for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) {
    mkdirSync(join(root, name, 'ones'), { recursive: true });
    mkdirSync(join(root, name, 'twos'), { recursive: true });
    await digit(join(root, name, 'ones', '1.png'), 2);
    await digit(join(root, name, 'twos', '2.png'), 12);
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const workspace = new Workspace();
const getDataset: Workspace['getDataset'] = (...args) => workspace.getDataset(...args);

describe('workspace', () => {
  it('reuses an opened dataset, also by the options it resolved to', async () => {
    const first = await getDataset(join(root, 'a'));
    expect(await getDataset(join(root, 'a'))).toBe(first);
    expect(await getDataset(join(root, 'a'), first.summary.options)).toBe(first);
  });

  it('opening again (fresh) sees a file added since', async () => {
    const before = await getDataset(join(root, 'b'));
    expect(before.summary.images).toBe(2);
    await digit(join(root, 'b', 'ones', '3.png'), 5);
    expect((await getDataset(join(root, 'b'))).summary.images).toBe(2); // reused as it is
    const again = await getDataset(join(root, 'b'), {}, {}, true);
    expect(again.summary.images).toBe(3);
    expect(await getDataset(join(root, 'b'))).toBe(again); // the fresh one replaces the old
  });

  it('keeps at most three datasets open, dropping the least recently used', async () => {
    const a = await getDataset(join(root, 'a'));
    await getDataset(join(root, 'b'));
    await getDataset(join(root, 'c'));
    await getDataset(join(root, 'a')); // a is used again: b is now the oldest
    await getDataset(join(root, 'd'));
    expect(await getDataset(join(root, 'a'))).toBe(a);
    const b = await getDataset(join(root, 'b'));
    expect(b.summary.fromCache).toBe(true); // opened again, from the disk cache
  });

  it("one caller's Cancel stops only its own wait; the import stops when every caller has cancelled", async () => {
    const first = new AbortController();
    const second = new AbortController();
    const mine = getDataset(join(root, 'e'), {}, { signal: first.signal }, true);
    const theirs = getDataset(join(root, 'e'), {}, { signal: second.signal });
    first.abort();
    await expect(mine).rejects.toMatchObject({ name: 'AbortError' });
    expect((await theirs).summary.images).toBe(2);

    const only = new AbortController();
    const cancelled = getDataset(join(root, 'f'), {}, { signal: only.signal }, true);
    only.abort();
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' });
    // The import itself stopped: nothing was cached, so the next open imports from the files.
    const next = await getDataset(join(root, 'f'));
    expect(next.summary.fromCache).toBe(false);
  });

  it('two engines in one process share no open datasets', async () => {
    const ours = await getDataset(join(root, 'a'));
    const other = createContext(() => {});
    const theirs = await other.datasets.getDataset(join(root, 'a'));
    expect(theirs).not.toBe(ours);
    expect(theirs.summary.images).toBe(ours.summary.images);
    expect(other.datasets).not.toBe(createContext(() => {}).datasets);
  });
});
