// latent-explorer synth --out DIR [--count N] [--seed S] [--size N]: generates the labelled glyph
// set with known factors (slant, thickness, width, height) as a folder the app imports.
import { EXIT_CANCELLED, intOption, OUT_FLAGS, parseCommand, withCancel } from '../args.ts';
import { UsageError } from '../errors.ts';
import { createOutput } from '../output.ts';
import { GLYPH_BINARY_FACTORS, GLYPH_CLASSES, GLYPH_FACTOR_RANGES, generateGlyphs } from '../../engine/datasets/synthetic/glyphs.ts';
import { writeGlyphFolder } from '../../engine/datasets/synthetic/write-glyphs.ts';
import { checkOutput } from '../args.ts';

const ranges = Object.entries(GLYPH_FACTOR_RANGES).map(([n, [lo, hi]]) => `${n} ${lo}..${hi}`).join(', ');

const USAGE = `Usage: latent-explorer synth --out DIR [--count N] [--seed S] [--size N] [--force] [--json]
  Generates glyphs (${GLYPH_CLASSES.join(', ')}) drawn white on black with independent, uniformly sampled
  factors (${ranges}; px at 28 px) and writes DIR/<class>/<index>.png plus DIR/factors.csv
  (file, shape, the factors and their 0/1 halves ${GLYPH_BINARY_FACTORS.join(', ')}).
  --count N   images (default 10000)
  --seed S    seed; the same seed writes the same images (default 1)
  --size N    square side in px (default 28)
  --force     replace DIR if it exists`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { ...OUT_FLAGS, count: { type: 'string' }, seed: { type: 'string' }, size: { type: 'string' } }, USAGE, false);
  if (!parsed) return 0;
  const { values } = parsed;
  if (!values.out) throw new UsageError('synth needs --out DIR; see latent-explorer synth --help');
  const count = intOption(values, 'count', { min: 1, max: 1_000_000 }) ?? 10_000;
  const seed = intOption(values, 'seed', { min: 0, max: 2 ** 32 - 1 }) ?? 1;
  const size = intOption(values, 'size', { min: 8, max: 512 }) ?? 28;
  const dir = checkOutput(values.out, { force: values.force, file: false });
  const out = createOutput(values.json);
  const code = await withCancel(out, 'Generation cancelled; nothing was written.', async (signal) => {
    const started = performance.now();
    const set = generateGlyphs({ count, size, seed });
    const path = await writeGlyphFolder(dir, set, values.force, {
      signal,
      onProgress: (done, total) => {
        if (out.json) out.event('progress', { done, total });
        else out.progressLine(`Writing ${done}/${total}`);
      },
    });
    out.endProgressLine();
    const classCounts = Object.fromEntries(set.classNames.map((c, k) => [c, set.labels.filter((l) => l === k).length]));
    const seconds = (performance.now() - started) / 1000;
    out.result(
      { event: 'done', path, count, size, seed, classCounts, factors: Object.keys(set.factors), seconds },
      `Wrote ${path}: ${count} glyphs ${size}x${size} (seed ${seed}; ${Object.entries(classCounts).map(([c, n]) => `${c}: ${n}`).join(', ')}) and factors.csv (${Object.keys(set.factors).join(', ')}) in ${seconds.toFixed(1)} s`,
    );
    return 0;
  });
  return code ?? EXIT_CANCELLED;
}
