// "Copy link": the view goes into the address's fragment and comes back the same; the access token
// (in the page's query) and the cached coordinates never go into the link.
import { describe, expect, it } from 'vitest';
import { viewFromHash, viewLink } from '../../renderer/src/explorer/view-link.ts';
import type { SavedView } from '../../electron/contract/explorer.ts';

const view: SavedView = {
  version: 1,
  runDir: '/home/ana/.latent-explorer/runs/20260101-ssvae ü',
  tab: 'style',
  embedding: { layout: 'tsne', part: 'class', perplexity: 25, iterations: 500, seed: 4 },
  coords: new Float32Array([1, 2, 3, 4]),
  coordsEpoch: 7,
  anchor: 3,
  walkTarget: 9,
  selection: [1, 2],
  neighbours: { k: 5, metric: 'cosine' },
  walk: { steps: 12, path: 'linear' },
  sliders: { 'style.values': [0.5, -1.25], 'manifold.range': 2 },
  names: ['slant', 'width'],
};

describe('view links', () => {
  it('carry the view in the fragment, without the token or the coordinates, and read back the same', () => {
    const link = viewLink(view, { origin: 'http://127.0.0.1:5173', pathname: '/' });
    expect(link.startsWith('http://127.0.0.1:5173/#view=')).toBe(true);
    expect(link).not.toMatch(/token/);
    expect(link).not.toContain('?');
    const back = viewFromHash(new URL(link).hash)!;
    const { coords: _c, coordsEpoch: _e, ...rest } = view;
    expect(back).toEqual(rest);
    expect(back.coords).toBeUndefined();
  });

  it('read nothing from other fragments or damaged ones', () => {
    expect(viewFromHash('')).toBeNull();
    expect(viewFromHash('#section')).toBeNull();
    expect(viewFromHash('#view=not-base64-json!')).toBeNull();
    expect(viewFromHash('#view=' + btoa(JSON.stringify({ version: 2, runDir: 'x', tab: 'style', embedding: {} })))).toBeNull();
  });
});
