// Export options: defaults, checks with messages a user can act on, and suggested file names.
import { basename } from 'node:path';
import type {
  BundleOptions,
  EmbeddingCsvOptions,
  ExportKind,
  ExportOptionsByKind,
  ManifoldPngOptions,
  ReconstructionsPngOptions,
  StyleGifOptions,
  StyleTransferPngOptions,
  TraversalGifOptions,
  WalkOptions,
} from '../../contract/exports.ts';
import { EXPORT_DEFAULTS, EXPORT_LIMITS as LIMITS } from '../../contract/exports.ts';
import { UserError } from '../../contract/errors.ts';
import type { RunFile } from '../training/run-file.ts';
import { activeDimensions, ACTIVE_KL_NATS } from './sweeps.ts';
import { checkPrivateValue, privateAttributeOf } from '../explorer/private-value.ts';

/** GIF and PNG sides are 16-bit in GIF; beyond this a file is more than any viewer wants anyway. */
const MAX_SIDE = 16_384;
/** Output pixels over all distinct frames: keeps a GIF export within a few hundred MB of memory. */
const MAX_TOTAL_PIXELS = 400_000_000;

function fail(message: string): never {
  throw new UserError(message);
}

function integer(name: string, value: unknown, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) fail(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  return n;
}

function number(name: string, value: unknown, bounds: { min: number; max: number } | { above: number; max: number }): number {
  const n = Number(value);
  const exclusive = 'above' in bounds;
  const min = exclusive ? bounds.above : bounds.min;
  if (!Number.isFinite(n) || (exclusive ? n <= min : n < min) || n > bounds.max)
    fail(`${name} must be a number ${exclusive ? 'above' : 'from'} ${min} ${exclusive ? 'and at most' : 'to'} ${bounds.max} (got ${JSON.stringify(value)})`);
  return n;
}

function bounded(name: string, value: unknown, bounds: { min: number; max: number }): number {
  return integer(name, value, bounds.min, bounds.max);
}

function dimension(name: string, value: unknown, run: RunFile): number {
  const latent = run.model.latent;
  return integer(`${name} (a latent dimension, 0-based; this run has ${latent}: 0 to ${latent - 1})`, value, 0, latent - 1);
}

function imageIndex(name: string, value: unknown, run: RunFile): number {
  return integer(`${name} (an image of the run's dataset, 0-based)`, value, 0, Math.max(0, run.dataset.images - 1));
}

/** Latent codes given directly: a Float32Array of whole codes (at most `max`), finite values; null when absent. */
function codes(name: string, value: unknown, run: RunFile, max: number): Float32Array | null {
  if (value === undefined || value === null) return null;
  const latent = run.model.latent;
  if (!(value instanceof Float32Array) || value.length === 0 || value.length % latent !== 0 || value.length / latent > max)
    fail(`${name} must be a Float32Array of ${max === 1 ? '' : `1 to ${max} codes of `}${latent} values`);
  if (!value.every(Number.isFinite)) fail(`${name} holds a value that is not a finite number`);
  return value;
}

function boolean(value: unknown, fallback: boolean): boolean {
  return value === undefined ? fallback : Boolean(value);
}

/** The options with defaults filled in and every value checked against the run (runDir names it in messages). */
export function resolveOptions<K extends ExportKind>(kind: K, given: Partial<ExportOptionsByKind[K]> | undefined, run: RunFile, runDir = run.dataset.ref): ExportOptionsByKind[K] {
  const o = { ...EXPORT_DEFAULTS[kind], ...(given ?? {}) } as Record<string, unknown>;
  const scale = () => bounded('scale', o.scale, LIMITS.scale);
  // a fair VAE's decoded exports: the value of s to decode with, or the mixture over s (null)
  const privateValue = () => {
    const value = checkPrivateValue(run, runDir, o.privateValue);
    return value === undefined ? {} : { privateValue: value };
  };
  switch (kind) {
    case 'traversal-gif': {
      let dims: number[];
      if (o.dims === 'active') {
        dims = activeDimensions(run);
        if (dims.length === 0) fail(`no dimension of this run is active (every test KL is at most ${ACTIVE_KL_NATS} nats): name the dimensions to sweep`);
      } else {
        if (!Array.isArray(o.dims) || o.dims.length === 0) fail("dims must be 'active' or a list of latent dimensions");
        dims = o.dims.map((d) => dimension('dimension', d, run));
        if (new Set(dims).size !== dims.length) fail(`dims lists a dimension twice (${dims.join(', ')})`);
      }
      const anchors = Array.isArray(o.anchors) ? o.anchors.map((a) => imageIndex('anchor', a, run)) : [];
      if (anchors.length > LIMITS.anchors.max) fail(`at most ${LIMITS.anchors.max} anchors (got ${anchors.length})`);
      const bases = codes('bases', o.bases, run, LIMITS.anchors.max);
      const r: TraversalGifOptions = {
        dims,
        frames: bounded('frames', o.frames, LIMITS.frames),
        delayMs: bounded('delay (ms)', o.delayMs, LIMITS.delayMs),
        range: number('range', o.range, LIMITS.range),
        pingPong: boolean(o.pingPong, true),
        anchors,
        bases,
        scale: scale(),
        // Names under the rows of a grid; a single dimension's GIF is just the image unless asked.
        labels: boolean((given as Partial<TraversalGifOptions> | undefined)?.labels, dims.length > 1),
        ...privateValue(),
      };
      return r as ExportOptionsByKind[K];
    }
    case 'style-gif': {
      if (run.model.objective !== 'ssvae' || run.model.style < 1)
        fail(`style sweeps need a semi-supervised run with style dimensions (this run is ${run.model.objective})`);
      const r: StyleGifOptions = {
        styleDim: integer(`style dimension (0 to ${run.model.style - 1})`, o.styleDim, 0, run.model.style - 1),
        frames: bounded('frames', o.frames, LIMITS.frames),
        delayMs: bounded('delay (ms)', o.delayMs, LIMITS.delayMs),
        range: number('range', o.range, LIMITS.range),
        pingPong: boolean(o.pingPong, true),
        scale: scale(),
        labels: boolean(o.labels, true),
        styleValues: null,
      };
      if (Array.isArray(o.styleValues)) {
        if (o.styleValues.length !== run.model.style) fail(`styleValues must hold the ${run.model.style} style values (got ${o.styleValues.length})`);
        r.styleValues = o.styleValues.map((v) => number('a style value', v, { min: -LIMITS.range.max, max: LIMITS.range.max }));
      }
      const d = o.direction as StyleGifOptions['direction'];
      if (d) {
        if (typeof d.name !== 'string' || !Array.isArray(d.vector) || d.vector.length !== run.model.style || !d.vector.every(Number.isFinite))
          fail(`a style direction needs a name and ${run.model.style} finite values (one per style dimension)`);
        r.direction = { name: d.name, vector: d.vector.map(Number) };
      } else r.direction = null;
      return r as ExportOptionsByKind[K];
    }
    case 'style-transfer-png': {
      if (run.model.objective !== 'ssvae' || run.model.style < 1)
        fail(`style transfer needs a semi-supervised run with style dimensions (this run is ${run.model.objective})`);
      const bytes = o.bytes instanceof Uint8Array && o.bytes.length ? o.bytes : null;
      const file = typeof o.file === 'string' && o.file ? o.file : null;
      const image = o.image === null || o.image === undefined ? null : imageIndex('image', o.image, run);
      const given = [bytes, file, image].filter((v) => v !== null).length;
      if (given !== 1) fail(given === 0 ? 'style transfer needs an image: a dataset image, a file, or its bytes' : 'give one image: a dataset image, a file or its bytes, not several');
      const r: StyleTransferPngOptions = {
        image,
        file,
        bytes,
        fileName: typeof o.fileName === 'string' ? o.fileName : null,
        scale: scale(),
        labels: boolean(o.labels, true),
      };
      return r as ExportOptionsByKind[K];
    }
    case 'manifold-png': {
      if (run.model.latent < 2) fail('a manifold grid needs a run with at least 2 latent dimensions');
      if (!Array.isArray(o.dims) || o.dims.length !== 2) fail('dims must name two latent dimensions, e.g. 0,1');
      const dims = [dimension('first dimension', o.dims[0], run), dimension('second dimension', o.dims[1], run)] as [number, number];
      if (dims[0] === dims[1]) fail(`the two dimensions must differ (got ${dims[0]} twice)`);
      const r: ManifoldPngOptions = {
        dims,
        n: bounded('n (images per side)', o.n, LIMITS.gridSide),
        range: number('range', o.range, LIMITS.range),
        scale: scale(),
        anchor: o.anchor === null || o.anchor === undefined ? null : imageIndex('anchor', o.anchor, run),
        base: codes('base', o.base, run, 1),
        ...privateValue(),
      };
      return r as ExportOptionsByKind[K];
    }
    case 'walk-gif':
    case 'walk-png': {
      if (o.path !== 'linear' && o.path !== 'spherical') fail(`path must be 'linear' or 'spherical' (got ${JSON.stringify(o.path)})`);
      const ends = codes('ends', o.ends, run, 2);
      if (ends && ends.length !== 2 * run.model.latent) fail(`ends must hold two codes of ${run.model.latent} values`);
      if (!ends && (!Array.isArray(o.between) || o.between.length !== 2)) fail('between must name two images, e.g. 3,17');
      const between = (ends ? [0, 0] : [imageIndex('first image', (o.between as unknown[])[0], run), imageIndex('second image', (o.between as unknown[])[1], run)]) as [number, number];
      const r: WalkOptions = {
        between,
        ends,
        steps: bounded('steps', o.steps, LIMITS.walkSteps),
        path: o.path,
        delayMs: bounded('delay (ms)', o.delayMs, LIMITS.delayMs),
        pingPong: boolean(o.pingPong, kind === 'walk-gif'),
        scale: scale(),
        ...privateValue(),
      };
      return r as ExportOptionsByKind[K];
    }
    case 'reconstructions-png': {
      if (o.split !== 'train' && o.split !== 'test') fail(`split must be 'train' or 'test' (got ${JSON.stringify(o.split)})`);
      const r: ReconstructionsPngOptions = {
        count: bounded('count', o.count, LIMITS.reconstructions),
        columns: bounded('columns', o.columns, LIMITS.reconstructionColumns),
        split: o.split,
        scale: scale(),
      };
      return r as ExportOptionsByKind[K];
    }
    case 'embedding-csv': {
      const tsne = o.tsne as EmbeddingCsvOptions['tsne'];
      if (tsne) {
        if (!(tsne.coords instanceof Float32Array) || tsne.coords.length % 2 !== 0) fail('t-SNE coordinates must be a Float32Array of x,y pairs');
        const k = tsne.coords.length / 2;
        if (tsne.indices && tsne.indices.length !== k) fail(`t-SNE: ${k} coordinate pairs but ${tsne.indices.length} image indices`);
      }
      if (tsne?.method !== undefined && !['tsne', 'umap', 'pca', 'raw'].includes(tsne.method)) fail(`layout must be tsne, umap, pca or raw (got ${JSON.stringify(tsne.method)})`);
      const rows = o.rows as EmbeddingCsvOptions['rows'];
      if (rows !== undefined && rows !== null) {
        if (!(rows instanceof Int32Array || Array.isArray(rows)) || rows.length < 1) fail('rows must list at least one image index');
        for (const i of Array.from(rows)) if (!Number.isInteger(i) || i < 0) fail(`rows: ${i} is not an image index`);
      }
      return { tsne: tsne ?? null, ...(rows ? { rows } : {}) } as ExportOptionsByKind[K];
    }
    case 'bundle': {
      if (o.format !== 'zip' && o.format !== 'folder') fail(`format must be 'zip' or 'folder' (got ${JSON.stringify(o.format)})`);
      return { format: o.format } as BundleOptions as ExportOptionsByKind[K];
    }
  }
  return fail(`unknown export kind '${String(kind)}'`);
}

/** Checks an output of this size can be written at all. */
export function checkOutputSize(width: number, height: number, frames: number): void {
  if (width > MAX_SIDE || height > MAX_SIDE) fail(`the image would be ${width} x ${height} px (at most ${MAX_SIDE} per side): lower the scale or the count`);
  if (width * height * frames > MAX_TOTAL_PIXELS)
    fail(`the GIF would hold ${frames} frames of ${width} x ${height} px, too much to encode: fewer frames, dimensions or a lower scale`);
}

function slug(text: string): string {
  return text.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').toLowerCase() || 'dim';
}

/** A file (or folder) name that says what is in it, e.g. `20250101-120000-vae-2d-traversal-z1.gif`. */
export function suggestedFileName<K extends ExportKind>(kind: K, options: ExportOptionsByKind[K], run: RunFile, runDir: string): string {
  // a fair VAE decoded with one value of s says which (e.g. …-s-thin.png); the mixture adds nothing
  const s = (options as { privateValue?: number | null }).privateValue;
  const name = suggestedName(kind, options, run, runDir);
  if (s === undefined || s === null) return name;
  const value = slug(privateAttributeOf(run)?.values[s] ?? String(s));
  return name.replace(/(\.[a-z]+)$/, `-s-${value}$1`);
}

function suggestedName<K extends ExportKind>(kind: K, options: ExportOptionsByKind[K], run: RunFile, runDir: string): string {
  const base = basename(runDir.replace(/[\\/]+$/, '')) || 'run';
  const name = (d: number) => slug(run.dimensionNames[d] ?? `z${d}`);
  switch (kind) {
    case 'traversal-gif': {
      const o = options as TraversalGifOptions;
      const dims = o.dims as number[];
      return `${base}-traversal-${dims.length === 1 ? name(dims[0]) : `${dims.length}-dims`}.gif`;
    }
    case 'style-gif': {
      const o = options as StyleGifOptions;
      return `${base}-style-${o.direction ? slug(o.direction.name) : name(o.styleDim)}.gif`;
    }
    case 'style-transfer-png': {
      const o = options as StyleTransferPngOptions;
      const what = o.image !== null ? `image-${o.image}` : slug(basename(o.file ?? o.fileName ?? 'file').replace(/\.[^.]*$/, ''));
      return `${base}-style-of-${what}.png`;
    }
    case 'manifold-png': {
      const o = options as ManifoldPngOptions;
      return `${base}-manifold-${name(o.dims[0])}-${name(o.dims[1])}.png`;
    }
    case 'reconstructions-png':
      return `${base}-reconstructions-${(options as ReconstructionsPngOptions).split}.png`;
    case 'walk-gif':
    case 'walk-png': {
      const o = options as WalkOptions;
      const ends = o.ends ? 'codes' : `${o.between[0]}-${o.between[1]}`;
      return `${base}-walk-${ends}-${o.path}.${kind === 'walk-gif' ? 'gif' : 'png'}`;
    }
    case 'embedding-csv':
      return (options as ExportOptionsByKind['embedding-csv']).rows ? `${base}-selection.csv` : `${base}-embedding.csv`;
    case 'bundle':
      return (options as BundleOptions).format === 'zip' ? `${base}-model.zip` : `${base}-model`;
  }
  return `${base}-export`;
}
