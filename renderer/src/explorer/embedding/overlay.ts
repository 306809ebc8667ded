// What is drawn above the points on a transparent 2-D canvas: the latent plane's axes, the anchor and
// hover rings, the lasso, and the cross where the decoder is sampled. Redrawn alone on hover, so the
// points are not redrawn when only the pointer moves.
import { screenX, screenY, type View } from './geometry.ts';
import type { Polygon } from './lasso.ts';

export interface OverlayScene {
  view: View;
  points: Float32Array | null;
  /** Axis names when the layout is the raw latent plane (axes through z = 0). */
  axes?: { x: string; y: string } | null;
  anchor?: number | null;
  /** The far end of the walk from the anchor (a point index). */
  walkTarget?: number | null;
  /** Images placed on this layout, count × 2 in the points' coordinates: white diamonds. */
  placed?: Float32Array | null;
  hover?: number | null;
  lasso?: Polygon | null;
  /** Screen position of a decoded empty-space sample. */
  probe?: [number, number] | null;
}

export function drawOverlay(canvas: HTMLCanvasElement, scene: OverlayScene, dpr: number): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const { view, points: p } = scene;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, view.width, view.height);
  if (scene.axes) drawAxes(ctx, view, scene.axes);
  if (!p) return;
  const ring = (i: number, colour: string, radius: number) => {
    if (2 * i + 1 >= p.length) return;
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(screenX(view, p[2 * i]), screenY(view, p[2 * i + 1]), radius, 0, 2 * Math.PI);
    ctx.stroke();
  };
  if (scene.anchor !== null && scene.anchor !== undefined) ring(scene.anchor, '#ffffff', 7);
  if (scene.walkTarget !== null && scene.walkTarget !== undefined) ring(scene.walkTarget, '#7ee0c3', 7);
  if (scene.placed) drawPlaced(ctx, view, scene.placed);
  if (scene.hover !== null && scene.hover !== undefined) ring(scene.hover, '#ffb86b', 5);
  if (scene.probe) {
    const [x, y] = scene.probe;
    ctx.strokeStyle = '#8be9fd';
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(x - 6, y);
    ctx.lineTo(x + 6, y);
    ctx.moveTo(x, y - 6);
    ctx.lineTo(x, y + 6);
    ctx.stroke();
  }
  const lasso = scene.lasso;
  if (lasso && lasso.length > 1) {
    ctx.strokeStyle = '#ffb86b';
    ctx.lineWidth = 1;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(lasso[0][0], lasso[0][1]);
    for (const [x, y] of lasso) ctx.lineTo(x, y);
    ctx.closePath();
    ctx.stroke();
    ctx.setLineDash([]);
  }
}

function drawPlaced(ctx: CanvasRenderingContext2D, view: View, placed: Float32Array): void {
  ctx.fillStyle = '#ffffff';
  ctx.strokeStyle = '#101217';
  ctx.lineWidth = 1.5;
  for (let i = 0; i + 1 < placed.length; i += 2) {
    const x = screenX(view, placed[i]);
    const y = screenY(view, placed[i + 1]);
    ctx.beginPath();
    ctx.moveTo(x, y - 8);
    ctx.lineTo(x + 8, y);
    ctx.lineTo(x, y + 8);
    ctx.lineTo(x - 8, y);
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
  }
}

function drawAxes(ctx: CanvasRenderingContext2D, view: View, names: { x: string; y: string }): void {
  const sx = (x: number) => screenX(view, x);
  const sy = (y: number) => screenY(view, y);
  ctx.strokeStyle = '#3a4050';
  ctx.fillStyle = '#9aa1b2';
  ctx.lineWidth = 1;
  ctx.font = '11px sans-serif';
  ctx.beginPath();
  ctx.moveTo(0, sy(0));
  ctx.lineTo(view.width, sy(0));
  ctx.moveTo(sx(0), 0);
  ctx.lineTo(sx(0), view.height);
  ctx.stroke();
  for (let v = -4; v <= 4; v++) {
    if (!v) continue;
    ctx.fillText(String(v), sx(v) - 3, sy(0) + 12);
    ctx.fillText(String(-v), sx(0) + 4, sy(v) + 4);
  }
  ctx.fillText(`${names.x} →`, view.width - 80, sy(0) - 6);
  ctx.fillText(`↑ ${names.y}`, sx(0) + 6, 14);
}
