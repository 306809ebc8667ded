// The Embedding view's exploration requests: nearest neighbours of a point or a code, exact linear
// layouts (PCA, two raw dimensions), and new images placed on the current layout with their codes,
// reconstructions, neighbours and (semi-supervised runs) class probabilities.
import type { ExploreLayout } from '../../contract/explorer.ts';
import { UserError } from '../../contract/errors.ts';
import { interpolate, nearestRows, type Metric } from '../projections/neighbours.ts';
import { applyLinearLayout, pcaLayout, placeOnTsne, rawLayout, type LinearLayout } from '../projections/placement.ts';
import { layoutKey, partColumns, type EmbedSettings } from './embedding.ts';
import { placeOnUmap } from '../projections/umap-placement.ts';
import type { RunSession } from './session.ts';
import { sliceColumns } from './session.ts';
import { asModelSees, imageForRun } from './style-tools.ts';

const MAX_K = 200;
const MAX_PLACED = 2000;
const MAX_WALK_STEPS = 64;

function checkMetric(metric: unknown): Metric {
  if (metric !== 'euclidean' && metric !== 'cosine') throw new UserError(`metric must be euclidean or cosine (got ${JSON.stringify(metric)}).`);
  return metric;
}

/** The k nearest test images (positions in the latents list) of a listed image or of a code. */
export async function neighboursOf(session: RunSession, params: { position?: number; code?: Float32Array; k: number; metric: Metric }): Promise<{ positions: Int32Array; distances: Float32Array }> {
  const e = await session.encode();
  const L = session.latent;
  const metric = checkMetric(params.metric);
  if (!Number.isInteger(params.k) || params.k < 1 || params.k > MAX_K) throw new UserError(`k must be a whole number from 1 to ${MAX_K} (got ${params.k}).`);
  let query: Float32Array;
  let exclude: number[] | undefined;
  if (params.code instanceof Float32Array) {
    if (params.code.length !== L || !params.code.every(Number.isFinite)) throw new UserError(`code must hold ${L} finite values.`);
    query = params.code;
  } else {
    const p = params.position;
    if (!Number.isInteger(p) || p! < 0 || p! >= e.count) throw new UserError(`position ${p} is outside the latents list (0 to ${e.count - 1}).`);
    query = e.means.subarray(p! * L, (p! + 1) * L);
    exclude = [p!];
  }
  const knn = nearestRows(e.means, e.count, query, 1, L, params.k, metric, exclude);
  return { positions: knn.indices, distances: Float32Array.from(knn.distances, (d) => (metric === 'euclidean' ? Math.sqrt(d) : d)) };
}

/** The codes of a walk between two codes (rows of `ends`), linear or spherical, both ends included. */
export function walkCodes(latent: number, params: { ends: Float32Array; steps: number; path: string }): Float32Array {
  const { ends, steps, path } = params;
  if (!(ends instanceof Float32Array) || ends.length !== 2 * latent || !ends.every(Number.isFinite)) throw new UserError(`ends must hold two codes of ${latent} finite values.`);
  if (!Number.isInteger(steps) || steps < 2 || steps > MAX_WALK_STEPS) throw new UserError(`steps must be a whole number from 2 to ${MAX_WALK_STEPS} (got ${steps}).`);
  if (path !== 'linear' && path !== 'spherical') throw new UserError(`path must be linear or spherical (got ${JSON.stringify(path)}).`);
  return interpolate(ends.subarray(0, latent), ends.subarray(latent), steps, path);
}

/** An exact linear layout of the listed test images, and its map (so any code can be placed exactly). */
export async function linearLayout(session: RunSession, layout: ExploreLayout): Promise<{ map: LinearLayout; coords: Float32Array }> {
  const e = await session.encode();
  const L = session.latent;
  let map: LinearLayout;
  if (layout.method === 'pca') {
    if (L < 2) throw new UserError('A PCA layout needs a run with at least 2 latent dimensions.');
    map = pcaLayout(e.means, e.count, L);
  } else if (layout.method === 'raw') {
    const [dx, dy] = layout.dims ?? [0, 1];
    try {
      map = rawLayout(L, dx, dy);
    } catch (error) {
      throw new UserError((error as Error).message);
    }
  } else throw new UserError(`method must be pca or raw for an exact layout (got ${JSON.stringify((layout as { method: unknown }).method)}).`);
  return { map, coords: applyLinearLayout(map, e.means, e.count) };
}

/**
 * Encodes image files with the run's preprocessing and places them on a layout: exactly on PCA and
 * raw layouts, on t-SNE and UMAP from their neighbours then steps with the old points fixed (the
 * layout must have been computed for these settings, by explorer.embed).
 */
export async function placeFiles(session: RunSession, files: { name: string; bytes: Uint8Array }[], layout: ExploreLayout, k: number) {
  if (!Array.isArray(files) || files.length < 1 || files.length > MAX_PLACED) throw new UserError(`files must hold 1 to ${MAX_PLACED} images.`);
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new UserError(`k must be a whole number from 1 to ${MAX_K} (got ${k}).`);
  const e = await session.encode();
  const model = session.requireModel();
  const L = session.latent;
  const per = session.imageSize * session.imageSize * session.channels;
  let training = null;
  try {
    training = (await session.dataset()).images;
  } catch {
    // the data set moved: imageForRun decides the polarity from the run's options
  }
  const pixels = new Uint8Array(files.length * per);
  for (let i = 0; i < files.length; i++) pixels.set(await imageForRun(files[i], session.run, training), i * per);
  const input = asModelSees(session.run, pixels);
  const { means, logVars } = await model.encode(pixels, files.length);
  const reconstructions = await session.decodeWith(model, means, files.length);
  const probabilities = session.run.model.objective === 'ssvae' ? await model.classify(pixels, files.length) : undefined;
  let coords: Float32Array;
  if (layout.method === 'tsne' || layout.method === 'umap') {
    const umap = layout.method === 'umap';
    const settings: EmbedSettings = umap
      ? { method: 'umap', part: layout.part ?? 'all', perplexity: 30, iterations: layout.iterations, seed: layout.seed, neighbours: layout.neighbours ?? 15, minDist: layout.minDist ?? 0.1 }
      : { part: layout.part ?? 'all', perplexity: layout.perplexity, iterations: layout.iterations, seed: layout.seed };
    const map = session.layouts.get(layoutKey(session.version, settings));
    if (!map) throw new UserError(`This ${umap ? 'UMAP' : 't-SNE'} layout is not computed yet for the current model: lay it out first, then place images on it.`);
    const [from, to] = partColumns(session, settings.part);
    const slice = (x: Float32Array, n: number) => (from === 0 && to === L ? x : sliceColumns(x, n, L, from, to));
    const reference = slice(e.means, e.count);
    const fresh = slice(means, files.length);
    coords = umap
      ? placeOnUmap(reference, map, e.count, fresh, files.length, to - from, { neighbours: Math.min(settings.neighbours!, e.count - 1), minDist: settings.minDist, epochs: settings.iterations, seed: settings.seed })
      : placeOnTsne(reference, map, e.count, fresh, files.length, to - from, { perplexity: Math.min(settings.perplexity, Math.max(1, Math.floor((e.count - 1) / 3) - 1)) });
  } else coords = applyLinearLayout((await linearLayout(session, layout)).map, means, files.length);
  const knn = nearestRows(e.means, e.count, means, files.length, L, Math.min(k, e.count));
  return {
    count: files.length,
    names: files.map((f) => f.name),
    means,
    logVars,
    coords,
    input,
    reconstructions,
    probabilities,
    neighbours: knn.indices,
    k: knn.k,
    size: session.imageSize,
    channels: session.channels,
    exact: layout.method === 'pca' || layout.method === 'raw',
  };
}
