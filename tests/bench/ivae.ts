// Identifiability benchmark (issue 14): sources conditionally independent given a segment u, mixed by a
// random invertible MLP (tests/unit/helpers/ica-data.ts), fitted by the iVAE (prior p(z|u) learned per
// segment) and by a plain VAE with the same networks, steps and seed. Score: the mean correlation
// coefficient (MCC) of the posterior means with the true sources after the best matching of dimensions
// (electron/engine/disentanglement/mcc.ts), as in Khemakhem et al. 2020. Env: SOURCES (3), SEGMENTS (15),
// STEPS (3000), LR (0.003), SEEDS (1,2,3); seed 1 is the unit test's case (tests/unit/ivae-identifiability.test.ts). Prints one line per seed and the means; times depend on the load (printed).
import * as tf from '@tensorflow/tfjs';
import { loadavg } from 'node:os';
import { initBackend } from '../../electron/engine/backend.ts';
import { defaultModelConfig } from '../../models/config.ts';
import { VaeModel } from '../../models/vae.ts';
import { meanCorrelationCoefficient } from '../../electron/engine/disentanglement/mcc.ts';
import { icaData } from '../unit/helpers/ica-data.ts';

const P = Number(process.env.SOURCES ?? 3);
const U = Number(process.env.SEGMENTS ?? 15);
const STEPS = Number(process.env.STEPS ?? 3000);
const LR = Number(process.env.LR ?? 3e-3);
const SEEDS = (process.env.SEEDS ?? '1,2,3').split(',').map(Number);
const N = 6000;
const B = 100;

await initBackend();
console.log(`load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}; ${P} sources, ${U} segments, ${N} points, ${STEPS} steps of ${B} at lr ${LR}, backend ${tf.getBackend()}`);

function fitAndScore(objective: 'ivae' | 'vae', data: ReturnType<typeof icaData>, seed: number, steps: number): number {
  const model = VaeModel.create(defaultModelConfig({ objective, imageSize: 4, channels: 1, latent: P, hidden: [64, 32], likelihood: 'gaussian', auxValues: U, seed, learningRate: LR }));
  const xt = tf.tensor4d(data.x, [data.n, 4, 4, 1]);
  for (let step = 0; step < steps; step++) {
    const start = (step * B) % data.n;
    const x = xt.slice([start, 0, 0, 0], [B, -1, -1, -1]);
    model.trainStep(x, objective === 'ivae' ? data.u.slice(start, start + B) : undefined, step);
    x.dispose();
  }
  const { mean, logVar } = model.encode(xt);
  const mcc = meanCorrelationCoefficient(data.sources, P, mean.dataSync(), P, data.n).mcc;
  tf.dispose([mean, logVar, xt]);
  model.dispose();
  return mcc;
}

const scores = { ivae: [] as number[], vae: [] as number[] };
for (const seed of SEEDS) {
  const data = icaData({ n: N, sources: P, segments: U, seed });
  const t0 = performance.now();
  const ivae = fitAndScore('ivae', data, seed, STEPS);
  const vae = fitAndScore('vae', data, seed, STEPS);
  scores.ivae.push(ivae);
  scores.vae.push(vae);
  console.log(`seed ${seed}: MCC iVAE ${ivae.toFixed(3)}, VAE ${vae.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
const mean = (v: number[]) => v.reduce((a, x) => a + x, 0) / v.length;
console.log(`mean MCC over ${SEEDS.length} seeds: iVAE ${mean(scores.ivae).toFixed(3)}, VAE ${mean(scores.vae).toFixed(3)}`);
