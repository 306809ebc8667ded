// latent-explorer import <folder|sample:mnist> [options]: imports (or reopens from the cache) an
// image folder and prints the summary: images used, per-class counts, unlabelled, skipped files.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { createOutput } from '../output.ts';
import { openDataset } from '../../engine/datasets/open.ts';
import { describeProgress } from '../../engine/datasets/progress.ts';
import type { Binarize, DatasetSummary, PreprocessOptions } from '../../engine/datasets/types.ts';
import { SAMPLE_MNIST } from '../../engine/datasets/types.ts';

const USAGE = `Usage: latent-explorer import <folder|sample:mnist> [options]
  --size N                 square side in pixels (default: 28 if most images are at most 32 px, else 64)
  --channels 1|3           grey or RGB (default: from the data)
  --fit contain|cover|fill how images become square (default: contain)
  --invert auto|yes|no     make dark ink on light paper high (default: auto)
  --binarize off|T|dynamic for a Bernoulli likelihood: threshold T in (0,1), or resampled each epoch (default: off)
  --test-split S           share held out for testing, stratified by label (default: 0.1)
  --seed N                 seed of the split (default: 1)
  --json                   progress and the summary as JSON lines
Reopening an unchanged folder with the same options reads the cache in the app's data folder.`;

function parseOptions(values: Record<string, string | boolean | undefined>): Partial<PreprocessOptions> {
  const options: Partial<PreprocessOptions> = {};
  if (values.size !== undefined) {
    const size = Number(values.size);
    if (!Number.isInteger(size) || size < 4 || size > 512) throw new UsageError(`--size must be a whole number from 4 to 512 (got '${values.size}')`);
    options.size = size;
  }
  if (values.channels !== undefined) {
    if (values.channels !== '1' && values.channels !== '3') throw new UsageError(`--channels must be 1 or 3 (got '${values.channels}')`);
    options.channels = Number(values.channels) as 1 | 3;
  }
  if (values.fit !== undefined) {
    if (!['contain', 'cover', 'fill'].includes(values.fit as string)) throw new UsageError(`--fit must be contain, cover or fill (got '${values.fit}')`);
    options.fit = values.fit as PreprocessOptions['fit'];
  }
  if (values.invert !== undefined) {
    if (!['auto', 'yes', 'no'].includes(values.invert as string)) throw new UsageError(`--invert must be auto, yes or no (got '${values.invert}')`);
    options.invert = values.invert as PreprocessOptions['invert'];
  }
  if (values.binarize !== undefined) {
    const b = values.binarize as string;
    let binarize: Binarize;
    if (b === 'off' || b === 'dynamic') binarize = b;
    else {
      const t = Number(b);
      if (b.trim() === '' || !(t > 0 && t < 1)) throw new UsageError(`--binarize must be off, dynamic or a threshold between 0 and 1 (got '${b}')`);
      binarize = t;
    }
    options.binarize = binarize;
  }
  if (values['test-split'] !== undefined) {
    const s = Number(values['test-split']);
    if ((values['test-split'] as string).trim() === '' || !(s >= 0 && s < 1)) throw new UsageError(`--test-split must be a share from 0 to below 1, e.g. 0.1 (got '${values['test-split']}')`);
    options.testSplit = s;
  }
  if (values.seed !== undefined) {
    const seed = Number(values.seed);
    if (!Number.isInteger(seed)) throw new UsageError(`--seed must be a whole number (got '${values.seed}')`);
    options.seed = seed;
  }
  return options;
}

const number = (n: number) => n.toLocaleString('en-US');

/** The summary as text, listing at most `perReason` paths for each skip reason. */
export function formatSummary(summary: DatasetSummary, perReason = 20): string {
  const o = summary.options;
  const lines = [
    `Imported ${summary.ref}: ${number(summary.images)} images (train ${number(summary.train)}, test ${number(summary.test)}; ${Math.round(o.testSplit * 100)}% test split, stratified, seed ${o.seed})`,
    `Images: ${o.size}x${o.size}, ${o.channels === 1 ? 'grey' : 'RGB'}, fit ${o.fit}, binarize ${o.binarize}`,
    `Ink: ${summary.inverted ? 'inverted' : 'not inverted'} — ${summary.invertReason}`,
  ];
  const classes = Object.entries(summary.classCounts);
  lines.push(classes.length ? `Classes (${classes.length}): ${classes.map(([c, n]) => `${c}: ${number(n)}`).join(', ')}` : 'Classes: none (all images unlabelled)');
  lines.push(`Unlabelled: ${number(summary.unlabelled)}`);
  if (summary.labelsCsv) {
    const l = summary.labelsCsv;
    lines.push(`labels.csv: ${l.applied} of ${l.rows} rows applied${l.unmatched ? `, ${l.unmatched} name no image (${l.unmatchedExamples.join(', ')})` : ''}${l.invalid ? `, ${l.invalid} invalid lines` : ''}`);
  }
  if (summary.ignoredFiles) lines.push(`Ignored ${number(summary.ignoredFiles)} files that are not images`);
  if (summary.skipped.length === 0) lines.push('Skipped: none');
  else {
    lines.push(`Skipped ${number(summary.skipped.length)}:`);
    for (const [reason, count] of Object.entries(summary.skippedByReason)) {
      lines.push(`  ${reason} (${number(count)}):`);
      const files = summary.skipped.filter((s) => s.reason === reason);
      for (const s of files.slice(0, perReason)) lines.push(`    ${s.path}${s.detail ? ` — ${s.detail}` : ''}`);
      if (files.length > perReason) lines.push(`    … and ${number(files.length - perReason)} more (--json lists all)`);
    }
  }
  lines.push(summary.fromCache ? `Opened from the cache in ${summary.seconds.toFixed(2)} s` : `Imported in ${summary.seconds.toFixed(1)} s`);
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      size: { type: 'string' },
      channels: { type: 'string' },
      fit: { type: 'string' },
      invert: { type: 'string' },
      binarize: { type: 'string' },
      'test-split': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `import takes one folder, got ${positionals.length}: ${positionals.join(' ')}` : 'import needs a folder (or sample:mnist); see latent-explorer import --help');
  const ref = positionals[0] === SAMPLE_MNIST ? SAMPLE_MNIST : resolve(positionals[0]);
  const options = parseOptions(values);
  const json = values.json ?? false;
  const out = createOutput(json);
  const tty = !json && process.stderr.isTTY;

  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const dataset = await openDataset(ref, options, {
      signal: controller.signal,
      onProgress: (p) => {
        if (json) out.event('progress', { ...p, imagesPerSec: Math.round(p.imagesPerSec), etaSec: Math.round(p.etaSec * 10) / 10 });
        else if (tty && p.phase !== 'done') process.stderr.write(`\r\x1b[K${describeProgress(p).message}`);
      },
    });
    if (tty) process.stderr.write('\r\x1b[K');
    out.result({ event: 'summary', ...dataset.summary }, formatSummary(dataset.summary));
    return 0;
  } catch (error) {
    if (tty) process.stderr.write('\r\x1b[K');
    if ((error as Error)?.name === 'AbortError') {
      out.event('cancelled', {}, 'Import cancelled.');
      return 130;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
