// The Embedding's point layer: draws up to 100,000+ coloured points for a view. WebGL2 when the
// browser has it (points-webgl2.ts), else a 2-D canvas (this file's fallback).
import { screenX, screenY, type View } from './geometry.ts';

export const BACKGROUND = '#101217';

/** What a draw did: rasterised every point, moved the last full frame (mid-gesture), or nothing. */
export type DrawKind = 'full' | 'moved' | 'none';

export interface PointLayer {
  /** What draws now: 'canvas2d' also while a lost WebGL context is replaced by the fallback. */
  readonly kind: 'webgl2' | 'canvas2d';
  /** points: N × 2 data coordinates; colours: N × RGBA bytes; order: the visible points, first drawn first. */
  setData(points: Float32Array, colours: Uint8Array, order: Uint32Array): void;
  /**
   * Draws the points for this view; `radius` in CSS pixels, `dpr` device pixels per CSS pixel.
   * `moving`: a frame in the middle of a pan or zoom, which may show the last full frame moved and
   * scaled instead (the caller draws again with `moving` false when the gesture ends).
   */
  draw(view: View, radius: number, dpr: number, moving?: boolean): DrawKind;
  destroy(): void;
}

/** The 2-D canvas fallback: one fillRect per point, the fill colour set only when it changes. */
export class Canvas2dPoints implements PointLayer {
  readonly kind = 'canvas2d' as const;
  private points: Float32Array = new Float32Array(0);
  private colours: Uint8Array = new Uint8Array(0);
  private order: Uint32Array = new Uint32Array(0);

  constructor(private readonly canvas: HTMLCanvasElement) {}

  setData(points: Float32Array, colours: Uint8Array, order: Uint32Array): void {
    this.points = points;
    this.colours = colours;
    this.order = order;
  }

  draw(view: View, radius: number, dpr: number): DrawKind {
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return 'none';
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.globalAlpha = 1;
    ctx.fillStyle = BACKGROUND;
    ctx.fillRect(0, 0, view.width, view.height);
    const { points: p, colours: c, order } = this;
    let last = -1;
    for (let o = 0; o < order.length; o++) {
      const i = order[o];
      const key = (c[4 * i] << 16) | (c[4 * i + 1] << 8) | c[4 * i + 2];
      if (key !== last) {
        last = key;
        ctx.fillStyle = `rgb(${c[4 * i]},${c[4 * i + 1]},${c[4 * i + 2]})`;
        ctx.globalAlpha = c[4 * i + 3] / 255;
      }
      ctx.fillRect(screenX(view, p[2 * i]) - radius, screenY(view, p[2 * i + 1]) - radius, 2 * radius, 2 * radius);
    }
    ctx.globalAlpha = 1;
    return 'full';
  }

  destroy(): void {}
}
