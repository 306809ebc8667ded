// latent-explorer gif <run> (--dim I | --all | --style I) [options] --out FILE.gif: a traversal GIF of
// one or more latent dimensions (a grid, one row per dimension), or a semi-supervised run's style sweep.
import { extname } from 'node:path';
import type { StyleGifOptions, TraversalGifOptions, WalkOptions } from '../../contract/exports.ts';
import { EXPORT_DEFAULTS, EXPORT_LIMITS } from '../../contract/exports.ts';
import type { ExportSource } from '../../engine/exports/source.ts';
import { formatBytes } from '../../engine/exports/exporter.ts';
import { EXIT_CANCELLED, intOption, numberOption, onePositional, OUT_FLAGS, parseCommand } from '../args.ts';
import { UsageError } from '../errors.ts';
import { createOutput } from '../output.ts';
import { readDirections } from '../../engine/explorer/style-directions-file.ts';
import { dropUndefined, openRun, outputPath, parseDimension, parseImageIndex, runExport } from './_exports.ts';
import { parsePrivateValue, privateAttributeOf } from '../../engine/explorer/private-value.ts';

const TRAVERSAL = EXPORT_DEFAULTS['traversal-gif'];
const WALK = EXPORT_DEFAULTS['walk-png'];

const USAGE = `Usage: latent-explorer gif <run> (--dim I | --all | --style I | --between I,J) [options] --out FILE.gif
  --dim I          sweep dimension I (counted from 1 like z1, z2, ...; or its name); repeat or list (--dim 1,3) for a grid
  --all            sweep every active dimension (test KL above 0.01 nats), one row each
  --style I        semi-supervised runs: sweep style dimension I (or a style direction defined in the app, by name) for every class, side by side
  --between I,J    walk from image I's code to image J's (0-based indices or file names of the run's dataset);
                   --out FILE.png writes the walk as a strip instead of a GIF
  --steps N        codes on the walk, both ends included (default ${TRAVERSAL.frames} for a GIF, as --frames; ${WALK.steps} for a strip)
  --path P         linear or spherical (default ${WALK.path}: the codes keep a typical norm)
  --frames F       frames from -R to +R (default ${TRAVERSAL.frames})
  --delay MS       delay between frames in ms (default ${TRAVERSAL.delayMs})
  --range R        sweep from -R to +R (default ${TRAVERSAL.range})
  --scale S        pixel scale, nearest-neighbour (default ${TRAVERSAL.scale})
  --anchor INDEX   start from this image's posterior mean (0-based image index) instead of the zero vector; repeat for columns
  --no-pingpong    play -R..+R and jump back instead of sweeping back
  --labels, --no-labels  names under the rows (default: on for more than one row)
  --private-value V  fair VAE runs: decode with s = V (a value's name or 0-based index of the private attribute)
                   instead of averaging over s with its training frequencies (with --dim, --all or --between)
  --force          replace FILE.gif if it exists
  --json           progress and the summary as JSON lines`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      dim: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      style: { type: 'string' },
      between: { type: 'string' },
      steps: { type: 'string' },
      path: { type: 'string' },
      frames: { type: 'string' },
      delay: { type: 'string' },
      range: { type: 'string' },
      scale: { type: 'string' },
      anchor: { type: 'string', multiple: true },
      'no-pingpong': { type: 'boolean' },
      labels: { type: 'boolean' },
      'no-labels': { type: 'boolean' },
      'private-value': { type: 'string' },
      ...OUT_FLAGS,
    },
    USAGE,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const runArg = onePositional(positionals, 'gif', 'run folder');
  const modes = [values.dim !== undefined, values.all === true, values.style !== undefined, values.between !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new UsageError(modes === 0 ? 'gif needs --dim I, --all, --style I or --between I,J' : 'use only one of --dim, --all, --style and --between');
  if (values.between === undefined && (values.steps !== undefined || values.path !== undefined)) throw new UsageError('--steps and --path go with --between');
  if (values.labels && values['no-labels']) throw new UsageError('use --labels or --no-labels, not both');
  const force = values.force;
  const strip = values.between !== undefined && values.out !== undefined && extname(values.out).toLowerCase() === '.png';
  const out = outputPath(values.out, strip ? '.png' : '.gif', force, 'gif', runArg);
  const frames = intOption(values, 'frames', EXPORT_LIMITS.frames);
  const delayMs = intOption(values, 'delay', EXPORT_LIMITS.delayMs);
  const range = numberOption(values, 'range', EXPORT_LIMITS.range);
  const scale = intOption(values, 'scale', EXPORT_LIMITS.scale);
  const labels = values.labels ? true : values['no-labels'] ? false : undefined;
  const pingPong = !values['no-pingpong'];

  const source = await openRun(runArg, 'gif');
  const run = source.run;
  // a fair VAE's decoder given one value of s (other models: one line saying it does not apply)
  let privateValue: number | undefined;
  try {
    privateValue = values['private-value'] === undefined ? undefined : parsePrivateValue(values['private-value'], run, source.runDir);
    if (privateValue !== undefined && values.style !== undefined) throw new UsageError('--private-value goes with --dim, --all or --between (a style sweep needs a semi-supervised run)');
  } catch (e) {
    source.loaded.dispose();
    throw e;
  }
  const output = createOutput(values.json);
  let spec: Parameters<typeof runExport>[1];
  if (values.between !== undefined) {
    if (values.anchor || values.range !== undefined || values.labels || values['no-labels']) throw new UsageError('--between takes --steps, --path, --delay, --scale and --no-pingpong (not --anchor, --range or labels)');
    const between = await parseBetween(values.between, source);
    const path = values.path === undefined ? undefined : values.path === 'linear' || values.path === 'spherical' ? values.path : null;
    if (path === null) throw new UsageError(`--path must be linear or spherical (got '${values.path}')`);
    const steps = intOption(values, 'steps', EXPORT_LIMITS.walkSteps) ?? (strip ? undefined : frames ?? TRAVERSAL.frames);
    const options: Partial<WalkOptions> = { between, steps, path, delayMs, scale, pingPong: strip ? false : pingPong, privateValue };
    spec = { kind: strip ? 'walk-png' : 'walk-gif', options: dropUndefined(options) };
  } else if (values.style !== undefined) {
    if (values.anchor) throw new UsageError('--anchor does not apply to --style (each class starts from its prototype)');
    if (run.model.objective !== 'ssvae' || run.model.style < 1) throw new UsageError(`--style needs a semi-supervised run with style dimensions (this run is ${run.model.objective})`);
    // A style dimension (number or name), else a style direction the user defined in the app.
    const directions = readDirections(source.runDir, run.model.style);
    const direction = /^\d+$/.test(values.style.trim()) ? undefined : directions.find((d) => d.name.toLowerCase() === values.style!.trim().toLowerCase());
    let styleDim = 0;
    if (!direction) {
      const known = `style dimensions 1 to ${run.model.style} (${run.dimensionNames.slice(0, run.model.style).join(', ')})${directions.length ? `, or a style direction (${directions.map((d) => d.name).join(', ')})` : ''}`;
      try {
        styleDim = parseDimension(values.style, run, '--style');
      } catch {
        throw new UsageError(`--style '${values.style}': not a style dimension or direction of this run (use ${known})`);
      }
      if (styleDim >= run.model.style) throw new UsageError(`--style ${values.style}: not a style dimension (use ${known})`);
    }
    const options: Partial<StyleGifOptions> = { styleDim, frames, delayMs, range, scale, pingPong, labels, direction: direction ? { name: direction.name, vector: direction.vector } : undefined };
    spec = { kind: 'style-gif', options: dropUndefined(options) };
  } else {
    const dims = values.all ? 'active' : (values.dim ?? []).flatMap((d) => d.split(',')).map((d) => parseDimension(d, run, '--dim'));
    const anchors = (values.anchor ?? []).map((a) => parseImageIndex(a, run, '--anchor'));
    const options: Partial<TraversalGifOptions> = { dims, frames, delayMs, range, scale, pingPong, anchors, labels, privateValue };
    spec = { kind: 'traversal-gif', options: dropUndefined(options) };
  }

  const done = await runExport(source, spec, out, force, output);
  if (!done) return EXIT_CANCELLED;
  const { result, path, seconds } = done;
  const o = result.options as TraversalGifOptions | StyleGifOptions;
  const walk = result.options as WalkOptions;
  const what =
    result.kind === 'walk-gif' || result.kind === 'walk-png'
      ? `${walk.path} walk from image ${walk.between[0]} to image ${walk.between[1]} in ${walk.steps} steps`
      : result.kind === 'style-gif'
      ? `style sweep of ${(o as StyleGifOptions).direction ? `the direction '${(o as StyleGifOptions).direction!.name}'` : run.dimensionNames[(o as StyleGifOptions).styleDim]}`
      : `traversal of ${((o as TraversalGifOptions).dims as number[]).map((d) => run.dimensionNames[d]).join(', ')}`;
  const s = (result.options as { privateValue?: number | null }).privateValue;
  const decodedAs = s === undefined || s === null ? '' : ` decoded with ${privateAttributeOf(run)!.name} = ${privateAttributeOf(run)!.values[s]}`;
  output.result(
    { event: 'done', kind: result.kind, path, width: result.width, height: result.height, frames: result.frames, bytes: result.data!.length, seconds: round(seconds) },
    `Wrote ${path}: ${what}${decodedAs}, ${result.frames} frames of ${result.width}x${result.height} px, ${formatBytes(result.data!.length)} in ${round(seconds)} s`,
  );
  return 0;
}

/** --between I,J: two image indices, or file names (or path endings) of the run's dataset. */
async function parseBetween(text: string, source: ExportSource): Promise<[number, number]> {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length !== 2 || parts.some((p) => p === '')) throw new UsageError(`--between ${text}: give two images, e.g. --between 3,17 or --between a.png,b.png`);
  if (parts.every((p) => /^\d+$/.test(p))) return [parseImageIndex(parts[0], source.run, '--between'), parseImageIndex(parts[1], source.run, '--between')];
  const images = await source.images();
  return parts.map((p) => {
    if (/^\d+$/.test(p)) return parseImageIndex(p, source.run, '--between');
    const exact = images.files.indexOf(p);
    if (exact >= 0) return exact;
    const matches = images.files.flatMap((f, i) => (f.endsWith(`/${p}`) ? [i] : []));
    if (matches.length === 1) return matches[0];
    throw new UsageError(`--between: ${matches.length ? `'${p}' names ${matches.length} images of the run's dataset; give more of its path` : `no image of the run's dataset is called '${p}'`}`);
  }) as [number, number];
}

function round(s: number): number {
  return Math.round(s * 100) / 100;
}
