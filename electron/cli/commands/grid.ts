// latent-explorer grid <run> --dims I,J [options] --out FILE.png: the manifold grid of two latent
// dimensions as a PNG (or, with --reconstructions, inputs above their reconstructions).
import { resolve } from 'node:path';
import type { ManifoldPngOptions, ReconstructionsPngOptions, StyleTransferPngOptions } from '../../contract/exports.ts';
import { EXPORT_DEFAULTS, EXPORT_LIMITS } from '../../contract/exports.ts';
import { formatBytes } from '../../engine/exports/exporter.ts';
import { choiceOption, EXIT_CANCELLED, intOption, numberOption, onePositional, OUT_FLAGS, parseCommand } from '../args.ts';
import { UsageError } from '../errors.ts';
import { createOutput } from '../output.ts';
import { dropUndefined, openRun, outputPath, parseDimension, parseImageIndex, runExport } from './_exports.ts';
import { parsePrivateValue } from '../../engine/explorer/private-value.ts';

const MANIFOLD = EXPORT_DEFAULTS['manifold-png'];
const RECONSTRUCTIONS = EXPORT_DEFAULTS['reconstructions-png'];

const USAGE = `Usage: latent-explorer grid <run> --dims I,J [options] --out FILE.png
       latent-explorer grid <run> --style-of IMAGE [--scale S] --out FILE.png
  --dims I,J         the horizontal and vertical dimension (counted from 1 like z1, z2, ...; or names)
  --n N              images per side (default ${MANIFOLD.n})
  --range R          the grid spans -R..+R in both dimensions (default ${MANIFOLD.range}, as in the Manifold view)
  --scale S          pixel scale, nearest-neighbour (default ${MANIFOLD.scale})
  --anchor INDEX     other dimensions from this image's posterior mean (0-based image index) instead of 0
  --private-value V  fair VAE runs: decode the manifold with s = V (a value's name or 0-based index of the private
                     attribute) instead of averaging over s with its training frequencies
  --style-of IMAGE   instead (semi-supervised runs): the image file's style (z^X) rendered in every class, after the image itself
  --reconstructions  instead: test images above their reconstructions (--count N, default ${RECONSTRUCTIONS.count}; --columns C, default ${RECONSTRUCTIONS.columns}; --split test|train)
  --force            replace FILE.png if it exists
  --json             the summary as JSON`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      dims: { type: 'string' },
      n: { type: 'string' },
      range: { type: 'string' },
      scale: { type: 'string' },
      anchor: { type: 'string' },
      reconstructions: { type: 'boolean' },
      'style-of': { type: 'string' },
      count: { type: 'string' },
      columns: { type: 'string' },
      split: { type: 'string' },
      'private-value': { type: 'string' },
      ...OUT_FLAGS,
    },
    USAGE,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const runArg = onePositional(positionals, 'grid', 'run folder');
  const recon = values.reconstructions === true;
  const styleOf = values['style-of'];
  if (styleOf !== undefined && (recon || values.dims !== undefined || values.n !== undefined || values.range !== undefined || values.anchor !== undefined))
    throw new UsageError('--style-of takes --scale (and --out), not --dims, --n, --range, --anchor or --reconstructions');
  if (styleOf !== undefined && !styleOf.trim()) throw new UsageError('--style-of needs an image file');
  if (recon && (values.dims !== undefined || values.n !== undefined || values.range !== undefined || values.anchor !== undefined))
    throw new UsageError('--reconstructions takes --count, --columns, --split and --scale, not --dims, --n, --range or --anchor');
  if (!recon && (values.count !== undefined || values.columns !== undefined || values.split !== undefined))
    throw new UsageError('--count, --columns and --split go with --reconstructions');
  if (!recon && styleOf === undefined && values.dims === undefined) throw new UsageError('grid needs --dims I,J (e.g. --dims 1,2)');
  if (values['private-value'] !== undefined && (recon || styleOf !== undefined))
    throw new UsageError('--private-value goes with --dims (the manifold); reconstructions use each image\'s own s');
  const split = choiceOption(values, 'split', ['test', 'train']);
  const force = values.force;
  const out = outputPath(values.out, '.png', force, 'grid', runArg);
  const scale = intOption(values, 'scale', EXPORT_LIMITS.scale);
  const n = intOption(values, 'n', EXPORT_LIMITS.gridSide);
  const range = numberOption(values, 'range', EXPORT_LIMITS.range);
  const count = intOption(values, 'count', EXPORT_LIMITS.reconstructions);
  const columns = intOption(values, 'columns', EXPORT_LIMITS.reconstructionColumns);

  const source = await openRun(runArg, 'grid');
  const run = source.run;
  const output = createOutput(values.json);
  let spec: Parameters<typeof runExport>[1];
  if (styleOf !== undefined) {
    if (run.model.objective !== 'ssvae' || run.model.style < 1) throw new UsageError(`--style-of needs a semi-supervised run with style dimensions (this run is ${run.model.objective})`);
    const options: Partial<StyleTransferPngOptions> = { file: resolve(styleOf), scale };
    spec = { kind: 'style-transfer-png', options: dropUndefined(options) };
  } else if (recon) {
    const options: Partial<ReconstructionsPngOptions> = { scale, count, columns, split };
    spec = { kind: 'reconstructions-png', options: dropUndefined(options) };
  } else {
    if (run.model.latent < 2) throw new UsageError('this run has one latent dimension; a grid needs two');
    const parts = values.dims!.split(',');
    if (parts.length !== 2) throw new UsageError(`--dims needs two dimensions separated by a comma, e.g. 1,2 (got '${values.dims}')`);
    const dims = parts.map((p) => parseDimension(p, run, '--dims')) as [number, number];
    if (dims[0] === dims[1]) throw new UsageError(`--dims ${values.dims}: the two dimensions must differ`);
    const anchor = values.anchor === undefined ? null : parseImageIndex(values.anchor, run, '--anchor');
    // a fair VAE's decoder given one value of s (other models: one line saying it does not apply)
    const privateValue = values['private-value'] === undefined ? undefined : parsePrivateValue(values['private-value'], run, source.runDir);
    const options: Partial<ManifoldPngOptions> = { dims, n, range, scale, anchor, privateValue };
    spec = { kind: 'manifold-png', options: dropUndefined(options) };
  }
  const done = await runExport(source, spec, out, force, output);
  if (!done) return EXIT_CANCELLED;
  const { result, path, seconds } = done;
  const what = styleOf !== undefined ? `the style of ${styleOf} in every class` : recon ? 'reconstructions' : `manifold of ${(result.options as ManifoldPngOptions).dims.map((d) => run.dimensionNames[d]).join(' x ')}`;
  output.result(
    { event: 'done', kind: result.kind, path, width: result.width, height: result.height, bytes: result.data!.length, seconds: Math.round(seconds * 100) / 100 },
    `Wrote ${path}: ${what}, ${result.width}x${result.height} px, ${formatBytes(result.data!.length)}`,
  );
  return 0;
}
