// electron-vite builds three things: Electron main (+ the engine process entry, bundled beside it),
// the sandboxed preload, and the Svelte renderer that the browser host serves too.
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve('electron/shell/main.ts'),
          engine: resolve('electron/engine/main.ts'),
          // The t-SNE worker thread's entry; tsne-runner.ts looks for it next to the engine.
          'tsne-worker': resolve('electron/engine/projections/tsne-worker.ts'),
          // The import's decode pool worker; decode-pool.ts looks for it next to the engine.
          'decode-worker': resolve('electron/engine/datasets/decode-worker.ts'),
          // The data-parallel training workers' entry; training/parallel/stepper.ts looks for it next to the engine.
          'train-worker': resolve('electron/engine/training/parallel/train-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload cannot require(): bundle everything into one CommonJS file.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('electron/shell/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('renderer'),
    base: './',
    plugins: [svelte()],
    build: {
      outDir: resolve('out/renderer'),
      emptyOutDir: true,
      rollupOptions: { input: resolve('renderer/index.html') },
    },
  },
});
