// The image exports as plans: a layout, how many distinct frames, their display order, and how to
// produce the tiles of any frame. A GIF encodes every frame; a PNG or a preview renders frame 0 only.
import { readFileSync } from 'node:fs';
import type { ManifoldPngOptions, ReconstructionsPngOptions, StyleGifOptions, StyleTransferPngOptions, TraversalGifOptions, WalkOptions } from '../../contract/exports.ts';
import { throwIfCancelled, UserError } from '../../contract/errors.ts';
import { interpolate } from '../projections/neighbours.ts';
import type { GridLayout } from './layout.ts';
import { gridLayout } from './layout.ts';
import { checkOutputSize } from './options.ts';
import type { ExportHooks, ExportSource } from './source.ts';
import { decodeCodes, encodeImages } from './source.ts';
import { classMeanCodes, manifoldCodes } from '../explorer/grids.ts';
import { frameOrder, traversalFrames } from './sweeps.ts';
import { sweepValues } from '../explorer/grids.ts';
import { asModelSees, imageForRun, transferImages } from '../explorer/style-tools.ts';
import { privateOfImages } from '../explorer/private-value.ts';

export interface GridPlan {
  layout: GridLayout;
  /** Distinct frames. */
  frames: number;
  /** Display order (indices into the distinct frames). */
  order: number[];
  delayMs: number;
  /** The tiles of these frames, each in layout order (tileSize² × channels uint8 per tile). */
  tiles(frames: number[], hooks?: ExportHooks, progress?: [number, number]): Promise<Uint8Array[]>;
}

/** Most labelled images per class used for a class's mean code: plenty for a mean, quick to encode. */
const PROTOTYPE_IMAGES_PER_CLASS = 200;

function dimensionLabel(source: ExportSource, d: number): string {
  return source.run.dimensionNames[d] ?? `z${d + 1}`;
}

/** A plan whose frames are decoded from latent codes: `codesFor(frame)` gives one code per tile. */
function decodedPlan(
  source: ExportSource,
  layout: GridLayout,
  frames: number,
  order: number[],
  delayMs: number,
  codesFor: (frame: number) => Float32Array,
  /** A fair VAE's s to decode with (null: the mixture over s). */
  privateValue: number | null = null,
): GridPlan {
  checkOutputSize(layout.width, layout.height, frames);
  return {
    layout,
    frames,
    order,
    delayMs,
    async tiles(which, hooks = {}, progress = [0, 1]) {
      const perFrame = layout.tiles.length;
      const latent = source.loaded.latent;
      const codes = new Float32Array(which.length * perFrame * latent);
      which.forEach((f, i) => codes.set(codesFor(f), i * perFrame * latent));
      const pixels = await decodeCodes(source.loaded, codes, hooks, progress, privateValue);
      const per = perFrame * layout.tileSize * layout.tileSize * layout.channels;
      return which.map((_, i) => pixels.subarray(i * per, (i + 1) * per));
    },
  };
}

/** Base codes: the zero vector, or the posterior means of the anchor images (one per column). */
async function baseCodes(source: ExportSource, anchors: number[], hooks: ExportHooks): Promise<Float32Array> {
  const latent = source.loaded.latent;
  if (anchors.length === 0) return new Float32Array(latent);
  const images = await source.images(hooks.signal);
  for (const a of anchors) if (a >= images.count) throw new UserError(`anchor ${a}: the dataset has ${images.count} images (0 to ${images.count - 1})`);
  return await encodeImages(source.loaded, images, anchors, { signal: hooks.signal });
}

export async function traversalPlan(source: ExportSource, o: TraversalGifOptions, hooks: ExportHooks = {}): Promise<GridPlan> {
  const dims = o.dims as number[];
  const latent = source.loaded.latent;
  const bases = o.bases ?? (await baseCodes(source, o.anchors, hooks));
  const columns = bases.length / latent;
  const { size, channels } = source.run.dataset;
  const layout = await gridLayout({
    rows: dims.length,
    columns,
    tileSize: size,
    channels,
    scale: o.scale,
    gap: dims.length * columns > 1 ? o.scale : 0,
    rowLabels: o.labels ? dims.map((d) => dimensionLabel(source, d)) : undefined,
  });
  return decodedPlan(source, layout, o.frames, frameOrder(o.frames, o.pingPong), o.delayMs, traversalFrames(bases, latent, dims, o.frames, o.range), o.privateValue ?? null);
}

/**
 * A walk between two codes (the posterior means of two images, or codes given directly): a GIF of
 * one tile stepping along the path, or a PNG strip of every step side by side.
 */
export async function walkPlan(source: ExportSource, o: WalkOptions, strip: boolean, hooks: ExportHooks = {}): Promise<GridPlan> {
  const latent = source.loaded.latent;
  const ends = o.ends ?? (await baseCodes(source, o.between, hooks));
  const path = interpolate(ends.subarray(0, latent), ends.subarray(latent, 2 * latent), o.steps, o.path);
  const { size, channels } = source.run.dataset;
  const layout = await gridLayout({ rows: 1, columns: strip ? o.steps : 1, tileSize: size, channels, scale: o.scale, gap: strip ? o.scale : 0 });
  const s = o.privateValue ?? null;
  if (strip) return decodedPlan(source, layout, 1, [0], o.delayMs, () => path, s);
  return decodedPlan(source, layout, o.steps, frameOrder(o.steps, o.pingPong), o.delayMs, (f) => path.slice(f * latent, (f + 1) * latent), s);
}

/** Each class's mean code, from up to PROTOTYPE_IMAGES_PER_CLASS labelled images of the run's dataset. */
async function classPrototypes(source: ExportSource, hooks: ExportHooks): Promise<{ means: Float32Array; counts: Int32Array }> {
  const { model } = source.run;
  const latent = model.latent;
  const classes = model.numClasses;
  const images = await source.images(hooks.signal);
  // Class mean codes from the first labelled images of each class.
  const taken = new Array<number>(classes).fill(0);
  const chosen: number[] = [];
  for (let i = 0; i < images.count; i++) {
    const k = images.labels[i];
    if (k >= 0 && k < classes && taken[k] < PROTOTYPE_IMAGES_PER_CLASS) {
      taken[k]++;
      chosen.push(i);
    }
  }
  if (chosen.length === 0) throw new UserError(`${source.run.dataset.ref}: no labelled images, so the classes of this run cannot be shown`);
  const means = await encodeImages(source.loaded, images, chosen, { signal: hooks.signal });
  const labels = Int32Array.from(chosen, (i) => images.labels[i]);
  return classMeanCodes(means, labels, latent, classes);
}

export async function styleSweepPlan(source: ExportSource, o: StyleGifOptions, hooks: ExportHooks = {}): Promise<GridPlan> {
  const { model } = source.run;
  const latent = model.latent;
  const classes = model.numClasses;
  const { means: classMeans, counts } = await classPrototypes(source, hooks);
  const shown = Array.from({ length: classes }, (_, k) => k).filter((k) => counts[k] > 0);
  const names = source.run.dataset.classNames;
  const { size, channels } = source.run.dataset;
  const layout = await gridLayout({
    rows: 1,
    columns: shown.length,
    tileSize: size,
    channels,
    scale: o.scale,
    gap: o.scale,
    columnLabels: o.labels ? shown.map((k) => names[k] ?? String(k)) : undefined,
  });
  // Each class's mean code with the style part from the sliders (0 by default): the class's typical digit, whose style the sweep changes.
  const bases = new Float32Array(shown.length * latent);
  shown.forEach((k, c) => {
    bases.set(classMeans.subarray(k * latent, (k + 1) * latent), c * latent);
    for (let j = 0; j < model.style; j++) bases[c * latent + j] = o.styleValues?.[j] ?? 0;
  });
  const frames = o.direction ? directionFrames(bases, latent, o.direction.vector, o.frames, o.range) : traversalFrames(bases, latent, [o.styleDim], o.frames, o.range);
  return decodedPlan(source, layout, o.frames, frameOrder(o.frames, o.pingPong), o.delayMs, frames);
}

/** Codes of one frame of a sweep along a z^X vector: every base moved by t·vector, t from −range to range. */
export function directionFrames(bases: Float32Array, latent: number, vector: ArrayLike<number>, steps: number, range: number): (frame: number) => Float32Array {
  const values = sweepValues(range, steps);
  return (frame) => {
    const out = bases.slice();
    for (let c = 0; c < bases.length / latent; c++) for (let j = 0; j < vector.length; j++) out[c * latent + j] += values[frame] * vector[j];
    return out;
  };
}

/** The input image, then its z^X with each class's mean z^Y (classes with no labelled image left out). */
export async function styleTransferPlan(source: ExportSource, o: StyleTransferPngOptions, hooks: ExportHooks = {}): Promise<GridPlan> {
  const { model, dataset } = source.run;
  const { size, channels } = dataset;
  const per = size * size * channels;
  let input: Uint8Array;
  let title = 'input';
  if (o.image !== null) {
    const images = await source.images(hooks.signal);
    if (o.image >= images.count) throw new UserError(`image ${o.image}: the dataset has ${images.count} images (0 to ${images.count - 1})`);
    input = images.pixels.slice(o.image * per, (o.image + 1) * per);
    title = `#${o.image}`;
  } else {
    let bytes = o.bytes ?? null;
    const name = o.file ?? o.fileName ?? 'image';
    if (!bytes) {
      try {
        bytes = readFileSync(o.file!);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new UserError(`${o.file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not an image file' : (e as Error).message}`);
      }
    }
    let training = null;
    try {
      training = await source.images(hooks.signal);
    } catch {
      // the polarity then follows the run's invert option
    }
    input = await imageForRun({ name, bytes }, source.run, training);
  }
  const { means: classMeans, counts } = await classPrototypes(source, hooks);
  const shown = Array.from({ length: model.numClasses }, (_, k) => k).filter((k) => counts[k] > 0);
  const names = dataset.classNames;
  const layout = await gridLayout({
    rows: 1,
    columns: 1 + shown.length,
    tileSize: size,
    channels,
    scale: o.scale,
    gap: o.scale,
    columnLabels: o.labels ? [title, ...shown.map((k) => names[k] ?? String(k))] : undefined,
  });
  checkOutputSize(layout.width, layout.height, 1);
  return {
    layout,
    frames: 1,
    order: [0],
    delayMs: 0,
    async tiles() {
      throwIfCancelled(hooks.signal);
      const t = await transferImages(source.loaded, input, classMeans, model.style, model.numClasses, per);
      const tiles = new Uint8Array((1 + shown.length) * per);
      // The input as the model sees it (the run's binarisation), then the classes.
      tiles.set(asModelSees(source.run, input), 0);
      shown.forEach((k, c) => tiles.set(t.pixels.subarray((1 + k) * per, (2 + k) * per), (1 + c) * per));
      return [tiles];
    },
  };
}

export async function manifoldPlan(source: ExportSource, o: ManifoldPngOptions, hooks: ExportHooks = {}): Promise<GridPlan> {
  const base = o.base ?? (await baseCodes(source, o.anchor === null ? [] : [o.anchor], hooks));
  const { size, channels } = source.run.dataset;
  const layout = await gridLayout({ rows: o.n, columns: o.n, tileSize: size, channels, scale: o.scale, gap: 0 });
  return decodedPlan(source, layout, 1, [0], 0, () => manifoldCodes(source.loaded.latent, o.dims, o.range, o.n, base), o.privateValue ?? null);
}

export async function reconstructionsPlan(source: ExportSource, o: ReconstructionsPngOptions, hooks: ExportHooks = {}): Promise<GridPlan> {
  const images = await source.images(hooks.signal);
  const want = o.split === 'test' ? 1 : 0;
  const chosen: number[] = [];
  for (let i = 0; i < images.count && chosen.length < o.count; i++) if (images.split[i] === want) chosen.push(i);
  if (chosen.length === 0) throw new UserError(`${source.run.dataset.ref}: the ${o.split} split has no images`);
  const columns = Math.min(o.columns, chosen.length);
  const pairRows = Math.ceil(chosen.length / columns);
  const { size, channels } = source.run.dataset;
  const layout = await gridLayout({ rows: 2 * pairRows, columns, tileSize: size, channels, scale: o.scale, gap: o.scale });
  // Input above its reconstruction; a last row of pairs that is not full keeps its empty places empty.
  const positions: GridLayout['tiles'] = [];
  const order: { image: number; recon: boolean }[] = [];
  for (let p = 0; p < pairRows; p++) {
    for (const recon of [false, true]) {
      for (let c = 0; c < columns; c++) {
        const k = p * columns + c;
        if (k >= chosen.length) continue;
        positions.push(layout.tiles[(2 * p + (recon ? 1 : 0)) * columns + c]);
        order.push({ image: k, recon });
      }
    }
  }
  layout.tiles = positions;
  checkOutputSize(layout.width, layout.height, 1);
  const per = size * size * channels;
  return {
    layout,
    frames: 1,
    order: [0],
    delayMs: 0,
    async tiles(_which, hooks2 = {}) {
      const inputs = new Uint8Array(chosen.length * per);
      chosen.forEach((i, k) => inputs.set(images.pixels.subarray(i * per, (i + 1) * per), k * per));
      throwIfCancelled(hooks2.signal);
      // a fair VAE's with each image's own s, as in the Reconstructions view
      const priv = privateOfImages(source.run, images);
      const recons = await source.loaded.reconstruct(inputs, chosen.length, priv ? Int32Array.from(chosen, (i) => priv[i]) : undefined);
      const tiles = new Uint8Array(order.length * per);
      order.forEach(({ image, recon }, t) => tiles.set((recon ? recons : inputs).subarray(image * per, (image + 1) * per), t * per));
      return [tiles];
    },
  };
}
