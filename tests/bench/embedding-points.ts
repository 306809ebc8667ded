// Benchmark of the Embedding's point layer at 100,000 points: frames per second while panning and
// zooming every animation frame, WebGL2 against the 2-D canvas fallback (the reference, same page,
// same points). Chromium runs with --disable-gpu as in the tests, so WebGL2 is SwiftShader (software
// rendering on the CPU): a GPU draws faster. The page is the view's own modules bundled by esbuild.
// Usage: node --import tsx tests/bench/embedding-points.ts [--points 100000] [--seconds 4]
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from '@playwright/test';
import type { PanZoomResult } from './_embedding-points-page.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('--points', 100_000);
const SECONDS = arg('--seconds', 4);

const bundle = await build({
  entryPoints: [fileURLToPath(new URL('./_embedding-points-page.ts', import.meta.url))],
  bundle: true,
  format: 'iife',
  write: false,
  logLevel: 'error',
});
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  await page.setContent('<!doctype html><body style="margin:0;background:#000"></body>');
  await page.addScriptTag({ content: bundle.outputFiles[0].text });
  const renderer = await page.evaluate(() => {
    const gl = document.createElement('canvas').getContext('webgl2');
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    return gl ? (info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : 'WebGL2') : 'no WebGL2';
  });
  const run = (n: number, prefer: 'webgl2' | 'canvas2d') =>
    page.evaluate(({ n, prefer, seconds }) => (window as unknown as { panZoom: (n: number, p: string, s: number) => Promise<PanZoomResult> }).panZoom(n, prefer, seconds), { n, prefer, seconds: SECONDS });
  console.log(`Embedding point layer, ${N.toLocaleString()} points, pan + zoom every frame for ${SECONDS} s, 1000×560 canvas`);
  console.log(`Chromium --disable-gpu; WebGL2 renderer: ${renderer}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${(await import('node:os')).availableParallelism()} cores`);
  const gl = await run(N, 'webgl2');
  const c2d = await run(N, 'canvas2d');
  for (const r of [gl, c2d]) {
    console.log(
      `  ${r.renderer.padEnd(9)} ${r.fps.toFixed(1).padStart(6)} frames/s  frame median ${r.medianFrameMs.toFixed(1)} ms, p95 ${r.p95FrameMs.toFixed(1)} ms; draw call median ${r.medianDrawMs.toFixed(2)} ms (${r.frames} frames)`,
    );
  }
  console.log(`  WebGL2 / 2-D canvas frame rate: ${(gl.fps / c2d.fps).toFixed(1)}×; target ≥ 30 frames/s: ${gl.fps >= 30 ? 'met' : 'NOT met'}`);
} finally {
  await browser.close();
}
