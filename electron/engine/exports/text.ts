// Labels under rows and columns, rendered with sharp's text input (Pango): any script the system's
// fonts cover, anti-aliased, no font files of our own. Cached, since frames reuse the same labels.
import sharp from 'sharp';

export interface LabelMask {
  /** Coverage 0..255, row-major. */
  mask: Uint8Array;
  width: number;
  height: number;
}

const cache = new Map<string, Promise<LabelMask | null>>();

/** Pango reads markup in the text: escape it so a name like "a<b" shows as written. */
function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The text as a coverage mask about `fontPx` pixels high, cut to `maxWidth` (centred cut off on the
 * right). Null for empty text, or when the system has no font to render it with.
 */
export function renderLabel(text: string, fontPx: number, maxWidth: number): Promise<LabelMask | null> {
  const key = `${fontPx}|${maxWidth}|${text}`;
  let hit = cache.get(key);
  if (!hit) {
    hit = render(text, fontPx, maxWidth);
    cache.set(key, hit);
    if (cache.size > 512) cache.delete(cache.keys().next().value!);
  }
  return hit;
}

async function render(text: string, fontPx: number, maxWidth: number): Promise<LabelMask | null> {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (!clean || maxWidth < 1) return null;
  try {
    // dpi 72: one point is one pixel, so the font size is the pixel size.
    const { data, info } = await sharp({ text: { text: escapeMarkup(clean), font: `sans ${fontPx}`, dpi: 72, wrap: 'none' } })
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const width = Math.min(info.width, Math.floor(maxWidth));
    const mask = new Uint8Array(width * info.height);
    for (let y = 0; y < info.height; y++) mask.set(data.subarray(y * info.width, y * info.width + width), y * width);
    return { mask, width, height: info.height };
  } catch {
    // No usable font (a bare container): the image is still right, only without its labels.
    return null;
  }
}
