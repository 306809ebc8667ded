// The explorer's shared state: the open run, its latent means, the anchor the views share, and the
// run list. `openRun(runDir)` is how other views (Train: "Explore this run") bring a run up here.
import type { RunInfo, RunListing } from '../../../electron/contract/explorer.ts';
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
});

/** Large typed arrays: reactive when replaced, never deep-proxied. */
class RunData {
  latents = $state.raw<Latents | null>(null);
  /** classes × latent mean codes (semi-supervised runs). */
  classMeans = $state.raw<Float32Array | null>(null);
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
}

/** Opens a run in the explorer (and shows the Explore view). */
export async function openRun(runDir: string): Promise<void> {
  listenExplorer();
  app.view = 'explore';
  if (explorer.runDir === runDir && explorer.info) return;
  explorer.runDir = runDir;
  explorer.info = null;
  explorer.anchor = null;
  explorer.useAnchor = false;
  explorer.error = '';
  data.latents = null;
  data.classMeans = null;
  explorer.opening = true;
  try {
    const info = await client().request('explorer.open', { runDir });
    if (explorer.runDir !== runDir) return;
    explorer.info = info;
    if (explorer.tab === 'style' && !info.style) explorer.tab = 'embedding';
    await loadRunData();
    explorer.version++;
  } catch (e) {
    if (explorer.runDir === runDir) explorer.error = errorMessage(e);
  } finally {
    if (explorer.runDir === runDir) explorer.opening = false;
  }
}

export function setAnchor(position: number | null): void {
  const l = data.latents;
  if (position === null || !l) {
    explorer.anchor = null;
    explorer.useAnchor = false;
    return;
  }
  explorer.anchor = { position, z: l.means.slice(position * l.latent, (position + 1) * l.latent), label: l.labels[position] };
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
