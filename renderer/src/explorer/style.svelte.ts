// The style tools' shared state for the open semi-supervised run: the style report (KL, leakage,
// measure correlations per style dimension), the user's saved style directions, and the two groups of
// test images the Embedding view's lasso collects for a new direction.
import type { StyleDimensionReport, StyleDirection, StyleGroup } from '../../../electron/contract/style.ts';
import { STYLE_ACTIVE_KL, STYLE_LEAK_THRESHOLD } from '../../../electron/contract/style.ts';
import { app } from '../lib/app.svelte.ts';
import { errorMessage } from '../lib/errors.ts';
import { explorer } from './state.svelte.ts';

export { STYLE_ACTIVE_KL, STYLE_LEAK_THRESHOLD };

class StyleState {
  /** Report of the run and model version it belongs to. */
  report = $state.raw<StyleDimensionReport[] | null>(null);
  reportKey = '';
  loading = $state(false);
  error = $state('');
  directions = $state.raw<StyleDirection[]>([]);
  directionsRun = $state('');
  /** Lassoed test images (positions in the latents list) for a new direction's groups A and B. */
  groupA = $state.raw<Int32Array | null>(null);
  groupB = $state.raw<Int32Array | null>(null);
  groupsRun = $state('');
}
export const style = new StyleState();

function client() {
  if (!app.client) throw new Error('Not connected to the engine.');
  return app.client;
}

/** Fetches the style report of the open run once per model (the engine caches it too). */
export async function loadStyleReport(): Promise<void> {
  const info = explorer.info;
  if (!info?.style || !info.ready) return;
  const key = `${info.runDir}|${explorer.version}`;
  if (style.reportKey === key && (style.report || style.loading)) return;
  style.reportKey = key;
  style.report = null;
  style.loading = true;
  style.error = '';
  try {
    const r = await client().request('style.report', { runDir: info.runDir });
    if (style.reportKey === key) style.report = r.dims;
  } catch (e) {
    if (style.reportKey === key) style.error = errorMessage(e);
  } finally {
    if (style.reportKey === key) style.loading = false;
  }
}

export async function loadDirections(): Promise<void> {
  const info = explorer.info;
  if (!info?.style) return;
  const runDir = info.runDir;
  const r = await client().request('style.directions', { runDir });
  if (explorer.info?.runDir === runDir) {
    style.directions = r.directions;
    style.directionsRun = runDir;
  }
}

/** Directions of the open run (empty while another run's are loaded). */
export function runDirections(): StyleDirection[] {
  return style.directionsRun === explorer.info?.runDir ? style.directions : [];
}

export function setGroup(which: 'a' | 'b', positions: Int32Array | null): void {
  const runDir = explorer.info?.runDir ?? '';
  if (style.groupsRun !== runDir) {
    style.groupA = null;
    style.groupB = null;
    style.groupsRun = runDir;
  }
  if (which === 'a') style.groupA = positions;
  else style.groupB = positions;
}

export function runGroups(): { a: Int32Array | null; b: Int32Array | null } {
  return style.groupsRun === explorer.info?.runDir ? { a: style.groupA, b: style.groupB } : { a: null, b: null };
}

export async function defineDirection(name: string, a: StyleGroup, b: StyleGroup, replace = false): Promise<StyleDirection> {
  const info = explorer.info!;
  const r = await client().request('style.defineDirection', { runDir: info.runDir, name, a, b, replace });
  if (explorer.info?.runDir === info.runDir) {
    style.directions = r.directions;
    style.directionsRun = info.runDir;
  }
  return r.direction;
}

export async function deleteDirection(name: string): Promise<void> {
  const info = explorer.info!;
  const r = await client().request('style.deleteDirection', { runDir: info.runDir, name });
  if (explorer.info?.runDir === info.runDir) style.directions = r.directions;
}

/** "12%" with a leak flag's words. */
export function leakText(leakage: number): string {
  return `${Math.round(100 * leakage)}%`;
}

/** Files chosen in an <input type=file> as the engine takes them. */
export async function readFiles(list: FileList | null): Promise<{ name: string; bytes: Uint8Array }[]> {
  if (!list) return [];
  return Promise.all(Array.from(list, async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
}
