// The Export button starts from a view's settings: the views' words become the export's options.
import { describe, expect, it } from 'vitest';
import { exportOptionsFromView, fileFilter } from '../../renderer/src/exports/view-options.ts';

describe('export options from a view', () => {
  it('translates the traversal view: steps, fps, its base code', () => {
    const base = Float32Array.from([0.5, 0, 0, 1]);
    expect(exportOptionsFromView('traversal-gif', { dims: [2, 0], steps: 16, fps: 12.5, range: 2.5, base })).toEqual({
      dims: [2, 0],
      frames: 16,
      delayMs: 80,
      range: 2.5,
      bases: base,
    });
    expect(exportOptionsFromView('traversal-gif', { dims: [1], base: null, anchorIndex: 42 })).toEqual({ dims: [1], anchors: [42] });
    // a base code wins over the image it may have come from
    expect(exportOptionsFromView('traversal-gif', { dims: [1], base, anchorIndex: 42 })).toEqual({ dims: [1], bases: base });
  });

  it('translates the manifold and style views', () => {
    expect(exportOptionsFromView('manifold-png', { dims: [0, 3], grid: 12, range: 3, base: null })).toEqual({ dims: [0, 3], n: 12, range: 3 });
    expect(exportOptionsFromView('manifold-png', { dims: [0, 3], anchorIndex: 7 })).toEqual({ dims: [0, 3], anchor: 7 });
    expect(exportOptionsFromView('style-gif', { style: [0.5, -1] })).toEqual({ styleValues: [0.5, -1] });
    const direction = { name: 'slant', vector: [1, 0] };
    expect(exportOptionsFromView('style-gif', { direction })).toEqual({ direction });
  });

  it('passes the export options through, leaving out what is not set', () => {
    const tsne = { coords: new Float32Array(4), indices: [0, 7] };
    expect(exportOptionsFromView('embedding-csv', { tsne })).toEqual({ tsne });
    expect(exportOptionsFromView('embedding-csv', { tsne: null })).toEqual({});
    expect(exportOptionsFromView('reconstructions-png', { count: 24, columns: 12, split: 'train' })).toEqual({ count: 24, columns: 12, split: 'train' });
    expect(exportOptionsFromView('bundle', {})).toEqual({});
  });

  it('offers the file type in the save dialog', () => {
    expect(fileFilter('run-traversal-z1.gif')).toEqual([{ name: 'GIF image', extensions: ['gif'] }]);
    expect(fileFilter('run-model')).toEqual([]);
  });
});
