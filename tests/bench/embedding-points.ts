// Benchmark of the Embedding's point layer at 100,000 points: frames per second while panning and
// zooming every animation frame. Three runs in the same page on the same points: WebGL2 as the view
// drives it during a gesture (the last snapshot moved and scaled, new snapshots drawn a chunk a
// frame), WebGL2 rasterising every point every frame (what it did before), and the 2-D canvas fallback.
// Frames are counted twice: animation frames in the page, and frames the compositor drew (Chromium's
// trace, DrawFrame), i.e. what reaches the screen. After the gesture, the settle time: until every
// point is drawn for where it stopped and the next frame starts. Chromium runs with --disable-gpu as
// in the tests, so WebGL2 is SwiftShader (software rendering on the CPU): a GPU draws faster. The page
// is the view's own modules bundled by esbuild.
// Usage: node --import tsx tests/bench/embedding-points.ts [--points 100000] [--seconds 4]
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from '@playwright/test';
import type { Mode, PanZoomResult } from './_embedding-points-page.ts';
import { CHUNK } from '../../renderer/src/explorer/embedding/points-webgl2.ts';

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
  const run = (n: number, prefer: 'webgl2' | 'canvas2d', mode: Mode) =>
    page.evaluate(
      ({ n, prefer, seconds, mode }) => (window as unknown as { panZoom: (n: number, p: string, s: number, m: string) => Promise<PanZoomResult> }).panZoom(n, prefer, seconds, mode),
      { n, prefer, seconds: SECONDS, mode },
    );
  /** The run, with the frames the compositor presented in it (Chromium's trace), not only the animation frames the page asked for. */
  const traced = async (n: number, prefer: 'webgl2' | 'canvas2d', mode: Mode) => {
    await browser.startTracing(page, { categories: ['disabled-by-default-devtools.timeline.frame'] });
    const r = await run(n, prefer, mode);
    const trace = JSON.parse((await browser.stopTracing()).toString('utf8')) as { traceEvents: { name: string; ts: number }[] };
    const drawn = trace.traceEvents.filter((e) => e.name === 'DrawFrame').map((e) => e.ts);
    // Only the gesture's span (the trace also holds the set-up and the settling frames).
    const first = drawn.length ? Math.min(...drawn) : 0;
    const inGesture = drawn.filter((ts) => ts - first <= r.seconds * 1e6).length;
    return { ...r, presentedFps: inGesture / r.seconds };
  };
  console.log(`Embedding point layer, ${N.toLocaleString()} points, pan + zoom every frame for ${SECONDS} s, 1000×560 canvas, devicePixelRatio 1`);
  console.log(`Chromium --disable-gpu; WebGL2 renderer: ${renderer}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${(await import('node:os')).availableParallelism()} cores`);
  const gesture = await traced(N, 'webgl2', 'gesture');
  const every = await traced(N, 'webgl2', 'every-frame');
  const c2d = await traced(N, 'canvas2d', 'every-frame');
  for (const r of [gesture, every, c2d]) {
    const name = `${r.renderer}, ${r.mode === 'gesture' ? 'as the view pans (moves the last snapshot; a new one at most every 400 ms)' : 'every point every frame'}`;
    console.log(`  ${name}`);
    console.log(
      `    ${r.fps.toFixed(1).padStart(5)} animation frames/s, ${r.presentedFps.toFixed(1)} presented/s (trace); frame median ${r.medianFrameMs.toFixed(1)} ms, p95 ${r.p95FrameMs.toFixed(1)} ms; draw call median ${r.medianDrawMs.toFixed(2)} ms; ${r.fullFrames} of ${r.frames} frames fully drawn${r.mode === 'gesture' ? `, ${r.refreshes} snapshots redrawn ${(CHUNK / 1000).toFixed(0)}k points a frame` : ''}; settle ${r.settleMs.toFixed(0)} ms`,
    );
  }
  const fps = Math.min(gesture.fps, gesture.presentedFps);
  console.log(`  gesture / every frame redrawn: ${(gesture.fps / every.fps).toFixed(1)}×; gesture / 2-D canvas: ${(gesture.fps / c2d.fps).toFixed(1)}×`);
  console.log(`  target ≥ 30 frames/s while panning and zooming: ${fps >= 30 ? 'met' : 'NOT met'} (${fps.toFixed(1)}); the full map is back ${gesture.settleMs.toFixed(0)} ms after the gesture ends`);
} finally {
  await browser.close();
}
