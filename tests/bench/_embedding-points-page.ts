// The page side of the embedding-points benchmark (bundled by esbuild into a blank Chromium page):
// the Embedding view's own point layer and geometry, fed N clustered points, panned and zoomed every
// animation frame the way d3-zoom's transform moves them.
import { createPointLayer } from '../../renderer/src/explorer/embedding/points-webgl2.ts';
import { fitExtent, pointRadius, type View } from '../../renderer/src/explorer/embedding/geometry.ts';
import { categoricalColours, drawOrder } from '../../renderer/src/explorer/embedding/colours.ts';
import { classColours, UNLABELLED } from '../../renderer/src/explorer/draw.ts';

export interface PanZoomResult {
  renderer: string;
  mode: Mode;
  frames: number;
  /** Frames in which every point was rasterised (the rest moved the last full frame). */
  fullFrames: number;
  /** New snapshots drawn a chunk a frame during the gesture (WebGL2 only). */
  refreshes: number;
  seconds: number;
  fps: number;
  medianFrameMs: number;
  p95FrameMs: number;
  medianDrawMs: number;
  /** After the gesture: from the settling frame's start until the next frame starts, the full redraw finished (median of 5). */
  settleMs: number;
}

/** 'gesture': what the view does (frames mid-gesture may move the last full frame); 'every-frame': every point rasterised every frame. */
export type Mode = 'gesture' | 'every-frame';

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

const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));

async function panZoom(n: number, prefer: 'webgl2' | 'canvas2d', seconds: number, mode: Mode): Promise<PanZoomResult> {
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
  // A pan in a circle while zooming between 1x and 4x about the centre.
  const viewAt = (t: number): View => {
    const k = 2.5 + 1.5 * Math.sin(t * 1.3);
    return { width, height, fit, zoom: { k, x: (1 - k) * (width / 2) + 120 * Math.cos(t * 2), y: (1 - k) * (height / 2) + 80 * Math.sin(t * 2) } };
  };
  const moving = mode === 'gesture';
  layer.draw(viewAt(0), pointRadius(n, viewAt(0).zoom.k), 1);
  await nextFrame();
  const frameTimes: number[] = [];
  const drawTimes: number[] = [];
  let fullFrames = 0;
  const start = performance.now();
  let last = start;
  await new Promise<void>((resolve) => {
    const frame = (now: number) => {
      const view = viewAt((now - start) / 1000);
      const t0 = performance.now();
      if (layer.draw(view, pointRadius(n, view.zoom.k), 1, moving) === 'full') fullFrames++;
      drawTimes.push(performance.now() - t0);
      frameTimes.push(now - last);
      last = now;
      if (now - start < seconds * 1000) requestAnimationFrame(frame);
      else resolve();
    };
    requestAnimationFrame(frame);
  });
  const elapsed = (performance.now() - start) / 1000;
  const refreshes = (layer as { refreshes?: number }).refreshes ?? 0;
  // Settling: the gesture ends, every point is drawn for the view where it stopped. readPixels waits
  // for the GPU (SwiftShader) to finish, then the next animation frame starts once that frame is out.
  const gl = layer.kind === 'webgl2' ? canvas.getContext('webgl2') : null;
  const settles: number[] = [];
  for (let s = 0; s < 5; s++) {
    await nextFrame();
    const view = viewAt(0.37 * (s + 1));
    layer.draw(view, pointRadius(n, view.zoom.k), 1, true);
    const t0 = await nextFrame();
    layer.draw(view, pointRadius(n, view.zoom.k), 1, false);
    gl?.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
    settles.push((await nextFrame()) - t0);
  }
  layer.destroy();
  canvas.remove();
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)];
  const f = sorted(frameTimes.slice(5));
  return {
    renderer: layer.kind,
    mode,
    frames: frameTimes.length,
    fullFrames,
    refreshes,
    seconds: elapsed,
    fps: frameTimes.length / elapsed,
    medianFrameMs: median(f),
    p95FrameMs: f[Math.floor(0.95 * f.length)],
    medianDrawMs: median(drawTimes.slice(5)),
    settleMs: median(settles),
  };
}

(window as unknown as { panZoom: typeof panZoom }).panZoom = panZoom;
