// The WebGPU rung. Every op of a training step (MLP and conv VAEs, semi-supervised model) gives the same
// loss and gradients as the reference `cpu` backend: on the machine's own adapter where Dawn finds one,
// else on SwiftShader (the CPU emulating a GPU) where Debian's Chromium brings it, as it does here (Dawn
// finds no other: Debian's lavapipe lacks a feature Dawn requires); skipped with the reason elsewhere. The
// checks run in processes of their own, since the adapter depends on variables a process takes as it starts.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { swiftshaderEnv } from './helpers/swiftshader.ts';

/** Runs a helper script with extra variables and returns its last line, parsed. */
function runHelper<T>(script: string, env: Record<string, string>): T {
  const path = fileURLToPath(new URL(`./helpers/${script}`, import.meta.url));
  const run = spawnSync(process.execPath, ['--import', 'tsx', path], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 240_000 });
  const last = run.stdout?.trim().split('\n').pop();
  if (run.status !== 0 || !last) {
    const lines = (run.stderr || run.error?.message || '').trim().split('\n');
    throw new Error(`${script} failed (${run.status}): ${lines.find((l) => /Error/.test(l))?.slice(0, 300) ?? lines.slice(-3).join(' ')}`);
  }
  return JSON.parse(last) as T;
}

type Check = { ok: true; label: string; results: { model: string; tensors: number; worst: number }[] } | { ok: false; reason: string };
type Ladder = { backend: string; label: string; webgpu: { ok: boolean; reason?: string } };

const software = swiftshaderEnv();
const own = runHelper<Check>('webgpu-step-check.ts', {});
const check = own.ok || !software ? own : runHelper<Check>('webgpu-step-check.ts', software);
const skipped = check.ok ? '' : ` (skipped: ${check.reason})`;

describe('WebGPU backend', () => {
  it.skipIf(!check.ok)(`matches cpu on every op of the training step${check.ok ? `, on ${check.label}` : skipped}`, () => {
    if (!check.ok) return;
    expect(check.results.map((r) => r.model)).toEqual(['MLP VAE', 'conv VAE', 'semi-supervised']);
    for (const r of check.results) {
      expect(r.tensors, `${r.model}: the loss and every gradient`).toBeGreaterThan(10);
      expect(r.worst, `${r.model}: largest difference from cpu, relative to the tensor's largest value`).toBeLessThan(1e-3);
    }
  });

  it.skipIf(!software)(`keeps training on the CPU with only a software adapter, or where results cannot be read back synchronously, and says why${software ? '' : ' (skipped: no SwiftShader from Chromium here)'}`, () => {
    const refused = runHelper<Ladder>('ladder-report.ts', { ...software!, LATENT_EXPLORER_WEBGPU_SOFTWARE: '0' });
    expect(refused.backend).toBe('wasm');
    expect(refused.webgpu.ok).toBe(false);
    expect(refused.webgpu.reason).toMatch(/software one \(SwiftShader.*slower than the CPU path/);
    // taken when asked for, the software adapter shows what any adapter meets in Node: TF.js's webgpu
    // backend cannot read results synchronously (an OffscreenCanvas), which the engine does; training
    // would fail at its first step, so the ladder goes on to wasm and names the reason
    const unreadable = runHelper<Ladder>('ladder-report.ts', software!);
    expect(unreadable.backend).toBe('wasm');
    expect(unreadable.label).toMatch(/WebAssembly/);
    expect(unreadable.webgpu.reason).toMatch(/started, but cannot read results back synchronously in Node/);
  });
});
