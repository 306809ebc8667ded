// The TF.js backend ladder: native TensorFlow with CUDA, native TensorFlow on the CPU, WebAssembly,
// plain JavaScript. Native packages are optional dependencies: present on a user's machine where they
// could install, absent here. TF.js silently falls back to 'cpu' when a backend fails to start, so
// every step checks tf.getBackend() and records why a faster backend is not in use.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendAttempt, BackendInfo } from '../contract/api.ts';

type Rung = BackendAttempt['name'];
const NATIVE: { name: Rung; pkg: string }[] = [
  { name: 'tensorflow-gpu', pkg: '@tensorflow/tfjs-node-gpu' },
  { name: 'tensorflow', pkg: '@tensorflow/tfjs-node' },
];

let current: Promise<BackendInfo> | null = null;

/** Picks the best backend once per process. LATENT_EXPLORER_BACKEND=wasm|cpu forces a rung (tests, benchmarks). */
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

  if (!forced || forced === 'wasm') {
    try {
      if ((await tf.setBackend('wasm')) && tf.getBackend() === 'wasm') {
        await tf.ready();
        const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
        attempts.push({ name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', ok: true });
        const label = `WebAssembly (${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'multi-threaded' : 'single thread'})`;
        return finish('wasm', label, false, attempts);
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

function usesGpu(): boolean {
  // tfjs-node-gpu exposes whether libtensorflow found a CUDA device on its binding.
  const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean; binding?: { isUsingGpuDevice?: () => boolean } };
  if (typeof backend.isUsingGpuDevice === 'boolean') return backend.isUsingGpuDevice;
  return backend.binding?.isUsingGpuDevice?.() ?? false;
}

function finish(backend: string, label: string, gpu: boolean, attempts: BackendAttempt[]): BackendInfo {
  return { backend, label, gpu, attempts };
}
