// The thumbnail grid's pixel source: rows in view are fetched first, then the rows ahead of the
// scroll (so a fling finds them ready), in long runs; nothing outside those is fetched.
import { describe, expect, it } from 'vitest';
import { geometry, layoutGroups, ThumbnailSource, visibleItems, type VisibleRow } from '../../renderer/src/dataset/thumbnails.ts';
import type { DatasetImages, DatasetImagesQuery } from '../../electron/contract/datasets.ts';

const groups = [{ label: 'a', name: 'a', count: 10_000 }];
const geo = geometry(28, 800);
const layout = layoutGroups(groups, geo);
const rowsIn = (from: number, to: number) => visibleItems(groups, layout, geo, from, to).filter((i): i is VisibleRow => i.kind === 'row');

function source() {
  const asked: Omit<DatasetImagesQuery, 'ref' | 'options'>[] = [];
  let settle = () => {};
  const idle = () => new Promise<void>((r) => (settle = r));
  const src = new ThumbnailSource(
    groups,
    async (q) => {
      asked.push(q);
      const count = q.count!;
      return { pixels: new Uint8Array(count * 28 * 28), count, size: 28, channels: 1, indices: new Int32Array(count), files: Array(count).fill('f'), total: 10_000 } satisfies DatasetImages;
    },
    () => settle(),
  );
  return { src, asked, idle };
}

describe('ThumbnailSource', () => {
  it('fetches the rows in view first, then the rows ahead, and no others', async () => {
    const { src, asked, idle } = source();
    const visible = rowsIn(20_000, 20_900);
    const ahead = rowsIn(19_550, 22_700);
    let changes = idle();
    src.want(visible, ahead);
    await changes;
    expect(asked[0].start).toBe(visible[0].start);
    for (;;) {
      if (ahead.every((r) => src.get(r.key))) break;
      changes = idle();
      await changes;
    }
    expect(visible.every((r) => src.get(r.key)?.count === r.count)).toBe(true);
    const fetched = asked.reduce((n, q) => n + q.count!, 0);
    expect(fetched).toBe(ahead.reduce((n, r) => n + r.count, 0));
    expect(asked.length).toBeLessThanOrEqual(3); // long runs, not a request per row
  });
});
