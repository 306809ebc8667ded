// Style sliders (issue 11), measured:
//  1. the shipped semi-supervised run: living style dimensions (KL > 0.1 nats), their class leakage and
//     suggested names, against the targets (≥ 4 living, leakage ≤ 5 %, slant and pen thickness |r| ≥ 0.8);
//  2. data with known factors (the generated glyphs: 5 shapes drawn with known slant, pen thickness and
//     width): the style dimension that best separates each binary factor (AUC) and the class head's
//     accuracy, for our model (prototype class code + leakage penalty) beside the previous design (the
//     decoder sees the sampled z^Y), trained the same way in this same run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../electron/engine/backend.ts';
import { loadRun } from '../../electron/engine/training/run-file.ts';
import { openRunDataset } from '../../electron/engine/training/evaluate.ts';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';
import { styleDimensionReport } from '../../electron/engine/explorer/style-report.ts';
import { generateGlyphs, GLYPH_BINARY_FACTORS } from '../../electron/engine/datasets/synthetic/glyphs.ts';
import { writeGlyphFolder } from '../../electron/engine/datasets/synthetic/write-glyphs.ts';
import { pixelsToTensor } from '../../models/pixels.ts';
import { auc } from '../../electron/engine/disentanglement/information.ts';

const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'bin', 'latent-explorer.mjs');
const EPOCHS = Number(process.env.STYLE_BENCH_EPOCHS ?? 20);

await initBackend();

// 1. The shipped run
const shipped = await loadRun(join(root, 'resources/runs/mnist-ssvae'));
const report = await styleDimensionReport(shipped, loadSampleMnist().images);
const living = report.filter((r) => r.kl > 0.1);
console.log(`mnist-ssvae: ${report.length} style dimensions, ${living.length} living (KL > 0.1 nats)`);
console.log('  dim    KL  leakage  name             |r|');
for (const r of living) console.log(`  z${String(r.dim + 1).padEnd(3)} ${r.kl.toFixed(2).padStart(5)}  ${(100 * r.leakage).toFixed(0).padStart(5)} %  ${(r.suggestedName ?? '—').padEnd(15)} ${r.suggestedName ? Math.abs(r.correlation).toFixed(2) : ''}`);
const named = (m: string) => report.find((r) => r.measure === m && r.suggestedName && !/\d$/.test(r.suggestedName));
const slant = named('slant');
const thick = named('thickness');
console.log(
  `  targets: living ${living.length} (≥ 4), worst leakage ${(100 * Math.max(...living.map((r) => r.leakage))).toFixed(0)} % (≤ 5 %), ` +
    `slant |r| ${slant ? Math.abs(slant.correlation).toFixed(2) : 'none'}, pen thickness |r| ${thick ? Math.abs(thick.correlation).toFixed(2) : 'none'} (≥ 0.8)`,
);

// 2. Known factors
const work = mkdtempSync(join(tmpdir(), 'le-style-bench-'));
try {
  const folder = join(work, 'glyphs');
  await writeGlyphFolder(folder, generateGlyphs({ count: 10_000, seed: 1 }), false);
  const factors = readFileSync(join(folder, 'factors.csv'), 'utf8').trim().split('\n');
  const head = factors[0].split(',');
  const rows = new Map(factors.slice(1).map((l) => [l.split(',')[0], l.split(',')] as const));
  for (const [label, extra] of [['ours (prototype + leakage penalty)', []], ['previous design (sampled z^Y)', ['--class-code', 'sample']]] as const) {
    const runDir = join(work, `run-${extra.length}`);
    const started = Date.now();
    const train = spawnSync(process.execPath, [cli, 'train', folder, '--model', 'ssvae', '--latent', '13', '--style', '8', '--labels', '500', '--epochs', String(EPOCHS), '--seed', '1', ...extra, '--out', runDir, '--json'], { encoding: 'utf8' });
    if (train.status !== 0) throw new Error(`training failed: ${train.stderr}`);
    const summary = JSON.parse(train.stdout.trim().split('\n').pop()!);
    const loaded = await loadRun(runDir);
    const ds = await openRunDataset(loaded.run);
    const c = loaded.model.config;
    const test = Array.from({ length: ds.images.count }, (_, i) => i).filter((i) => ds.images.split[i] === 1);
    const x = pixelsToTensor(ds.images.pixels, test, c.imageSize, c.channels, 'off');
    const { mean, logVar } = loaded.model.encode(x);
    const means = mean.dataSync();
    tf.dispose([x, mean, logVar]);
    const parts = GLYPH_BINARY_FACTORS.map((f) => {
      const col = head.indexOf(f);
      const y = test.map((i) => Number(rows.get(ds.images.files[i])![col]));
      let best = { dim: 0, auc: 0 };
      for (let d = 0; d < c.style; d++) {
        const a = auc(test.map((_, r) => means[r * c.latent + d]), y);
        if (Math.max(a, 1 - a) > best.auc) best = { dim: d, auc: Math.max(a, 1 - a) };
      }
      return `${f.replace('_hi', '')} AUC ${best.auc.toFixed(3)} (z${best.dim + 1})`;
    });
    console.log(
      `glyphs, ${label}: ${EPOCHS} epochs, 500 labels, ${((Date.now() - started) / 60000).toFixed(1)} min — ${parts.join(', ')}; ` +
        `class head ${(100 * summary.testAccuracy).toFixed(1)} %, test −ELBO ${summary.testLoss.toFixed(1)} (targets: AUC ≥ 0.9 each, accuracy ≥ 95 %)`,
    );
    loaded.model.dispose();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
