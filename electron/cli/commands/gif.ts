// latent-explorer gif <run> (--dim I | --all | --style I) [options] --out FILE.gif: a traversal GIF of
// one or more latent dimensions (a grid, one row per dimension), or a semi-supervised run's style sweep.
import type { StyleGifOptions, TraversalGifOptions } from '../../contract/exports.ts';
import { formatBytes } from '../../engine/exports/exporter.ts';
import { EXIT_CANCELLED, intOption, numberOption, onePositional, OUT_FLAGS, parseCommand } from '../args.ts';
import { UsageError } from '../errors.ts';
import { createOutput } from '../output.ts';
import { readDirections } from '../../engine/explorer/style-directions-file.ts';
import { dropUndefined, openRun, outputPath, parseDimension, parseImageIndex, runExport } from './_exports.ts';

const USAGE = `Usage: latent-explorer gif <run> (--dim I | --all | --style I) [options] --out FILE.gif
  --dim I          sweep dimension I (counted from 1 like z1, z2, ...; or its name); repeat or list (--dim 1,3) for a grid
  --all            sweep every active dimension (test KL above 0.01 nats), one row each
  --style I        semi-supervised runs: sweep style dimension I (or a style direction defined in the app, by name) for every class, side by side
  --frames F       frames from -R to +R (default 30)
  --delay MS       delay between frames in ms (default 80)
  --range R        sweep from -R to +R (default 3)
  --scale S        pixel scale, nearest-neighbour (default 4)
  --anchor INDEX   start from this image's posterior mean (0-based image index) instead of the zero vector; repeat for columns
  --no-pingpong    play -R..+R and jump back instead of sweeping back
  --labels, --no-labels  names under the rows (default: on for more than one row)
  --force          replace FILE.gif if it exists
  --json           progress and the summary as JSON lines`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      dim: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      style: { type: 'string' },
      frames: { type: 'string' },
      delay: { type: 'string' },
      range: { type: 'string' },
      scale: { type: 'string' },
      anchor: { type: 'string', multiple: true },
      'no-pingpong': { type: 'boolean' },
      labels: { type: 'boolean' },
      'no-labels': { type: 'boolean' },
      ...OUT_FLAGS,
    },
    USAGE,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const runArg = onePositional(positionals, 'gif', 'run folder');
  const modes = [values.dim !== undefined, values.all === true, values.style !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new UsageError(modes === 0 ? 'gif needs --dim I, --all or --style I' : 'use only one of --dim, --all and --style');
  if (values.labels && values['no-labels']) throw new UsageError('use --labels or --no-labels, not both');
  const force = values.force;
  const out = outputPath(values.out, '.gif', force, 'gif', runArg);
  const frames = intOption(values, 'frames', { min: 2, max: 64 });
  const delayMs = intOption(values, 'delay', { min: 20, max: 10_000 });
  const range = numberOption(values, 'range', { above: 0, max: 20 });
  const scale = intOption(values, 'scale', { min: 1, max: 16 });
  const labels = values.labels ? true : values['no-labels'] ? false : undefined;
  const pingPong = !values['no-pingpong'];

  const source = await openRun(runArg, 'gif');
  const run = source.run;
  const output = createOutput(values.json);
  let spec: Parameters<typeof runExport>[1];
  if (values.style !== undefined) {
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
    const options: Partial<TraversalGifOptions> = { dims, frames, delayMs, range, scale, pingPong, anchors, labels };
    spec = { kind: 'traversal-gif', options: dropUndefined(options) };
  }

  const done = await runExport(source, spec, out, force, output);
  if (!done) return EXIT_CANCELLED;
  const { result, path, seconds } = done;
  const o = result.options as TraversalGifOptions | StyleGifOptions;
  const what =
    result.kind === 'style-gif'
      ? `style sweep of ${(o as StyleGifOptions).direction ? `the direction '${(o as StyleGifOptions).direction!.name}'` : run.dimensionNames[(o as StyleGifOptions).styleDim]}`
      : `traversal of ${((o as TraversalGifOptions).dims as number[]).map((d) => run.dimensionNames[d]).join(', ')}`;
  output.result(
    { event: 'done', kind: result.kind, path, width: result.width, height: result.height, frames: result.frames, bytes: result.data!.length, seconds: round(seconds) },
    `Wrote ${path}: ${what}, ${result.frames} frames of ${result.width}x${result.height} px, ${formatBytes(result.data!.length)} in ${round(seconds)} s`,
  );
  return 0;
}

function round(s: number): number {
  return Math.round(s * 100) / 100;
}
