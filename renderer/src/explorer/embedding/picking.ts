// Which point is under the pointer: a d3 quadtree over the visible points in data space, built once
// per layout (not per zoom), searched within a radius given in screen pixels.
import { quadtree, type Quadtree } from 'd3';
import { dataPerPixel, dataX, dataY, type View } from './geometry.ts';

export class PointPicker {
  private tree: Quadtree<number> | null = null;

  constructor(
    private readonly points: Float32Array,
    /** Visible points (indices into `points`). */
    private readonly visible: ArrayLike<number>,
  ) {}

  /** The visible point nearest to screen (px, py) within `radiusPx`, or null. */
  nearest(view: View, px: number, py: number, radiusPx = 10): number | null {
    if (!this.tree) {
      const p = this.points;
      this.tree = quadtree<number>()
        .x((i) => p[2 * i])
        .y((i) => p[2 * i + 1])
        .addAll(Array.from(this.visible));
    }
    return this.tree.find(dataX(view, px), dataY(view, py), radiusPx * dataPerPixel(view)) ?? null;
  }
}
