// What the backend ladder should report on this machine, worked out from what is installed here, so the
// tests hold wherever they run: native TensorFlow where @tensorflow/tfjs-node(-gpu) installed, else WebGPU
// where Dawn (npm `webgpu`) finds an adapter, wasm elsewhere.
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import type { BackendInfo } from '../../../electron/contract/api.ts';

const NATIVE = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];
/** The rungs in the order electron/engine/backend.ts tries them. */
const LADDER = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

export function nativeInstalled(): string[] {
  const require = createRequire(import.meta.url);
  return NATIVE.filter((pkg) => {
    try {
      require.resolve(pkg);
      return true;
    } catch {
      return false;
    }
  });
}

/** The ladder's report is consistent: one rung in use, every rung above it says why not, and a missing native package is named. */
export function expectConsistentLadder(info: BackendInfo, forced?: string): void {
  const used = info.attempts.filter((a) => a.ok);
  expect(used).toHaveLength(1);
  expect(info.attempts.at(-1)).toBe(used[0]);
  const rung = used[0].name;
  expect(info.backend).toBe(rung.startsWith('tensorflow') ? 'tensorflow' : rung);
  for (const a of info.attempts.slice(0, -1)) {
    expect(a.ok).toBe(false);
    expect(a.reason, a.name).toMatch(/\S/);
  }
  const installed = nativeInstalled();
  for (const pkg of NATIVE.filter((p) => !installed.includes(p))) {
    const attempt = info.attempts.find((a) => a.package === pkg);
    expect(attempt?.reason, pkg).toMatch(forced ? new RegExp(`not installed|skipped: LATENT_EXPLORER_BACKEND=${forced}`) : /not installed/);
  }
  if (forced) return;
  // Unforced, the ladder climbs down in order and stops at the first rung that starts: native TensorFlow
  // where a native package loads; else WebGPU where Dawn finds an adapter (the webgpu attempt says which);
  // else wasm, a dependency, so never the cpu rung.
  expect(info.attempts.map((a) => a.name)).toEqual(LADDER.slice(0, info.attempts.length));
  const webgpu = info.attempts.find((a) => a.name === 'webgpu');
  const expected = webgpu?.ok ? 'webgpu' : 'wasm';
  if (installed.length === 0) expect(info.backend).toBe(expected);
  else expect(['tensorflow', expected]).toContain(info.backend);
}
