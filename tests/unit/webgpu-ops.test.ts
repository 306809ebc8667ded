// The WebGPU rung: every op of a training step (MLP and conv VAEs, semi-supervised head) gives the same
// loss and gradients as the reference `cpu` backend. Runs where Dawn finds a WebGPU adapter; elsewhere
// it is skipped and says why (here: no Vulkan driver Dawn can use; Debian's lavapipe lacks a feature
// Dawn requires).
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { defaultModelConfig, type ModelConfig } from '../../models/config.ts';
import { VaeModel } from '../../models/vae.ts';

const previous = process.env.LATENT_EXPLORER_BACKEND;
process.env.LATENT_EXPLORER_BACKEND = 'webgpu';
const { initBackend } = await import('../../electron/engine/backend.ts');
const info = await initBackend();
process.env.LATENT_EXPLORER_BACKEND = previous;
const webgpu = info.attempts.find((a) => a.name === 'webgpu')!;
const reason = webgpu.ok ? '' : ` (skipped: ${webgpu.reason})`;

/** Loss and gradients of one step of `config` on `backend`, as plain arrays. */
async function step(config: ModelConfig, backend: string): Promise<number[][]> {
  await tf.setBackend(backend);
  await tf.ready();
  const model = VaeModel.create(config);
  const s = config.imageSize;
  const c = config.channels;
  const x = tf.tidy(() => tf.randomUniform([6, s, s, c], 0, 1, 'float32', 5)) as tf.Tensor4D;
  const labels = config.objective === 'ssvae' ? Int32Array.from([0, 1, -1, 2, -1, 0]) : undefined;
  const out = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => model.lossTerms(x, labels, 7).loss, model.trainableVariables());
    return [Array.from(value.dataSync()), ...model.trainableVariables().map((v) => Array.from(grads[v.name].dataSync()))];
  });
  x.dispose();
  model.dispose();
  return out;
}

describe('WebGPU backend', () => {
  it.skipIf(!webgpu.ok)(`matches cpu on every op of the training step${reason}`, async () => {
    const configs = [
      defaultModelConfig({ latent: 2, hidden: [32, 8] }),
      defaultModelConfig({ arch: 'conv', imageSize: 16, channels: 3, latent: 4, convFilters: [8, 8] }),
      defaultModelConfig({ objective: 'ssvae', latent: 6, style: 2, numClasses: 3, hidden: [32, 8] }),
    ];
    for (const config of configs) {
      const gpu = await step(config, 'webgpu');
      const cpu = await step(config, 'cpu');
      cpu.forEach((ref, i) => {
        const scale = Math.max(1e-3, ...ref.map(Math.abs));
        const diff = Math.max(...ref.map((v, k) => Math.abs(v - gpu[i][k])));
        expect(diff / scale, `${config.arch} ${config.objective}, ${i === 0 ? 'loss' : `gradient ${i}`}`).toBeLessThan(1e-3);
      });
    }
  });

  it('the ladder names the WebGPU rung and its outcome', () => {
    expect(webgpu.package).toMatch(/tfjs-backend-webgpu/);
    expect(webgpu.ok || (webgpu.reason ?? '').length > 10).toBe(true);
    if (!webgpu.ok) expect(info.backend).not.toBe('webgpu');
  });
});
