// One training step's loss and gradients on the WebGPU rung against the reference `cpu` backend, for the
// MLP and conv VAEs, the semi-supervised model and every other objective trained by gradient steps, in a process of its own (webgpu-ops.test.ts starts it:
// the adapter depends on variables a process takes as it starts). Prints one JSON line:
//   { ok: true, label, results: [{ model, tensors, worst }] }, worst the largest |webgpu − cpu| over a
//   tensor's largest |cpu| (at least 1e-3), over the loss and every gradient; or { ok: false, reason }.
//   node --import tsx tests/unit/helpers/webgpu-step-check.ts
import * as tf from '@tensorflow/tfjs';
import { defaultModelConfig, type ModelConfig } from '../../../models/config.ts';
import { VaeModel } from '../../../models/vae.ts';

// The wasm backend's package loads with the models (their native kernels patch it); it is never started here.
const { startWebgpu, webgpuAdapter } = await import('../../../electron/engine/backend.ts');
// reads here are asynchronous (TF.js's synchronous ones need an OffscreenCanvas, which Node lacks)
const reason = await startWebgpu({ allowSoftware: true });
if (reason !== null) {
  console.log(JSON.stringify({ ok: false, reason }));
  process.exit(0);
}
const label = `WebGPU (${webgpuAdapter() ?? 'GPU'})`;

/** Loss and gradients of one step of `config` on `backend`, as plain arrays. */
async function step(config: ModelConfig, backend: string): Promise<number[][]> {
  if (!(await tf.setBackend(backend))) throw new Error(`${backend} did not start`);
  await tf.ready();
  const model = VaeModel.create(config);
  const x = tf.tidy(() => tf.randomUniform([6, config.imageSize, config.imageSize, config.channels], 0, 1, 'float32', 5)) as tf.Tensor4D;
  // ssvae: labels (−1 unlabelled); ivae: the auxiliary u per image; fair-vae: the private s per image
  const labels = config.objective === 'ssvae' ? Int32Array.from([0, 1, -1, 2, -1, 0]) : config.objective === 'ivae' ? Int32Array.from([0, 1, 2, 0, 1, 2]) : undefined;
  const priv = config.objective === 'fair-vae' ? Int32Array.from([0, 1, 0, 1, 0, 1]) : undefined;
  const { value, grads } = tf.variableGrads(() => model.lossTerms(x, labels, 7, undefined, priv).loss, model.trainableVariables());
  const out = [Array.from(await value.data())];
  // a variable the loss does not reach (the denoising autoencoder's unused log-variance layer) has no gradient
  for (const v of model.trainableVariables()) out.push(grads[v.name] ? Array.from(await grads[v.name].data()) : []);
  tf.dispose([value, ...Object.values(grads), x]);
  model.dispose();
  return out;
}

const models: [string, ModelConfig][] = [
  ['MLP VAE', defaultModelConfig({ latent: 2, hidden: [32, 8] })],
  ['conv VAE', defaultModelConfig({ arch: 'conv', imageSize: 16, channels: 3, latent: 4, convFilters: [8, 8] })],
  ['semi-supervised', defaultModelConfig({ objective: 'ssvae', latent: 6, style: 2, numClasses: 3, hidden: [32, 8] })],
  ['β-TCVAE', defaultModelConfig({ objective: 'beta-tcvae', latent: 3, hidden: [32, 8], tcWeights: { mi: 1, tc: 5, dimKl: 1 }, datasetSize: 1000 })],
  ['IWAE, K = 3', defaultModelConfig({ objective: 'iwae', samples: 3, latent: 2, hidden: [32, 8] })],
  ['denoising autoencoder', defaultModelConfig({ objective: 'dae', latent: 2, hidden: [32, 8], noise: { kind: 'mask', level: 0.3 } })],
  ['iVAE', defaultModelConfig({ objective: 'ivae', auxValues: 3, latent: 2, hidden: [32, 8], likelihood: 'gaussian' })],
  ['fair VAE, MMD', defaultModelConfig({ objective: 'fair-vae', latent: 3, hidden: [32, 8], fair: { values: 2, prior: [0.5, 0.5], penalty: 'mmd', weight: 10, dropout: 0 } })],
  ['fair VAE, adversary', defaultModelConfig({ objective: 'fair-vae', latent: 3, hidden: [32, 8], fair: { values: 2, prior: [0.5, 0.5], penalty: 'adversary', weight: 10, dropout: 0 } })],
];
const results = [];
for (const [name, config] of models) {
  const gpu = await step(config, 'webgpu');
  const cpu = await step(config, 'cpu');
  let worst = 0;
  cpu.forEach((ref, i) => {
    if (gpu[i].length !== ref.length) worst = Infinity; // a gradient one backend gives and the other does not
    const scale = Math.max(1e-3, ...ref.map(Math.abs));
    worst = Math.max(worst, ...ref.map((v, k) => Math.abs(v - gpu[i][k]) / scale));
  });
  results.push({ model: name, tensors: cpu.length, worst });
}
console.log(JSON.stringify({ ok: true, label, results }));
process.exit(0);
