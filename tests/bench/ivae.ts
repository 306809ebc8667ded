// Identifiability benchmark (issue 14): sources conditionally independent given a segment u, mixed by a
// random invertible MLP (tests/unit/helpers/ica-data.ts), fitted by the iVAE (prior p(z|u) learned per
// segment) and by a plain VAE with the same networks, steps, restarts and seed (tests/unit/helpers/ica-fit.ts:
// of `RESTARTS` starts, the one with the best training −ELBO is kept; the true sources play no part in that
// choice). Score: the mean correlation coefficient (MCC) of the posterior means with the true sources after the
// best matching of dimensions (electron/engine/disentanglement/mcc.ts), as in Khemakhem et al. 2020.
// Env: SOURCES (3), SEGMENTS (15), N (6000), STEPS (3000), BATCH (100), LR (0.003), RESTARTS (1),
// SEEDS (1,2,3); RESTARTS=1 is the unit test's recipe (tests/unit/ivae-identifiability.test.ts:
// seed 1). Prints one line per seed (every start's −ELBO and MCC) and the means; times depend on the load.
import * as tf from '@tensorflow/tfjs';
import { loadavg } from 'node:os';
import { initBackend } from '../../electron/engine/backend.ts';
import { icaData } from '../unit/helpers/ica-data.ts';
import { fitIca, type IcaFit } from '../unit/helpers/ica-fit.ts';

const P = Number(process.env.SOURCES ?? 3);
const U = Number(process.env.SEGMENTS ?? 15);
const N = Number(process.env.N ?? 6000);
const STEPS = Number(process.env.STEPS ?? 3000);
const BATCH = Number(process.env.BATCH ?? 100);
const LR = Number(process.env.LR ?? 3e-3);
const RESTARTS = Number(process.env.RESTARTS ?? 1);
const SEEDS = (process.env.SEEDS ?? '1,2,3').split(',').map(Number);

await initBackend();
console.log(
  `load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}; ${P} sources, ${U} segments, ${N} points; ${RESTARTS} starts of ${STEPS} steps of ${BATCH} at lr ${LR}, the best training −ELBO kept; backend ${tf.getBackend()}`,
);

const starts = (f: IcaFit) => f.starts.map((s) => `${s.negElbo.toFixed(1)}/${s.mcc.toFixed(3)}`).join(' ');
const scores = { ivae: [] as number[], vae: [] as number[] };
for (const seed of SEEDS) {
  const data = icaData({ n: N, sources: P, segments: U, seed });
  const t0 = performance.now();
  const options = { seed, steps: STEPS, batch: BATCH, learningRate: LR, restarts: RESTARTS, segments: U, sources: P };
  const ivae = fitIca('ivae', data, options);
  const vae = fitIca('vae', data, options);
  scores.ivae.push(ivae.mcc);
  scores.vae.push(vae.mcc);
  console.log(
    `seed ${seed}: MCC iVAE ${ivae.mcc.toFixed(3)}, VAE ${vae.mcc.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s; starts −ELBO/MCC: iVAE ${starts(ivae)}; VAE ${starts(vae)})`,
  );
}
const mean = (v: number[]) => v.reduce((a, x) => a + x, 0) / v.length;
console.log(
  `mean MCC over ${SEEDS.length} seeds: iVAE ${mean(scores.ivae).toFixed(3)} (lowest ${Math.min(...scores.ivae).toFixed(3)}), VAE ${mean(scores.vae).toFixed(3)} (highest ${Math.max(...scores.vae).toFixed(3)}); smallest lead ${Math.min(...scores.ivae.map((v, i) => v - scores.vae[i])).toFixed(3)}; load average now ${loadavg()[0].toFixed(1)}`,
);
