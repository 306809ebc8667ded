// The train and eval commands as a user runs them: JSON lines, one-line errors, exit codes.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from './helpers/tf.ts';
import { loadRun } from '../../electron/engine/training/run-file.ts';
import { openRunDataset } from '../../electron/engine/training/evaluate.ts';
import { mulberry32 } from '../../models/random.ts';
import { nativeKernelsStatus } from '../../models/native/kernels.ts';

beforeAll(async () => {
  await useWasm();
});

/**
 * The same run's KL per dimension and reconstruction term worked out here, another way: posteriors from the
 * encoder, the analytic KL and the Bernoulli log-likelihood in plain JavaScript loops, and our own samples.
 */
async function independentTerms(runDir: string, samples: number) {
  const loaded = await loadRun(runDir);
  const ds = await openRunDataset(loaded.run);
  const per = 784;
  const test: number[] = [];
  for (let i = 0; i < ds.images.count; i++) if (ds.images.split[i] === 1) test.push(i);
  const pixels = new Uint8Array(test.length * per);
  test.forEach((i, k) => pixels.set(ds.images.pixels.subarray(i * per, (i + 1) * per), k * per));
  const { means, logVars } = await loaded.encode(pixels, test.length);
  const latent = loaded.latent;
  const klPerDim = new Array(latent).fill(0);
  for (let i = 0; i < test.length; i++)
    for (let d = 0; d < latent; d++) {
      const m = means[i * latent + d];
      const lv = logVars[i * latent + d];
      klPerDim[d] += (0.5 * (m * m + Math.exp(lv) - 1 - lv)) / test.length;
    }
  const rand = mulberry32(99);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  let recon = 0;
  for (let s = 0; s < samples; s++) {
    const z = Float32Array.from(means, (m, j) => m + Math.exp(logVars[j] / 2) * gauss());
    const logits = tf.tidy(() => loaded.model.decoder.predict(tf.tensor2d(z, [test.length, latent])) as tf.Tensor);
    const l = logits.dataSync();
    logits.dispose();
    for (let j = 0; j < l.length; j++) {
      const x = pixels[j] > 127.5 ? 1 : 0; // the sample's binarization at 0.5
      const softplus = Math.max(l[j], 0) + Math.log1p(Math.exp(-Math.abs(l[j])));
      recon -= (x * l[j] - softplus) / (test.length * samples);
    }
  }
  loaded.dispose();
  return { klPerDim, kl: klPerDim.reduce((a, v) => a + v, 0), recon, images: test.length };
}

const CLI = resolve('bin/latent-explorer.mjs');
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, LATENT_EXPLORER_BACKEND: 'wasm' } });

describe('latent-explorer eval', () => {
  it('reports −ELBO, the IWAE bound, KL per dimension and active units of a shipped run', async () => {
    const r = cli('eval', 'resources/runs/mnist-vae-2d', '--iwae', '20', '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(report).toMatchObject({ event: 'summary', split: 'test', images: 999, iwaeSamples: 20, activeUnits: 2, activeThreshold: 0.01 });
    expect(report.negElbo).toBeGreaterThan(140);
    expect(report.negElbo).toBeLessThan(170); // the 30-epoch 2-D VAE sits near 155 nats
    expect(report.negIwae).toBeLessThan(report.negElbo);
    expect(report.klPerDim).toHaveLength(2);
    // Each term against the same quantities computed independently here.
    const own = await independentTerms('resources/runs/mnist-vae-2d', 4);
    expect(own.images).toBe(999);
    own.klPerDim.forEach((v, d) => expect(report.klPerDim[d]).toBeCloseTo(v, 2));
    expect(report.kl).toBeCloseTo(own.kl, 2);
    // the reconstruction term is a one-sample Monte Carlo estimate on both sides: ~0.3 nats of noise each
    expect(Math.abs(report.recon - own.recon)).toBeLessThan(1.5);
    // and −ELBO against the independent terms (the report's recon is −ELBO − KL, so recon + KL = −ELBO says nothing)
    expect(Math.abs(report.negElbo - (own.recon + own.kl))).toBeLessThan(1.5);
  });

  it('reports the class head accuracy of the semi-supervised run', () => {
    const r = cli('eval', 'resources/runs/mnist-ssvae', '--iwae', '0', '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(report.accuracy).toBeGreaterThan(0.8);
    expect(report.labelled).toBe(999);
    expect(report.negIwae).toBeUndefined();
  });

  it('reports every style dimension of the semi-supervised run: KL (as in klPerDim), class leakage, measure correlations, sorted by KL', () => {
    const r = cli('eval', 'resources/runs/mnist-ssvae', '--iwae', '0', '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const style = JSON.parse(readFileSync('resources/runs/mnist-ssvae/run.json', 'utf8')).model.style as number;
    const dims = report.styleDimensions as { dim: number; kl: number; active: boolean; leakage: number; leaks: boolean; correlations: Record<string, number>; suggestedName: string | null }[];
    expect(dims.map((d) => d.dim).sort((a, b) => a - b)).toEqual(Array.from({ length: style }, (_, i) => i));
    for (let i = 0; i < dims.length; i++) {
      const d = dims[i];
      if (i > 0) expect(dims[i - 1].kl).toBeGreaterThanOrEqual(d.kl);
      expect(d.kl).toBeCloseTo(report.klPerDim[d.dim], 4);
      expect(d.active).toBe(d.kl > 0.1);
      expect(d.leaks).toBe(d.leakage > 0.05);
      expect(d.leakage).toBeGreaterThanOrEqual(0);
      expect(d.leakage).toBeLessThanOrEqual(1);
      expect(Object.keys(d.correlations).sort()).toEqual(['height', 'slant', 'thickness', 'topHeaviness', 'width']);
      if (!d.active) expect(d.suggestedName).toBeNull();
    }
    expect(dims.some((d) => d.active)).toBe(true);
    // the human summary names the same dimensions and says how many are inactive
    const human = cli('eval', 'resources/runs/mnist-ssvae', '--iwae', '0');
    expect(human.stdout).toMatch(/style dimensions +\d+ of \d+ active/);
    expect(human.stdout).toMatch(/leakage +\d+%/);
  });

  it('has no style dimensions to report for a plain VAE', () => {
    const r = cli('eval', 'resources/runs/mnist-vae-2d', '--iwae', '0', '--json');
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!).styleDimensions).toBeUndefined();
  });

  it('says in one line what is wrong with bad input', () => {
    const missing = cli('eval', 'no/such/run');
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/no such run folder/);
    const badK = cli('eval', 'resources/runs/mnist-vae-2d', '--iwae', 'many');
    expect(badK.status).toBe(2);
    expect(badK.stderr).toMatch(/--iwae must be a whole number/);
  });
});

describe('latent-explorer train', () => {
  it('refuses bad settings in one line before training', () => {
    const cases: Array<[string[], RegExp]> = [
      [['sample:mnist', '--model', 'vae'], /needs --out/],
      [['sample:mnist', '--model', 'gan', '--out', 'x'], /--model must be one of/],
      [['sample:mnist', '--model', 'vae', '--labels', '100', '--out', 'x'], /--labels applies to the semi-supervised model/],
      [['sample:mnist', '--model', 'beta-vae', '--lr', '2', '--out', 'x'], /--lr must be a number between 0 and 1/],
      [['sample:mnist', '--model', 'vae', '--out', 'resources/runs/mnist-vae-2d'], /already holds a run; add --resume/],
      [['sample:mnist', '--model', 'vae', '--threads', '0', '--out', 'x'], /--threads must be a whole number/],
    ];
    for (const [args, message] of cases) {
      const r = cli('train', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });
});

describe('latent-explorer info', () => {
  it('shows the training threads: the core count by default, LATENT_EXPLORER_THREADS when set', () => {
    const byDefault = spawnSync(process.execPath, [CLI, 'info', '--json'], { encoding: 'utf8', env: { ...process.env, LATENT_EXPLORER_THREADS: '' } });
    expect(byDefault.status).toBe(0);
    expect(JSON.parse(byDefault.stdout).backend.threads).toMatchObject({ source: 'cores' });
    const set = spawnSync(process.execPath, [CLI, 'info'], { encoding: 'utf8', env: { ...process.env, LATENT_EXPLORER_THREADS: '3' } });
    expect(set.stdout).toMatch(/Training threads: 3 \(from LATENT_EXPLORER_THREADS/);
  });

  it('says whether the native CPU kernels run the products and convolutions, and why not', () => {
    const env = { ...process.env, LATENT_EXPLORER_BACKEND: 'wasm' };
    const on = spawnSync(process.execPath, [CLI, 'info', '--json'], { encoding: 'utf8', env: { ...env, LATENT_EXPLORER_NATIVE_KERNELS: '' } });
    const kernels = JSON.parse(on.stdout).backend.kernels;
    if (spawnSync('c++', ['--version']).status === 0) {
      expect(kernels).toMatchObject({ native: true });
      expect(JSON.parse(on.stdout).backend.label).toMatch(/\+ native CPU kernels \((avx512|avx2\+fma|128-bit)\)$/);
    }
    const off = spawnSync(process.execPath, [CLI, 'info'], { encoding: 'utf8', env: { ...env, LATENT_EXPLORER_NATIVE_KERNELS: '0' } });
    expect(off.stdout).toMatch(/^Kernels: TF\.js wasm \(native CPU kernels disabled by LATENT_EXPLORER_NATIVE_KERNELS=0\)$/m);
    expect(off.stdout).not.toMatch(/native CPU kernels \(/);
  });
});

describe('the lectures\' other models from the command line', () => {
  it('train --model dae|ivae|ppca writes a run that eval --json reports with its own figures and units, and compare lists', () => {
    const root = mkdtempSync(join(tmpdir(), 'le-cli-models-'));
    const env = { ...process.env, LATENT_EXPLORER_BACKEND: 'wasm', LATENT_EXPLORER_DATA: join(root, 'data') };
    const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
    const last = (out: string) => JSON.parse(out.trim().split('\n').pop()!);
    try {
      const cases: Array<{ model: string; args: string[]; figure: RegExp; units: string[]; note: RegExp }> = [
        { model: 'dae', args: ['--noise', 'mask', '--noise-level', '0.3', '--latent', '2', '--epochs', '1'], figure: /^reconstruction loss/, units: ['nats/image'], note: /no ELBO, IWAE bound or KL/ },
        { model: 'ivae', args: ['--aux', 'label', '--latent', '2', '--epochs', '1'], figure: /^−ELBO under p\(z\|u\)$/, units: ['nats/image', 'nats/image'], note: /prior is p\(z\|u\) with u = label/ },
        { model: 'ppca', args: ['--latent', '4', '--binarize', 'off'], figure: /^−log p\(x\), exact$/, units: ['nats/image', 'bits/dim'], note: /posterior is exact/ },
      ];
      for (const c of cases) {
        const out = join(root, c.model);
        const trained = run('train', 'sample:mnist', '--model', c.model, ...c.args, '--batch', '256', '--out', out, '--json');
        expect(trained.status, trained.stderr).toBe(0);
        expect(last(trained.stdout).status).toBe('done');
        const evaluated = run('eval', out, '--iwae', c.model === 'dae' ? '0' : '5', '--json');
        expect(evaluated.status, evaluated.stderr).toBe(0);
        const report = last(evaluated.stdout);
        expect(report.figures[0].name, c.model).toMatch(c.figure);
        expect(report.figures.map((f: { unit: string }) => f.unit), c.model).toEqual(c.units);
        report.figures.forEach((f: { value: number }) => expect(Number.isFinite(f.value)).toBe(true));
        expect(report.notes.join(' '), c.model).toMatch(c.note);
      }
      const compared = run('compare', ...cases.map((c) => join(root, c.model)), '--json');
      expect(compared.status, compared.stderr).toBe(0);
      expect(last(compared.stdout).rows.map((r: { objective: string }) => r.objective)).toEqual(['dae', 'ivae', 'ppca']);
      const human = run('compare', ...cases.map((c) => join(root, c.model)));
      expect(human.stdout).toMatch(/dae: −ELBO column is the reconstruction loss/);
      expect(human.stdout).toMatch(/ppca: −ELBO column is the exact −log p\(x\)/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 600_000);
});

describe('training quality and threads from the command line (issue 12)', () => {
  const root = () => mkdtempSync(join(tmpdir(), 'le-cli-quality-'));
  /** train … --json: the summary, and the thread counts the progress reports gave. */
  const train = (dir: string, env: Record<string, string>, ...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, 'train', 'sample:mnist', '--model', 'vae', '--latent', '2', ...args, '--out', dir, '--json'], {
      encoding: 'utf8',
      env: { ...process.env, LATENT_EXPLORER_BACKEND: 'wasm', LATENT_EXPLORER_THREADS: '', ...env },
    });
    expect(r.status, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const progress = events.filter((e) => e.event === 'progress');
    return { summary: events.find((e) => e.event === 'summary'), threads: [...new Set(progress.map((p) => p.threads))], notes: [...new Set(progress.map((p) => p.threadsNote))] };
  };

  it("the lectures' 2-D VAE reaches a test −ELBO of at most 163 nats after 10 epochs (PyTorch: 163.2), the same run on --threads 2 as on 1", () => {
    const dir = root();
    try {
      const one = train(join(dir, 'one'), {}, '--epochs', '10', '--threads', '1');
      const two = train(join(dir, 'two'), {}, '--epochs', '10', '--threads', '2');
      expect(one.threads).toEqual([1]);
      expect(two.threads).toEqual([2]);
      for (const run of [one, two]) {
        expect(run.summary).toMatchObject({ status: 'done', epochs: 10 });
        expect(run.summary.testLoss).toBeLessThanOrEqual(163);
        expect(run.summary.testLoss).toBeGreaterThan(140); // a −ELBO far below PyTorch's would be a broken bound, not a better model
      }
      // the native kernels split the step without changing a bit; TF.js's data-parallel workers sum in another order
      if (nativeKernelsStatus().loaded) expect(two.summary.testLoss).toBe(one.summary.testLoss);
      else expect(Math.abs(two.summary.testLoss - one.summary.testLoss)).toBeLessThan(0.5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it("without the native kernels (TF.js's own wasm kernels, which keep packed copies of the weights), two data-parallel threads train the model one does", () => {
    const dir = root();
    try {
      const off = { LATENT_EXPLORER_NATIVE_KERNELS: '0' };
      const one = train(join(dir, 'one'), off, '--epochs', '1', '--threads', '1');
      const two = train(join(dir, 'two'), off, '--epochs', '1', '--threads', '2');
      expect(two.threads).toEqual([2]);
      expect(two.notes.join(' ')).not.toMatch(/native kernels/);
      // the same steps up to the order of float sums: within a tenth of a nat after 71 steps (an untrained
      // model's is ~543, one epoch's ~205)
      expect(one.summary.testLoss).toBeLessThan(230);
      expect(Math.abs(two.summary.testLoss - one.summary.testLoss)).toBeLessThan(0.1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
