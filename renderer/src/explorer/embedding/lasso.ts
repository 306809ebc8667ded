// The lasso: a polygon drawn in screen pixels while the pointer is down, and the visible points it
// encloses once released. A bounding-box test first keeps 100,000 points fast.
import { polygonContains } from 'd3';
import { screenX, screenY, type View } from './geometry.ts';

export type Polygon = [number, number][];

export class Lasso {
  /** The polygon being drawn, or null when no lasso is in progress. */
  path: Polygon | null = null;

  start(x: number, y: number): void {
    this.path = [[x, y]];
  }

  extend(x: number, y: number): boolean {
    if (!this.path) return false;
    this.path.push([x, y]);
    return true;
  }

  /** Ends the lasso; returns its polygon if it encloses an area (3 or more corners). */
  finish(): Polygon | null {
    const p = this.path;
    this.path = null;
    return p && p.length > 2 ? p : null;
  }
}

/** The points of `candidates` whose screen position lies inside `polygon`, in ascending index order. */
export function pointsInPolygon(points: Float32Array, candidates: ArrayLike<number>, polygon: Polygon, view: View): Int32Array {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const [x, y] of polygon) {
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  const picked: number[] = [];
  for (let c = 0; c < candidates.length; c++) {
    const i = candidates[c];
    const sx = screenX(view, points[2 * i]);
    const sy = screenY(view, points[2 * i + 1]);
    if (sx < x0 || sx > x1 || sy < y0 || sy > y1) continue;
    if (polygonContains(polygon, [sx, sy])) picked.push(i);
  }
  picked.sort((a, b) => a - b);
  return Int32Array.from(picked);
}
