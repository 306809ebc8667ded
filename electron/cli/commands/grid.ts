// latent-explorer grid <run> --dims I,J [options] --out FILE.png: the manifold grid of two latent
// dimensions as a PNG (or, with --reconstructions, inputs above their reconstructions).
import { parseArgs } from 'node:util';
import type { ManifoldPngOptions, ReconstructionsPngOptions } from '../../contract/exports.ts';
import { formatBytes } from '../../engine/exports/exporter.ts';
import { UsageError } from '../errors.ts';
import { createOutput } from '../output.ts';
import { dropUndefined, intOption, numberOption, openRun, outputPath, parseDimension, runExport } from './_exports.ts';

const USAGE = `Usage: latent-explorer grid <run> --dims I,J [options] --out FILE.png
  --dims I,J         the horizontal and vertical dimension (counted from 1 like z1, z2, ...; or names)
  --n N              images per side (default 15)
  --range R          the grid spans -R..+R in both dimensions (default 2.5, as in the Manifold view)
  --scale S          pixel scale, nearest-neighbour (default 2)
  --anchor INDEX     other dimensions from this image's posterior mean (0-based image index) instead of 0
  --reconstructions  instead: test images above their reconstructions (--count N, default 32; --columns C, default 8; --split test|train)
  --force            replace FILE.png if it exists
  --json             the summary as JSON`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dims: { type: 'string' },
      n: { type: 'string' },
      range: { type: 'string' },
      scale: { type: 'string' },
      anchor: { type: 'string' },
      reconstructions: { type: 'boolean' },
      count: { type: 'string' },
      columns: { type: 'string' },
      split: { type: 'string' },
      out: { type: 'string', short: 'o' },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`grid takes one run folder, got ${positionals.length}: ${positionals.join(' ')}`);
  const recon = values.reconstructions === true;
  if (recon && (values.dims !== undefined || values.n !== undefined || values.range !== undefined || values.anchor !== undefined))
    throw new UsageError('--reconstructions takes --count, --columns, --split and --scale, not --dims, --n, --range or --anchor');
  if (!recon && (values.count !== undefined || values.columns !== undefined || values.split !== undefined))
    throw new UsageError('--count, --columns and --split go with --reconstructions');
  if (!recon && values.dims === undefined) throw new UsageError('grid needs --dims I,J (e.g. --dims 1,2)');
  if (values.split !== undefined && values.split !== 'test' && values.split !== 'train') throw new UsageError(`--split must be test or train (got '${values.split}')`);
  const force = values.force ?? false;
  const out = outputPath(values.out, '.png', force, 'grid');
  const scale = intOption(values, 'scale', 1, 16);
  const n = intOption(values, 'n', 2, 40);
  const range = numberOption(values, 'range', 0, 20);
  const count = intOption(values, 'count', 1, 1000);
  const columns = intOption(values, 'columns', 1, 100);

  const source = await openRun(positionals[0], 'grid');
  const run = source.run;
  const output = createOutput(values.json ?? false);
  let spec: Parameters<typeof runExport>[1];
  if (recon) {
    const options: Partial<ReconstructionsPngOptions> = { scale, count, columns, split: values.split as 'test' | 'train' | undefined };
    spec = { kind: 'reconstructions-png', options: dropUndefined(options) };
  } else {
    if (run.model.latent < 2) throw new UsageError('this run has one latent dimension; a grid needs two');
    const parts = values.dims!.split(',');
    if (parts.length !== 2) throw new UsageError(`--dims needs two dimensions separated by a comma, e.g. 1,2 (got '${values.dims}')`);
    const dims = parts.map((p) => parseDimension(p, run, '--dims')) as [number, number];
    if (dims[0] === dims[1]) throw new UsageError(`--dims ${values.dims}: the two dimensions must differ`);
    let anchor: number | null = null;
    if (values.anchor !== undefined) {
      anchor = Number(values.anchor);
      if (values.anchor.trim() === '' || !Number.isInteger(anchor) || anchor < 0 || anchor >= run.dataset.images)
        throw new UsageError(`--anchor ${values.anchor}: must be an image index from 0 to ${run.dataset.images - 1}`);
    }
    const options: Partial<ManifoldPngOptions> = { dims, n, range, scale, anchor };
    spec = { kind: 'manifold-png', options: dropUndefined(options) };
  }
  const done = await runExport(source, spec, out, force, output);
  if (!done) return 130;
  const { result, path, seconds } = done;
  const what = recon ? 'reconstructions' : `manifold of ${(result.options as ManifoldPngOptions).dims.map((d) => run.dimensionNames[d]).join(' x ')}`;
  output.result(
    { event: 'done', kind: result.kind, path, width: result.width, height: result.height, bytes: result.data!.length, seconds: Math.round(seconds * 100) / 100 },
    `Wrote ${path}: ${what}, ${result.width}x${result.height} px, ${formatBytes(result.data!.length)}`,
  );
  return 0;
}
