// latent-explorer import <folder|sample:mnist> [options]: imports (or reopens from the cache) an
// image folder and prints the summary: images used, per-class counts, unlabelled, skipped files.
import { resolve } from 'node:path';
import { choiceOption, EXIT_CANCELLED, intOption, onePositional, parseCommand, withCancel } from '../args.ts';
import { createOutput } from '../output.ts';
import { PREPROCESS_FLAGS, preprocessOptions } from '../preprocess-options.ts';
import { openDataset } from '../../engine/datasets/open.ts';
import { describeProgress } from '../../engine/datasets/progress.ts';
import type { DatasetSummary, PreprocessOptions } from '../../engine/datasets/types.ts';
import { SAMPLE_MNIST } from '../../engine/datasets/types.ts';
import type { FactorsReport } from '../../contract/factors.ts';

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

function parseOptions(values: Record<string, unknown>): Partial<PreprocessOptions> {
  const options = preprocessOptions(values);
  const fit = choiceOption(values, 'fit', ['contain', 'cover', 'fill']);
  if (fit !== undefined) options.fit = fit;
  const invert = choiceOption(values, 'invert', ['auto', 'yes', 'no']);
  if (invert !== undefined) options.invert = invert;
  const seed = intOption(values, 'seed');
  if (seed !== undefined) options.seed = seed;
  return options;
}

const number = (n: number) => n.toLocaleString('en-US');

/** What factors.csv gave: each factor with its kind and values, then the bad cells by line. */
export function formatFactors(f: FactorsReport, perList = 20): string[] {
  const lines = [`${f.source}: ${number(f.matched)} of ${number(f.rows)} rows matched an image${f.unmatched ? `, ${f.unmatched} name no image (${f.unmatchedExamples.join(', ')})` : ''}; factors (${f.factors.length}):`];
  for (const s of f.factors) {
    const values = s.counts
      ? Object.entries(s.counts).map(([v, n]) => `${v}: ${number(n)}`).join(', ')
      : `${number(s.distinct)} values from ${s.min} to ${s.max}`;
    lines.push(`  ${s.name} (${s.kind}${s.missing ? `, ${number(s.missing)} images without a value` : ''}): ${values}`);
  }
  if (f.badCellCount) {
    lines.push(`  ${number(f.badCellCount)} bad cell${f.badCellCount === 1 ? '' : 's'} (left empty):`);
    for (const c of f.badCells.slice(0, perList)) lines.push(`    line ${c.row}${c.column ? `, ${c.column}` : ''}: '${c.value}' — ${c.reason}`);
    if (f.badCellCount > Math.min(perList, f.badCells.length)) lines.push(`    … and ${number(f.badCellCount - Math.min(perList, f.badCells.length))} more${f.badCells.length > perList ? ' (--json lists the first 50)' : ''}`);
  }
  return lines;
}

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
  if (summary.factors) lines.push(...formatFactors(summary.factors));
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
  const parsed = parseCommand(argv, { ...PREPROCESS_FLAGS, fit: { type: 'string' }, invert: { type: 'string' }, seed: { type: 'string' } }, USAGE);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const folder = onePositional(positionals, 'import', 'folder', 'a folder (or sample:mnist)');
  const ref = folder === SAMPLE_MNIST ? SAMPLE_MNIST : resolve(folder);
  const options = parseOptions(values);
  const out = createOutput(values.json);
  const code = await withCancel(out, 'Import cancelled.', async (signal) => {
    const dataset = await openDataset(ref, options, {
      signal,
      onProgress: (p) => {
        if (out.json) out.event('progress', { ...p, imagesPerSec: Math.round(p.imagesPerSec), etaSec: Math.round(p.etaSec * 10) / 10 });
        else if (p.phase !== 'done') out.progressLine(describeProgress(p).message);
      },
    });
    out.endProgressLine();
    out.result({ event: 'summary', ...dataset.summary }, formatSummary(dataset.summary));
    return 0;
  });
  return code ?? EXIT_CANCELLED;
}
