// Default options from the data: a look at up to 200 images spread over the folder.
// Size 28 when most images are at most 32 px (digit/glyph-like data), else 64; grey when (nearly)
// all (90%) images are grey; invert when most have dark ink on light paper (see decideInversion).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { writeJsonAtomic } from '../files.ts';
import { cacheDir } from './cache.ts';
import { decodeBuffer, DEFAULT_MAX_PIXELS } from './decode.ts';
import { sniffFormat } from './sniff.ts';
import { pngDimensions } from './png-fast.ts';
import { bmpDimensions } from './bmp.ts';
import { decideInversion } from './pixels.ts';
import type { ScanResult } from './scan.ts';

export interface SampleStats {
  width: number;
  height: number;
  /** Every pixel has R, G and B within a few levels of each other. */
  grey: boolean;
  borderMean: number;
  borderStd: number;
}

export interface SuggestedSettings {
  size: number;
  channels: 1 | 3;
  /** The likely ink polarity: invert so that ink is high. */
  invert: boolean;
  reasons: { size: string; channels: string; invert: string };
  sampled: number;
}

const SAMPLE_COUNT = 200;
const THUMB = 32;
/** JPEG chroma noise on grey images stays below this. */
const GREY_TOLERANCE = 12;

export function suggestFromStats(stats: SampleStats[]): SuggestedSettings {
  const n = stats.length;
  const small = stats.filter((s) => Math.max(s.width, s.height) <= 32).length;
  const grey = stats.filter((s) => s.grey).length;
  const size = n > 0 && small / n > 0.5 ? 28 : 64;
  // A few colour files (a CMYK scan, a tinted page) in a grey set should not make it RGB.
  const channels: 1 | 3 = n > 0 && grey / n >= 0.9 ? 1 : 3;
  const decision = decideInversion(
    stats.map((s) => s.borderMean),
    stats.map((s) => s.borderStd),
  );
  const pct = (k: number) => `${n ? Math.round((k / n) * 100) : 0}%`;
  return {
    size,
    channels,
    invert: decision.invert,
    reasons: {
      size: size === 28 ? `${pct(small)} of sampled images are at most 32 px, so 28 px keeps their detail.` : `${pct(n - small)} of sampled images are larger than 32 px, so 64 px.`,
      channels: channels === 1 ? `${pct(grey)} of sampled images are greyscale.` : `${pct(n - grey)} of sampled images have colour.`,
      invert: decision.reason,
    },
    sampled: n,
  };
}

async function statsOf(path: string): Promise<SampleStats | null> {
  try {
    const buf = await readFile(path);
    const format = sniffFormat(buf);
    if (!format || format === 'heic') return null;
    let dims = format === 'png' ? pngDimensions(buf) : format === 'bmp' ? bmpDimensions(buf) : null;
    if (!dims) {
      const meta = await sharp(buf, { limitInputPixels: DEFAULT_MAX_PIXELS }).metadata();
      dims = { width: meta.width ?? 0, height: meta.height ?? 0 };
    }
    const out = new Uint8Array(THUMB * THUMB * 3);
    const border = await decodeBuffer(buf, { size: THUMB, channels: 3, fit: 'fill', maxPixels: DEFAULT_MAX_PIXELS }, out);
    let grey = true;
    for (let i = 0; i < out.length && grey; i += 3) {
      const r = out[i];
      const g = out[i + 1];
      const b = out[i + 2];
      if (Math.max(r, g, b) - Math.min(r, g, b) > GREY_TOLERANCE) grey = false;
    }
    return { width: dims.width, height: dims.height, grey, borderMean: border.mean, borderStd: border.std };
  } catch {
    return null; // bad files are reported by the import itself
  }
}

/** Suggestions for a scanned folder, remembered per folder fingerprint (reopening stays instant). */
export async function suggestForScan(scan: ScanResult, signal?: AbortSignal): Promise<SuggestedSettings> {
  const memo = join(cacheDir(), `suggest-${createHash('sha256').update(scan.root).digest('hex').slice(0, 32)}.json`);
  try {
    const saved = JSON.parse(readFileSync(memo, 'utf8'));
    if (saved?.fingerprint === scan.fingerprint && saved.version === 1) return saved.settings as SuggestedSettings;
  } catch {
    /* none yet */
  }
  const n = scan.images.length;
  const count = Math.min(SAMPLE_COUNT, n);
  const picks = Array.from({ length: count }, (_, i) => scan.images[Math.floor((i * n) / count)]);
  const stats: SampleStats[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < picks.length) {
        signal?.throwIfAborted();
        const s = await statsOf(picks[next++].abs);
        if (s) stats.push(s);
      }
    }),
  );
  signal?.throwIfAborted();
  const settings = suggestFromStats(stats);
  try {
    writeJsonAtomic(memo, { version: 1, fingerprint: scan.fingerprint, settings });
  } catch {
    /* read-only data folder: suggest again next time */
  }
  return settings;
}
