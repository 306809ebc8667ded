// The TF.js backend ladder: native TensorFlow with CUDA, native TensorFlow on the CPU, WebGPU (Dawn
// through the `webgpu` package: Metal, D3D12 or Vulkan), WebAssembly, plain JavaScript. Native packages are optional dependencies: present on a user's machine where they
// could install, absent here. TF.js silently falls back to 'cpu' when a backend fails to start, so
// every step checks tf.getBackend() and records why a faster backend is not in use.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import type { BackendAttempt, BackendInfo } from '../contract/api.ts';
import { nativeKernelsStatus } from '../../models/native/kernels.ts';

type Rung = BackendAttempt['name'];
const NATIVE: { name: Rung; pkg: string }[] = [
  { name: 'tensorflow-gpu', pkg: '@tensorflow/tfjs-node-gpu' },
  { name: 'tensorflow', pkg: '@tensorflow/tfjs-node' },
];

let current: Promise<BackendInfo> | null = null;

/** Picks the best backend once per process. LATENT_EXPLORER_BACKEND=webgpu|wasm|cpu forces a rung (tests, benchmarks). */
export function initBackend(): Promise<BackendInfo> {
  current ??= climbLadder(process.env.LATENT_EXPLORER_BACKEND);
  return current;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0].slice(0, 200);
}

function isNotInstalled(error: unknown, pkg: string): boolean {
  const code = (error as { code?: string })?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && firstLine(error).includes(pkg);
}

async function climbLadder(forced?: string): Promise<BackendInfo> {
  const attempts: BackendAttempt[] = [];
  const skip = (name: Rung, pkg: string, reason: string) => attempts.push({ name, package: pkg, ok: false, reason });

  for (const { name, pkg } of NATIVE) {
    if (forced && forced !== 'tensorflow' && forced !== name) {
      skip(name, pkg, `skipped: LATENT_EXPLORER_BACKEND=${forced}`);
      continue;
    }
    try {
      // A variable specifier keeps bundlers and the type checker from requiring the optional package.
      const specifier = pkg;
      await import(/* @vite-ignore */ specifier);
      if (!(await tf.setBackend('tensorflow')) || tf.getBackend() !== 'tensorflow') {
        skip(name, pkg, `${pkg} loaded but the 'tensorflow' backend did not start`);
        continue;
      }
      const gpu = name === 'tensorflow-gpu' && usesGpu();
      if (name === 'tensorflow-gpu' && !gpu) {
        skip(name, pkg, 'no CUDA device found; native TensorFlow runs on the CPU');
        attempts.push({ name: 'tensorflow', package: pkg, ok: true });
        return finish('tensorflow', 'TensorFlow native (CPU)', false, attempts);
      }
      attempts.push({ name, package: pkg, ok: true });
      return finish('tensorflow', gpu ? 'TensorFlow native (CUDA GPU)' : 'TensorFlow native (CPU)', gpu, attempts);
    } catch (error) {
      skip(name, pkg, isNotInstalled(error, pkg) ? `${pkg} not installed` : `${pkg} failed to load: ${firstLine(error)}`);
    }
  }

  const webgpuPackages = '@tensorflow/tfjs-backend-webgpu + webgpu';
  if (!forced || forced === 'webgpu') {
    const reason = await startWebgpu({ allowSoftware: process.env.LATENT_EXPLORER_WEBGPU_SOFTWARE === '1' });
    if (reason === null) {
      attempts.push({ name: 'webgpu', package: webgpuPackages, ok: true });
      return finish('webgpu', `WebGPU (${webgpuAdapterName ?? 'GPU'})`, true, attempts);
    }
    skip('webgpu', webgpuPackages, reason);
  } else {
    skip('webgpu', webgpuPackages, `skipped: LATENT_EXPLORER_BACKEND=${forced}`);
  }

  if (!forced || forced === 'wasm') {
    try {
      if ((await tf.setBackend('wasm')) && tf.getBackend() === 'wasm') {
        await tf.ready();
        const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
        attempts.push({ name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', ok: true });
        const native = nativeKernelsStatus();
        const kernels = native.loaded ? ` + native CPU kernels (${native.isa})` : '';
        // TF.js's own wasm build runs on one thread in Node (README, "Why these routes"): the training threads are
        // ours, and `info` and the status bar give their count, so the label does not say "single thread" beside it
        const label = `WebAssembly (${simd ? 'SIMD' : 'no SIMD'}${threads ? ', threaded build' : ''})${kernels}`;
        return { ...finish('wasm', label, false, attempts), kernels: { native: native.loaded, isa: native.isa, reason: native.reason } };
      }
      skip('wasm', '@tensorflow/tfjs-backend-wasm', `the wasm backend did not start (TF.js fell back to ${tf.getBackend()})`);
    } catch (error) {
      skip('wasm', '@tensorflow/tfjs-backend-wasm', `failed to start: ${firstLine(error)}`);
    }
  } else {
    skip('wasm', '@tensorflow/tfjs-backend-wasm', `skipped: LATENT_EXPLORER_BACKEND=${forced}`);
  }

  await tf.setBackend('cpu');
  await tf.ready();
  attempts.push({ name: 'cpu', package: '@tensorflow/tfjs', ok: true });
  return finish('cpu', 'plain JavaScript (slow)', false, attempts);
}

let webgpuAdapterName: string | null = null;

/** The adapter WebGPU started on (its description), once startWebgpu has. */
export function webgpuAdapter(): string | null {
  return webgpuAdapterName;
}

/** Linux: Dawn needs the Vulkan loader; without it, creating Dawn only prints a warning and finds nothing. */
function vulkanLoaderMissing(): boolean {
  if (process.platform !== 'linux') return false;
  const dirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib', ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)];
  return !dirs.some((d) => existsSync(`${d}/libvulkan.so.1`));
}

export interface WebgpuOptions {
  /** Take a software adapter (SwiftShader: the CPU emulating a GPU), which training refuses as slower than the CPU path. */
  allowSoftware: boolean;
}

/**
 * Starts TF.js's WebGPU backend on Dawn (npm `webgpu`) where an adapter exists and the options allow it;
 * null when it runs, else why not (the backend left as it was). The ladder refuses software adapters unless
 * LATENT_EXPLORER_WEBGPU_SOFTWARE=1. Results computed on the GPU can only be read back asynchronously in
 * Node (TF.js's synchronous read draws into an OffscreenCanvas, which Node lacks), so the engine reads
 * every result with data(), never dataSync(): a test trains, evaluates and decodes through the engine on
 * WebGPU (tests/unit/webgpu-ops.test.ts).
 */
export async function startWebgpu(options: WebgpuOptions): Promise<string | null> {
  const specifiers = { dawn: 'webgpu', backend: '@tensorflow/tfjs-backend-webgpu' };
  let dawn: {
    create(flags: string[]): { requestAdapter(): Promise<{ info?: { description?: string; vendor?: string; architecture?: string; isFallbackAdapter?: boolean } } | null> };
    globals: Record<string, unknown>;
  };
  try {
    dawn = (await import(/* @vite-ignore */ specifiers.dawn)) as typeof dawn;
  } catch (error) {
    return isNotInstalled(error, 'webgpu') ? 'webgpu (Dawn for Node) not installed' : `webgpu failed to load: ${firstLine(error)}`;
  }
  if (vulkanLoaderMissing()) return 'no WebGPU adapter: Dawn needs Vulkan on Linux and libvulkan.so.1 is not installed';
  // read without tf.getBackend(), which with none set yet would start the best registered one
  const before = (tf.engine() as unknown as { backendName: string | null }).backendName;
  try {
    const gpu = dawn.create([]);
    const adapter = await gpu.requestAdapter();
    if (!adapter)
      return "no WebGPU adapter: Dawn found no GPU it can use (on Linux a Vulkan driver with the features Dawn requires; Debian's lavapipe lacks one)";
    // A software adapter (SwiftShader) runs TF.js's shaders far slower than the wasm backend and its
    // native kernels (tests/unit/helpers/swiftshader.ts gives one where Debian's Chromium brings it).
    const software = adapter.info?.isFallbackAdapter === true;
    const name = adapter.info?.description || adapter.info?.vendor || 'unnamed';
    if (software && !options.allowSoftware) return `no WebGPU adapter but a software one (${name}, the CPU emulating a GPU): slower than the CPU path, so not used`;
    Object.assign(globalThis, dawn.globals);
    // TF.js looks for navigator.gpu; Node 20 has no navigator
    const nav = ((globalThis as unknown as { navigator?: object }).navigator ??= {});
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    webgpuAdapterName = software ? `${name}, software` : name;
    await import(/* @vite-ignore */ specifiers.backend);
    if (!(await tf.setBackend('webgpu')) || tf.getBackend() !== 'webgpu') return `the webgpu backend did not start (TF.js fell back to ${tf.getBackend()})`;
    await tf.ready();
    try {
      // big enough to run on the GPU (TF.js computes small ops on the CPU), read back as the engine reads
      const sum = tf.tidy(() => tf.add(tf.ones([64, 64]), tf.ones([64, 64])));
      const values = await sum.data().finally(() => sum.dispose());
      if (values[0] !== 2 || values[values.length - 1] !== 2) throw new Error(`1 + 1 gave ${values[0]}`);
    } catch (error) {
      if (before) await tf.setBackend(before);
      return `WebGPU (${webgpuAdapterName}) started, but a result computed on it could not be read back (${firstLine(error)}); training stays on the CPU`;
    }
    return null;
  } catch (error) {
    return `WebGPU failed to start: ${firstLine(error)}`;
  }
}

function usesGpu(): boolean {
  // tfjs-node-gpu exposes whether libtensorflow found a CUDA device on its binding.
  const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean; binding?: { isUsingGpuDevice?: () => boolean } };
  if (typeof backend.isUsingGpuDevice === 'boolean') return backend.isUsingGpuDevice;
  return backend.binding?.isUsingGpuDevice?.() ?? false;
}

function finish(backend: string, label: string, gpu: boolean, attempts: BackendAttempt[]): BackendInfo {
  return { backend, label, gpu, attempts };
}
