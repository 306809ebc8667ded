// Writes a generated glyph set as a folder the app imports: one sub-folder of PNGs per class and
// factors.csv (`file`, then one column per factor), built aside and renamed into place.
import { encodePng } from '../../exports/png.ts';
import { writeOutputFolder } from '../../exports/write.ts';
import type { BundleFile } from '../../exports/bundle.ts';
import { FACTORS_CSV } from '../factors-csv.ts';
import { glyphFactorsCsv, glyphFileName, type GlyphSet } from './glyphs.ts';


export interface WriteHooks {
  signal?: AbortSignal;
  onProgress?: (written: number, total: number) => void;
}

/** Writes `set` into the new folder `dir` (replaced only with `force`); returns its absolute path. */
export async function writeGlyphFolder(dir: string, set: GlyphSet, force: boolean, hooks: WriteHooks = {}): Promise<string> {
  const files: BundleFile[] = [];
  const pixels = set.size * set.size;
  for (let i = 0; i < set.count; i++) {
    if (i % 256 === 0) {
      hooks.signal?.throwIfAborted();
      hooks.onProgress?.(i, set.count);
    }
    const data = await encodePng(set.images.subarray(i * pixels, (i + 1) * pixels), set.size, set.size, 1);
    files.push({ path: glyphFileName(set, i), data });
  }
  files.push({ path: FACTORS_CSV, data: new TextEncoder().encode(glyphFactorsCsv(set)) });
  hooks.signal?.throwIfAborted();
  hooks.onProgress?.(set.count, set.count);
  return writeOutputFolder(dir, files, force);
}
