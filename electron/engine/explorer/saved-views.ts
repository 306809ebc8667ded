// Saved views: what the explorer showed for a run (tab, layout and its t-SNE coordinates, anchor,
// walk, selection, sliders, names), kept in the run folder as view.json so it travels with the run.
// The shipped sample runs are read-only, so theirs go to the data folder's views/. The Recent views
// list (recent-views.json in the data folder) remembers which runs were saved, newest first.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import type { SavedView, SavedViewListing } from '../../contract/explorer.ts';
import { UserError } from '../../contract/errors.ts';
import { writeJsonAtomic } from '../files.ts';
import { dataDir, resourcesDir } from '../paths.ts';
import { layoutKey } from './embedding.ts';
import type { RunSession } from './session.ts';

const RECENT_LIMIT = 12;
const TABS = ['embedding', 'manifold', 'traversal', 'style', 'reconstructions', 'factors'];
/** Coordinates of at most this many points are cached in the file (70,000 points are 560 KB of base64 floats). */
const MAX_COORDS = 2 * 200_000;

function isSampleRun(runDir: string): boolean {
  try {
    return resolve(runDir).startsWith(resolve(resourcesDir()) + sep);
  } catch {
    return false;
  }
}

/** Where a run's view is kept. */
export function viewPath(runDir: string): string {
  return isSampleRun(runDir) ? join(dataDir(), 'views', `${basename(runDir)}.json`) : join(runDir, 'view.json');
}

const recentFile = () => join(dataDir(), 'recent-views.json');

function recentList(): { runDir: string; savedAt: string }[] {
  try {
    const list = JSON.parse(readFileSync(recentFile(), 'utf8'));
    return Array.isArray(list) ? list.filter((e) => typeof e?.runDir === 'string' && typeof e?.savedAt === 'string') : [];
  } catch {
    return [];
  }
}

const num = (v: unknown, name: string, min: number, max: number, whole = false): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (whole && !Number.isInteger(v))) throw new UserError(`view ${name} must be ${whole ? 'a whole number' : 'a number'} from ${min} to ${max} (got ${JSON.stringify(v)}).`);
  return v;
};
const position = (v: unknown, name: string): number | null => (v === null || v === undefined ? null : num(v, name, 0, 1e7, true));

/** Checks a view from the renderer (or a file) and keeps only what a view holds. */
export function checkView(v: SavedView): SavedView {
  if (!v || typeof v !== 'object') throw new UserError('view must be an object.');
  if (typeof v.runDir !== 'string' || !v.runDir) throw new UserError('view runDir must name the run folder.');
  if (!TABS.includes(v.tab)) throw new UserError(`view tab must be one of ${TABS.join(', ')} (got ${JSON.stringify(v.tab)}).`);
  const e = v.embedding ?? ({} as SavedView['embedding']);
  if (!['tsne', 'umap', 'pca', 'plane'].includes(e.layout)) throw new UserError(`view layout must be tsne, umap, pca or plane (got ${JSON.stringify(e.layout)}).`);
  if (!['all', 'style', 'class'].includes(e.part)) throw new UserError(`view part must be all, style or class (got ${JSON.stringify(e.part)}).`);
  const n = v.neighbours ?? { k: 8, metric: 'euclidean' };
  const w = v.walk ?? { steps: 10, path: 'spherical' };
  if (n.metric !== 'euclidean' && n.metric !== 'cosine') throw new UserError('view neighbours metric must be euclidean or cosine.');
  if (w.path !== 'linear' && w.path !== 'spherical') throw new UserError('view walk path must be linear or spherical.');
  const sliders: Record<string, number | number[]> = {};
  for (const [key, value] of Object.entries(v.sliders ?? {})) {
    if (typeof value === 'number' && Number.isFinite(value)) sliders[key] = value;
    else if (Array.isArray(value) && value.length <= 4096 && value.every((x) => typeof x === 'number' && Number.isFinite(x))) sliders[key] = value;
    else throw new UserError(`view slider ${key} must be a number or a list of numbers.`);
  }
  const coords = v.coords instanceof Float32Array && v.coords.length <= MAX_COORDS && v.coords.every(Number.isFinite) ? v.coords : null;
  return {
    version: 1,
    runDir: v.runDir,
    tab: v.tab,
    embedding: {
      layout: e.layout,
      part: e.part,
      perplexity: num(e.perplexity, 'perplexity', 2, 100),
      iterations: num(e.iterations, 'iterations', 50, 5000, true),
      seed: num(e.seed, 'seed', 0, 2 ** 31, true),
      neighbours: e.neighbours === undefined ? 15 : num(e.neighbours, 'UMAP neighbours', 2, 200, true),
      minDist: e.minDist === undefined ? 0.1 : num(e.minDist, 'UMAP minDist', 0, 1),
      epochs: e.epochs === undefined ? 0 : num(e.epochs, 'UMAP epochs', 0, 5000, true),
      dims: Array.isArray(e.dims) && e.dims.length === 2 ? [num(e.dims[0], 'raw x dimension', 0, 4095, true), num(e.dims[1], 'raw y dimension', 0, 4095, true)] : [0, 1],
    },
    coords,
    coordsEpoch: coords && typeof v.coordsEpoch === 'number' ? v.coordsEpoch : null,
    anchor: position(v.anchor, 'anchor'),
    walkTarget: position(v.walkTarget, 'walkTarget'),
    selection: Array.isArray(v.selection) ? v.selection.slice(0, 200_000).map((p) => num(p, 'selection', 0, 1e7, true)) : null,
    neighbours: { k: num(n.k, 'neighbours k', 1, 200, true), metric: n.metric },
    walk: { steps: num(w.steps, 'walk steps', 2, 64, true), path: w.path },
    sliders,
    names: Array.isArray(v.names) ? v.names.slice(0, 4096).map(String) : [],
    // a fair VAE's "Decode as": a value of s, or null for the mixture (checked against the run when the views decode)
    ...(v.privateValue === undefined ? {} : { privateValue: v.privateValue === null ? null : num(v.privateValue, 'privateValue', 0, 1e6, true) }),
  };
}

/** Float32 coordinates as base64 in the JSON file (exact, and a third of the size of decimal text). */
const toBase64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function fromBase64(s: string): Float32Array {
  const bytes = Buffer.from(s, 'base64');
  const out = new Float32Array(Math.floor(bytes.length / 4));
  new Uint8Array(out.buffer).set(bytes.subarray(0, out.length * 4));
  return out;
}

export function saveView(view: SavedView): { path: string; savedAt: string } {
  const v = checkView(view);
  if (!existsSync(join(v.runDir, 'run.json'))) throw new UserError(`${v.runDir}: not a run folder (no run.json).`);
  const savedAt = new Date().toISOString();
  const path = viewPath(v.runDir);
  writeJsonAtomic(path, { ...v, coords: v.coords ? toBase64(v.coords) : null, savedAt });
  const list = [{ runDir: v.runDir, savedAt }, ...recentList().filter((e) => e.runDir !== v.runDir)];
  writeJsonAtomic(recentFile(), list.slice(0, RECENT_LIMIT));
  return { path, savedAt };
}

/** The run's saved view, or null when it has none; a damaged file is an error naming it. */
export function readView(runDir: string): SavedView | null {
  const path = viewPath(runDir);
  if (!existsSync(path)) return null;
  let raw: SavedView & { coords?: unknown };
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UserError(`${path}: not a readable view file (${(error as Error).message}).`);
  }
  const coords = typeof raw.coords === 'string' ? fromBase64(raw.coords) : null;
  try {
    return { ...checkView({ ...raw, runDir, coords }), savedAt: typeof raw.savedAt === 'string' ? raw.savedAt : undefined };
  } catch (error) {
    throw new UserError(`${path}: ${(error as Error).message}`);
  }
}

/**
 * Puts a view's cached t-SNE coordinates into the session's layout cache when they were computed for
 * the model it has now and the same images, so explorer.embed answers at once instead of laying out again.
 */
export async function seedLayoutCache(session: RunSession, view: SavedView): Promise<boolean> {
  const c = view.coords;
  if (!c || view.embedding.layout !== 'tsne' || view.coordsEpoch !== session.modelEpoch) return false;
  const e = await session.encode();
  if (c.length !== 2 * e.count) return false;
  const { part, perplexity, iterations, seed } = view.embedding;
  session.layouts.set(layoutKey(session.version, { part, perplexity, iterations, seed }), c);
  return true;
}

export function recentViews(): SavedViewListing[] {
  const out: SavedViewListing[] = [];
  for (const { runDir, savedAt } of recentList()) {
    try {
      const v = readView(runDir);
      if (v) out.push({ runDir, name: basename(runDir), tab: v.tab, savedAt: v.savedAt ?? savedAt });
    } catch {
      // a damaged or vanished view is left out of the list; opening it says why
    }
  }
  return out;
}
