// The WebGPU rung. Every op of a training step (MLP and conv VAEs, semi-supervised model, and the β-TCVAE,
// IWAE, denoising autoencoder, iVAE and both fair VAEs) gives the same
// loss and gradients as the reference `cpu` backend, and a whole run trains, evaluates and decodes
// through the engine with the figures of the same run on wasm: on the machine's own adapter where Dawn finds one,
// else on SwiftShader (the CPU emulating a GPU) where Debian's Chromium brings it, as it does here (Dawn
// finds no other: Debian's lavapipe lacks a feature Dawn requires); skipped with the reason elsewhere. The
// checks run in processes of their own, since the adapter depends on variables a process takes as it starts.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { swiftshaderEnv } from './helpers/swiftshader.ts';
import type { Report } from './helpers/webgpu-train-check.ts';

/** Runs a helper script with extra variables and returns its last line, parsed. */
function runHelper<T>(script: string, env: Record<string, string>): T {
  const path = fileURLToPath(new URL(`./helpers/${script}`, import.meta.url));
  const run = spawnSync(process.execPath, ['--import', 'tsx', path], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 600_000 });
  const last = run.stdout?.trim().split('\n').pop();
  if (run.status !== 0 || !last) {
    const lines = (run.stderr || run.error?.message || '').trim().split('\n');
    throw new Error(`${script} failed (${run.status}): ${lines.find((l) => /Error/.test(l))?.slice(0, 300) ?? lines.slice(-3).join(' ')}`);
  }
  return JSON.parse(last) as T;
}

type Check = { ok: true; label: string; results: { model: string; tensors: number; worst: number }[] } | { ok: false; reason: string };
type Ladder = { backend: string; label: string; webgpu: { ok: boolean; reason?: string } };
type TrainCheck = Report;

const software = swiftshaderEnv();
const own = runHelper<Check>('webgpu-step-check.ts', {});
const check = own.ok || !software ? own : runHelper<Check>('webgpu-step-check.ts', software);
const skipped = check.ok ? '' : ` (skipped: ${check.reason})`;

describe('WebGPU backend', () => {
  it.skipIf(!check.ok)(`matches cpu on every op of the training step${check.ok ? `, on ${check.label}` : skipped}`, () => {
    if (!check.ok) return;
    expect(check.results.map((r) => r.model)).toEqual(['MLP VAE', 'conv VAE', 'semi-supervised', 'β-TCVAE', 'IWAE, K = 3', 'denoising autoencoder', 'iVAE', 'fair VAE, MMD', 'fair VAE, adversary']);
    for (const r of check.results) {
      expect(r.tensors, `${r.model}: the loss and every gradient`).toBeGreaterThan(10);
      expect(r.worst, `${r.model}: largest difference from cpu, relative to the tensor's largest value`).toBeLessThan(1e-3);
    }
  });

  it.skipIf(!software)(`refuses a software adapter unless asked, and says why${software ? '' : ' (skipped: no SwiftShader from Chromium here)'}`, () => {
    const refused = runHelper<Ladder>('ladder-report.ts', { ...software!, LATENT_EXPLORER_WEBGPU_SOFTWARE: '0' });
    expect(refused.backend).toBe('wasm');
    expect(refused.webgpu.ok).toBe(false);
    expect(refused.webgpu.reason).toMatch(/software one \(SwiftShader.*slower than the CPU path/);
    const taken = runHelper<Ladder>('ladder-report.ts', software!);
    expect(taken.backend).toBe('webgpu');
    expect(taken.label).toMatch(/^WebGPU \(SwiftShader.*software\)$/);
  });

  it.skipIf(!software)(`trains, evaluates and decodes a whole run through the engine on WebGPU, with the figures of the same run on wasm${software ? '' : ' (skipped: no SwiftShader from Chromium here)'}`, () => {
    // every result the engine reads is read asynchronously: one synchronous read fails this run on WebGPU
    const gpu = runHelper<TrainCheck>('webgpu-train-check.ts', { ...software!, LATENT_EXPLORER_BACKEND: 'webgpu' });
    const cpu = runHelper<TrainCheck>('webgpu-train-check.ts', { LATENT_EXPLORER_BACKEND: 'wasm' });
    if (!gpu.ok || !cpu.ok) throw new Error(`the run failed: ${gpu.ok ? '' : gpu.reason} ${cpu.ok ? '' : cpu.reason}`);
    expect(gpu.backend).toBe('webgpu');
    expect(cpu.backend).toBe('wasm');
    expect(gpu.runs.map((r) => r.model)).toEqual(['MLP VAE', 'semi-supervised']);
    gpu.runs.forEach((g, i) => {
      const c = cpu.runs[i];
      expect(g.recorded, g.model).toBe('webgpu');
      expect(g.testLoss, g.model).toHaveLength(2);
      expect(g.testLoss[1], `${g.model}: learning`).toBeLessThan(g.testLoss[0]);
      // the same seed, data and steps: the same figures up to float rounding
      g.testLoss.forEach((v, e) => expect(Math.abs(v - c.testLoss[e]) / c.testLoss[e], `${g.model} epoch ${e + 1} test −ELBO`).toBeLessThan(1e-4));
      expect(Math.abs(g.evalNegElbo - c.evalNegElbo) / c.evalNegElbo, `${g.model}: evaluated −ELBO`).toBeLessThan(1e-4);
      expect(Math.abs(g.evalNegIwae! - c.evalNegIwae!) / c.evalNegIwae!, `${g.model}: −IWAE`).toBeLessThan(1e-4);
      expect(g.evalNegIwae!, `${g.model}: −IWAE below −ELBO`).toBeLessThan(g.evalNegElbo);
      expect(g.accuracy).toBe(c.accuracy);
      expect(g.reconstructions, `${g.model}: live reconstructions`).toBeGreaterThanOrEqual(2);
      expect(g.decoded).toBe(4 * 784);
      expect(g.reconstructMatches).toBe(true);
      expect(g.classes).toBe(c.classes);
      expect(g.leaked, `${g.model}: tensors left`).toBe(0);
    });
    expect(gpu.runs[1].classes).toBe(4 * 10);
  }, 900_000);
});
