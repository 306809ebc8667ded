// The explorer's shared state: the open run, its latent means, the anchor the views share, and the
// run list. `openRun(runDir)` is how other views (Train: "Explore this run") bring a run up here.
import type { LatentPart, RunInfo, RunListing, SavedView } from '../../../electron/contract/explorer.ts';
import { app } from '../lib/app.svelte.ts';
import { errorMessage } from '../lib/errors.ts';

export type ExplorerTab = 'embedding' | 'manifold' | 'traversal' | 'style' | 'reconstructions' | 'factors';

export interface Latents {
  means: Float32Array;
  labels: Int32Array;
  indices: Int32Array;
  latent: number;
  count: number;
  total: number;
  capped: boolean;
  modelEpoch: number;
}

export interface Anchor {
  /** Position in the latents list. */
  position: number;
  /** Its latent mean, the code the other views start from. */
  z: Float32Array;
  label: number;
}

/** The Embedding view's layout settings (shared: placing images and saved views use them). */
export interface EmbeddingSettings {
  /** 'plane' = two raw dimensions (`dims`). */
  layout: 'tsne' | 'umap' | 'pca' | 'plane';
  part: LatentPart;
  perplexity: number;
  iterations: number;
  seed: number;
  /** UMAP: neighbours per point, minimum distance, epochs (0 = UMAP's default for the count). */
  neighbours: number;
  minDist: number;
  epochs: number;
  /** The raw layout's x and y dimensions. */
  dims: [number, number];
}

export const DEFAULT_EMBEDDING: EmbeddingSettings = { layout: 'tsne', part: 'all', perplexity: 30, iterations: 1000, seed: 1, neighbours: 15, minDist: 0.1, epochs: 0, dims: [0, 1] };

/** The far end of a walk from the anchor: a test image, or a placed image's code. */
export interface WalkTarget {
  z: Float32Array;
  /** Position in the latents list (a test image), or null (a placed image). */
  position: number | null;
  /** What the UI calls it: "test image #12", "my-digit.png". */
  name: string;
}

export const explorer = $state({
  runs: [] as RunListing[],
  runDir: null as string | null,
  info: null as RunInfo | null,
  opening: false,
  error: '',
  tab: 'embedding' as ExplorerTab,
  anchor: null as Anchor | null,
  /** Manifold and Traversal hold the other dimensions at the anchor's code (else at 0). */
  useAnchor: false,
  /** Bumped when the model changed (a run in training saved a newer one): views fetch again. */
  version: 0,
  embedding: { ...DEFAULT_EMBEDDING } as EmbeddingSettings,
  walkTarget: null as WalkTarget | null,
  neighbours: { k: 8, metric: 'euclidean' as 'euclidean' | 'cosine' },
  walk: { steps: 10, path: 'spherical' as 'linear' | 'spherical' },
  /** Slider positions of the views by name ("manifold.range", "style.values"…): saved views keep them. */
  sliders: {} as Record<string, number | number[]>,
  /** Bumped when a saved view is restored onto the open run: the views start again from the restored state. */
  restored: 0,
  /**
   * Fair VAE runs, "Decode as": the value of the private attribute s every decoded view gives the decoder
   * p(x | z, s), or null for the mixture over s with its training frequencies (the default).
   */
  privateValue: null as number | null,
});

/** Large typed arrays: reactive when replaced, never deep-proxied. */
class RunData {
  latents = $state.raw<Latents | null>(null);
  /** classes × latent mean codes (semi-supervised runs). */
  classMeans = $state.raw<Float32Array | null>(null);
  /** The points the Embedding view shows now (count × 2, its own coordinates), published for the panels and saved views. */
  layoutCoords = $state.raw<Float32Array | null>(null);
  /** The Embedding view's lasso selection (positions in the latents list). */
  selection = $state.raw<Int32Array | null>(null);
  /** Images placed on the map (explorer.place), in the Embedding view's coordinates for `layoutKey`. */
  placed = $state.raw<PlacedImages | null>(null);
}

export interface PlacedImages {
  names: string[];
  count: number;
  means: Float32Array;
  /** count × 2 in the Embedding view's coordinates (the plane's y points down, as it draws). */
  coords: Float32Array;
  /** Which layout they were placed on (embeddingKey): drawn only while that layout is shown. */
  layoutKey: string;
  input: Uint8Array;
  reconstructions: Uint8Array;
  probabilities?: Float32Array;
  /** count × k positions of the nearest test images. */
  neighbours: Int32Array;
  k: number;
  size: number;
  channels: number;
  exact: boolean;
  /** Files that could not be read or were too large, with the reason. */
  skipped: string[];
}

/** Names a layout: placed images belong to the layout they were placed on. */
export function embeddingKey(e: EmbeddingSettings): string {
  if (e.layout === 'plane') return `plane|${e.dims[0]}|${e.dims[1]}`;
  if (e.layout === 'pca') return 'pca';
  if (e.layout === 'umap') return `umap|${e.part}|${e.neighbours}|${e.minDist}|${e.epochs}|${e.seed}`;
  return `tsne|${e.part}|${e.perplexity}|${e.iterations}|${e.seed}`;
}
export const data = new RunData();

let listening = false;

function client() {
  if (!app.client) throw new Error('Not connected to the engine.');
  return app.client;
}

/** Subscribes to the engine's explorer events once. */
export function listenExplorer(): void {
  if (listening || !app.client) return;
  listening = true;
  app.client.on('explorer.runUpdated', async (e) => {
    if (e.runDir !== explorer.runDir) {
      refreshRuns();
      return;
    }
    try {
      const info = await client().request('explorer.open', { runDir: e.runDir });
      if (explorer.runDir !== e.runDir) return; // the user opened another run meanwhile
      explorer.info = info;
      await loadRunData();
      explorer.version++;
    } catch (err) {
      explorer.error = errorMessage(err);
    }
    refreshRuns();
  });
}

export async function refreshRuns(): Promise<void> {
  try {
    explorer.runs = (await client().request('explorer.runs', {})).runs;
  } catch (e) {
    explorer.error = errorMessage(e);
  }
}

async function loadRunData(): Promise<void> {
  const info = explorer.info;
  if (!info?.ready || info.datasetError) {
    data.latents = null;
    data.classMeans = null;
    return;
  }
  const runDir = info.runDir;
  const latents = await client().request('explorer.latents', { runDir });
  const classMeans = info.style ? (await client().request('explorer.classMeans', { runDir })).means : null;
  if (explorer.runDir !== runDir) return;
  data.latents = latents;
  data.classMeans = classMeans;
  // The anchor keeps its image; its code follows the newer model.
  const a = explorer.anchor;
  if (a && a.position < latents.count) {
    explorer.anchor = { ...a, z: latents.means.slice(a.position * latents.latent, (a.position + 1) * latents.latent) };
  }
  const w = explorer.walkTarget;
  if (w && w.position !== null && w.position < latents.count) {
    explorer.walkTarget = { ...w, z: latents.means.slice(w.position * latents.latent, (w.position + 1) * latents.latent) };
  }
}

/** Opens a run in the explorer (and shows the Explore view); with a saved view, restores it there. */
export async function openRun(runDir: string, restore: SavedView | null = null): Promise<void> {
  listenExplorer();
  app.view = 'explore';
  if (explorer.runDir === runDir && explorer.info) {
    if (restore) {
      applySettings(restore);
      applyPositions(restore);
      explorer.restored++;
    }
    return;
  }
  explorer.runDir = runDir;
  explorer.info = null;
  explorer.anchor = null;
  explorer.useAnchor = false;
  explorer.walkTarget = null;
  explorer.embedding = { ...DEFAULT_EMBEDDING };
  explorer.sliders = {};
  explorer.privateValue = null;
  explorer.error = '';
  data.latents = null;
  data.classMeans = null;
  data.layoutCoords = null;
  data.selection = null;
  data.placed = null;
  if (restore) applySettings(restore);
  explorer.opening = true;
  try {
    const info = await client().request('explorer.open', { runDir });
    if (explorer.runDir !== runDir) return;
    explorer.info = info;
    if (explorer.tab === 'style' && !info.style) explorer.tab = 'embedding';
    await loadRunData();
    if (restore && explorer.runDir === runDir) applyPositions(restore);
    explorer.version++;
  } catch (e) {
    if (explorer.runDir === runDir) explorer.error = errorMessage(e);
  } finally {
    if (explorer.runDir === runDir) explorer.opening = false;
  }
}

/** A saved view's settings: before the views mount, so they start from them. */
function applySettings(v: SavedView): void {
  explorer.tab = v.tab as ExplorerTab;
  explorer.embedding = { ...DEFAULT_EMBEDDING, ...v.embedding } as EmbeddingSettings;
  explorer.neighbours = { ...v.neighbours };
  explorer.walk = { ...v.walk };
  explorer.sliders = { ...v.sliders };
  explorer.privateValue = typeof v.privateValue === 'number' ? v.privateValue : null;
}

/** A saved view's anchor, walk, selection and names: once the run's latent means are here. */
function applyPositions(v: SavedView): void {
  const l = data.latents;
  const ok = (p: number | null): p is number => p !== null && !!l && p >= 0 && p < l.count;
  setAnchor(ok(v.anchor) ? v.anchor : null);
  setWalkTarget(ok(v.anchor) && ok(v.walkTarget) ? v.walkTarget : null);
  data.selection = v.selection && l ? Int32Array.from(v.selection.filter((p) => p >= 0 && p < l.count)) : null;
  const info = explorer.info;
  // a value of s the run does not have (a view of another run, an edited link): the mixture
  const values = info?.privateAttribute?.values.length ?? 0;
  if (explorer.privateValue !== null && !(explorer.privateValue >= 0 && explorer.privateValue < values)) explorer.privateValue = null;
  if (info && v.names.length === info.latent && v.names.some((n, i) => n !== info.dimensionNames[i])) void saveNames(v.names).catch((e) => (explorer.error = errorMessage(e)));
}

/** The open run's view as a saved view would keep it (coordinates only when `withCoords`). */
export function currentView(withCoords: boolean): SavedView | null {
  const info = explorer.info;
  if (!info) return null;
  const coords = withCoords && explorer.embedding.layout === 'tsne' ? data.layoutCoords : null;
  return {
    version: 1,
    runDir: info.runDir,
    tab: explorer.tab,
    embedding: { ...explorer.embedding },
    coords: coords ?? null,
    coordsEpoch: coords ? (data.latents?.modelEpoch ?? null) : null,
    anchor: explorer.anchor?.position ?? null,
    walkTarget: explorer.walkTarget?.position ?? null,
    selection: data.selection ? Array.from(data.selection) : null,
    neighbours: { ...explorer.neighbours },
    walk: { ...explorer.walk },
    sliders: $state.snapshot(explorer.sliders) as Record<string, number | number[]>,
    names: [...info.dimensionNames],
    ...(info.privateAttribute ? { privateValue: explorer.privateValue } : {}),
  };
}

/** Saves the open run's view in its folder (the engine writes it atomically). */
export async function saveCurrentView(): Promise<string> {
  const view = currentView(true);
  if (!view) throw new Error('No run is open.');
  return (await client().request('explorer.saveView', { view })).path;
}

/** Opens a run's saved view (from Recent views or the run list). */
export async function openSavedView(runDir: string): Promise<void> {
  listenExplorer();
  const { view } = await client().request('explorer.loadView', { runDir });
  if (!view) throw new Error(`${runDir}: no saved view.`);
  await openRun(runDir, view);
}

/** A slider's saved position, or `fallback` (when absent or of another shape). */
export function sliderValue<T extends number | number[]>(key: string, fallback: T): T {
  const v = explorer.sliders[key];
  if (Array.isArray(fallback)) return (Array.isArray(v) && v.length === fallback.length ? [...v] : fallback) as T;
  return (typeof v === 'number' && Number.isFinite(v) ? v : fallback) as T;
}

export function rememberSlider(key: string, value: number | number[]): void {
  explorer.sliders[key] = Array.isArray(value) ? [...value] : value;
}

export function setAnchor(position: number | null): void {
  const l = data.latents;
  if (position === null || !l) {
    explorer.anchor = null;
    explorer.useAnchor = false;
    return;
  }
  explorer.anchor = { position, z: l.means.slice(position * l.latent, (position + 1) * l.latent), label: l.labels[position] };
  if (explorer.walkTarget?.position === position) explorer.walkTarget = null;
}

/** Makes a test image the far end of the walk from the anchor (shift-click on the map, "Walk to" in the panels). */
export function setWalkTarget(position: number | null): void {
  const l = data.latents;
  if (position === null || !l) {
    explorer.walkTarget = null;
    return;
  }
  explorer.walkTarget = { position, z: l.means.slice(position * l.latent, (position + 1) * l.latent), name: `test image #${position}` };
}

/** The code the other dimensions take: the anchor's, or zeros (the lectures' choice). */
export function baseCode(useAnchor: boolean, classIndex: number | null = null): Float32Array {
  const info = explorer.info!;
  const z = useAnchor && explorer.anchor ? explorer.anchor.z.slice() : new Float32Array(info.latent);
  if (classIndex !== null && info.style && data.classMeans) {
    const L = info.latent;
    for (let j = info.style; j < L; j++) {
      const v = data.classMeans[classIndex * L + j];
      z[j] = Number.isNaN(v) ? 0 : v;
    }
  }
  return z;
}

/** What a fair VAE's decoded views are decoded with, in words ("label = 3", or the mixture). */
export function decodeAsText(info: RunInfo | null, value: number | null): string {
  const a = info?.privateAttribute;
  if (!a) return '';
  return value === null ? `averaged over ${a.name} (training frequencies)` : `${a.name} = ${a.values[value] ?? value}`;
}

/** Dimensions ordered by KL, most informative first. */
export function dimsByKl(info: RunInfo, from = 0, to = info.latent): number[] {
  const dims = Array.from({ length: to - from }, (_, i) => from + i);
  return dims.sort((a, b) => (info.klPerDim[b] ?? 0) - (info.klPerDim[a] ?? 0));
}

export function dimLabel(info: RunInfo, d: number): string {
  const name = info.dimensionNames[d] ?? `z${d + 1}`;
  return `${name} (KL ${(info.klPerDim[d] ?? 0).toFixed(2)})`;
}

/** Saves names for all dimensions and updates the open run's info. */
export async function saveNames(names: string[]): Promise<void> {
  const info = explorer.info;
  if (!info) return;
  const saved = await client().request('explorer.setNames', { runDir: info.runDir, names });
  if (explorer.info?.runDir === info.runDir) explorer.info = { ...explorer.info, dimensionNames: saved.names };
}

/**
 * Latest-wins requests: while one is in flight, only the newest pending call waits; the rest are
 * dropped. A dragged slider never queues up stale decodes.
 */
export function latestOnly<P, R>(fn: (p: P) => Promise<R>, onResult: (r: R, p: P) => void, onError: (e: unknown) => void = (e) => (explorer.error = errorMessage(e))) {
  let busy = false;
  let queued: { p: P } | null = null;
  const run = async (p: P) => {
    busy = true;
    try {
      onResult(await fn(p), p);
    } catch (e) {
      onError(e);
    } finally {
      busy = false;
      if (queued) {
        const next = queued.p;
        queued = null;
        void run(next);
      }
    }
  };
  return (p: P) => {
    if (busy) queued = { p };
    else void run(p);
  };
}
