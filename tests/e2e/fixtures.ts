// A browser host per test file, with its own empty data folder, started the way a user starts it.
import { test as base, expect } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface Host {
  url: string;
  port: number;
  dataDir: string;
  /** The `serve` process; the engine runs as its child. */
  pid: number;
}

export function startServe(extraEnv: Record<string, string> = {}): Promise<{ host: Host; process: ChildProcess }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'le-e2e-'));
  const child = spawn(process.execPath, ['bin/latent-explorer.mjs', 'serve', '--port', '0', '--json'], {
    // One training thread unless asked: on a shared 2-core CI machine a second thread waits for CPU at
    // every step's synchronisation, and the UI tests' time limits assume one (training-parallel tests the rest).
    // The wasm rung unless asked: on a machine with native TensorFlow or a WebGPU adapter the ladder would
    // take those, where training takes one thread whatever the Threads field says.
    env: { ...process.env, LATENT_EXPLORER_THREADS: process.env.LATENT_EXPLORER_THREADS ?? '1', LATENT_EXPLORER_BACKEND: process.env.LATENT_EXPLORER_BACKEND ?? 'wasm', LATENT_EXPLORER_DATA: dataDir, ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error('serve did not print its URL in 60 s')), 60_000);
    lines.on('line', (line) => {
      try {
        const event = JSON.parse(line);
        if (event.event === 'listening') {
          clearTimeout(timer);
          resolve({ host: { url: event.url, port: event.port, dataDir, pid: child.pid! }, process: child });
        }
      } catch {
        // not a JSON line
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with code ${code}`)));
  });
}

export const test = base.extend<object, { host: Host }>({
  host: [
    async ({}, use) => {
      const { host, process: child } = await startServe();
      await use(host);
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(host.dataDir, { recursive: true, force: true });
    },
    { scope: 'worker' },
  ],
});

export { expect };

/** Screenshots go to screenshots/ (outside Playwright's output folder, which each run empties) so a person can look at every view. */
export const screenshotPath = (name: string) => join('screenshots', `${name}.png`);
