// The page side of the embedding-points benchmark (bundled by esbuild into a blank Chromium page):
// the Embedding view's own point layer and geometry, fed N clustered points, panned and zoomed every
// animation frame the way d3-zoom's transform moves them.
import { createPointLayer } from '../../renderer/src/explorer/embedding/points-webgl2.ts';
import { fitExtent, pointRadius, type View } from '../../renderer/src/explorer/embedding/geometry.ts';
import { categoricalColours, drawOrder } from '../../renderer/src/explorer/embedding/colours.ts';
import { classColours, UNLABELLED } from '../../renderer/src/explorer/draw.ts';

export interface PanZoomResult {
  renderer: string;
  frames: number;
  seconds: number;
  fps: number;
  medianFrameMs: number;
  p95FrameMs: number;
  medianDrawMs: number;
}

function clusters(n: number, seed: number): { points: Float32Array; labels: Int32Array } {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const points = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 10;
    labels[i] = k;
    points[2 * i] = 30 * Math.cos((k / 10) * 2 * Math.PI) + 6 * gauss();
    points[2 * i + 1] = 30 * Math.sin((k / 10) * 2 * Math.PI) + 6 * gauss();
  }
  return { points, labels };
}

async function panZoom(n: number, prefer: 'webgl2' | 'canvas2d', seconds: number): Promise<PanZoomResult> {
  const width = 1000;
  const height = 560;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  document.body.appendChild(canvas);
  const layer = createPointLayer(canvas, prefer);
  const { points, labels } = clusters(n, 1);
  layer.setData(points, categoricalColours(labels, classColours(10), UNLABELLED), drawOrder(labels, 10, () => true));
  const fit = fitExtent(points, width, height, 24);
  const frameTimes: number[] = [];
  const drawTimes: number[] = [];
  const start = performance.now();
  let last = start;
  await new Promise<void>((resolve) => {
    const frame = (now: number) => {
      const t = (now - start) / 1000;
      // A pan in a circle while zooming between 1x and 4x about the centre.
      const k = 2.5 + 1.5 * Math.sin(t * 1.3);
      const view: View = { width, height, fit, zoom: { k, x: (1 - k) * (width / 2) + 120 * Math.cos(t * 2), y: (1 - k) * (height / 2) + 80 * Math.sin(t * 2) } };
      const t0 = performance.now();
      layer.draw(view, pointRadius(n, k), 1);
      drawTimes.push(performance.now() - t0);
      frameTimes.push(now - last);
      last = now;
      if (now - start < seconds * 1000) requestAnimationFrame(frame);
      else resolve();
    };
    requestAnimationFrame(frame);
  });
  const elapsed = (performance.now() - start) / 1000;
  layer.destroy();
  canvas.remove();
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const f = sorted(frameTimes.slice(5));
  const d = sorted(drawTimes.slice(5));
  return {
    renderer: layer.kind,
    frames: frameTimes.length,
    seconds: elapsed,
    fps: frameTimes.length / elapsed,
    medianFrameMs: f[Math.floor(f.length / 2)],
    p95FrameMs: f[Math.floor(0.95 * f.length)],
    medianDrawMs: d[Math.floor(d.length / 2)],
  };
}

(window as unknown as { panZoom: typeof panZoom }).panZoom = panZoom;
