// Measures of handwriting style on one grey image (ink high, 0..255), used to suggest names for the
// style dimensions of a semi-supervised run: the lecture names its dimensions "slant", "width",
// "top heaviness" and "pen thickness" by looking at the decoded sweeps; these numbers do the looking.
//
// All measures weigh pixels by their ink (value / 255), so they vary smoothly with the decoder's
// grey outputs instead of jumping at a threshold, except thickness, which needs a skeleton.

export interface StyleMeasures {
  /** Shear of the ink, dx/dy from its second moments; > 0 leans right (top to the right). */
  slant: number;
  /** Horizontal extent with the slant removed, px: sqrt(12 · variance), the width of a uniform bar. */
  width: number;
  /** Vertical extent, px: sqrt(12 · variance). */
  height: number;
  /** Ink area per skeleton pixel, px: the stroke width of a pen line. */
  thickness: number;
  /** How far the centre of mass sits above the middle of the ink's vertical extent, −0.5..0.5 of its height. */
  topHeaviness: number;
}

export const MEASURE_NAMES = ['slant', 'width', 'height', 'thickness', 'topHeaviness'] as const;

/** What each measure is called when suggested as a dimension name. */
export const MEASURE_LABELS: Record<(typeof MEASURE_NAMES)[number], string> = {
  slant: 'slant',
  width: 'width',
  height: 'height',
  thickness: 'pen thickness',
  topHeaviness: 'top-heaviness',
};

const INK_THRESHOLD = 128;

/**
 * Measures one image. `pixels` holds size × size values of one channel (the first `size*size` values
 * from `offset`); with `channels` > 1 the channels are averaged.
 */
export function measureStyle(pixels: ArrayLike<number>, size: number, offset = 0, channels = 1): StyleMeasures {
  const n = size * size;
  const ink = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    let v = 0;
    for (let c = 0; c < channels; c++) v += pixels[offset + p * channels + c];
    ink[p] = v / channels / 255;
  }
  let mass = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const w = ink[y * size + x];
      mass += w;
      sx += w * x;
      sy += w * y;
    }
  }
  if (mass < 1e-6) return { slant: 0, width: 0, height: 0, thickness: 0, topHeaviness: 0 };
  const cx = sx / mass;
  const cy = sy / mass;
  let mxx = 0;
  let myy = 0;
  let mxy = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const w = ink[y * size + x];
      const dx = x - cx;
      const dy = y - cy;
      mxx += w * dx * dx;
      myy += w * dy * dy;
      mxy += w * dx * dy;
    }
  }
  mxx /= mass;
  myy /= mass;
  mxy /= mass;
  // Image rows grow downwards: a right lean moves the ink left as y grows, so mxy < 0.
  const slant = myy > 1e-9 ? -mxy / myy : 0;
  // Variance left in x once the shear x = x0 - slant·(y - cy) is taken out (the deskewed width).
  const deskewedXX = Math.max(0, mxx - (myy > 1e-9 ? (mxy * mxy) / myy : 0));
  const width = Math.sqrt(12 * deskewedXX);
  const height = Math.sqrt(12 * myy);

  // Vertical extent of the ink (rows with any pixel above the threshold), for top-heaviness.
  let top = -1;
  let bottom = -1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (ink[y * size + x] * 255 >= INK_THRESHOLD) {
        if (top < 0) top = y;
        bottom = y;
        break;
      }
    }
  }
  let topHeaviness = 0;
  if (top >= 0 && bottom > top) topHeaviness = 0.5 - (cy - top) / (bottom - top);

  const binary = new Uint8Array(n);
  let area = 0;
  for (let p = 0; p < n; p++) {
    if (ink[p] * 255 >= INK_THRESHOLD) {
      binary[p] = 1;
      area++;
    }
  }
  const skeleton = skeletonLength(binary, size);
  const thickness = skeleton > 0 ? area / skeleton : 0;
  return { slant, width, height, thickness, topHeaviness };
}

/**
 * Zhang–Suen thinning (Zhang & Suen 1984) of a binary image (non-zero = ink); returns the skeleton's
 * pixel count. Small and dependency-free: the images here are at most a few thousand pixels.
 */
export function skeletonLength(binary: Uint8Array, size: number): number {
  const img = Uint8Array.from(binary, (v) => (v ? 1 : 0));
  const at = (x: number, y: number) => (x >= 0 && y >= 0 && x < size && y < size ? img[y * size + x] : 0);
  const remove: number[] = [];
  let changed = true;
  while (changed) {
    changed = false;
    for (let pass = 0; pass < 2; pass++) {
      remove.length = 0;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          if (!img[y * size + x]) continue;
          // neighbours P2..P9 clockwise from north
          const p2 = at(x, y - 1), p3 = at(x + 1, y - 1), p4 = at(x + 1, y), p5 = at(x + 1, y + 1);
          const p6 = at(x, y + 1), p7 = at(x - 1, y + 1), p8 = at(x - 1, y), p9 = at(x - 1, y - 1);
          const b = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9;
          if (b < 2 || b > 6) continue;
          const seq = [p2, p3, p4, p5, p6, p7, p8, p9, p2];
          let a = 0;
          for (let k = 0; k < 8; k++) if (seq[k] === 0 && seq[k + 1] === 1) a++;
          if (a !== 1) continue;
          if (pass === 0 ? p2 * p4 * p6 !== 0 || p4 * p6 * p8 !== 0 : p2 * p4 * p8 !== 0 || p2 * p6 * p8 !== 0) continue;
          remove.push(y * size + x);
        }
      }
      for (const p of remove) img[p] = 0;
      if (remove.length) changed = true;
    }
  }
  let count = 0;
  for (let p = 0; p < img.length; p++) count += img[p];
  return count;
}

/** Pearson correlation; 0 when either series is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa < 1e-12 || sbb < 1e-12) return 0;
  return sab / Math.sqrt(saa * sbb);
}
