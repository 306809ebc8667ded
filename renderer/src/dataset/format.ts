// Small formatters shared by the import dialog, the progress and the dataset page.

// One formatter, made once: toLocaleString builds a new one per call, which the thumbnail grid's
// row labels (redone on every scroll frame) made the largest cost of scrolling.
const WHOLE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export const number = (n: number): string => WHOLE.format(Math.round(n));

/** "1 image", "1,234 images". */
export function plural(n: number, noun: string): string {
  return `${number(n)} ${noun}${n === 1 ? '' : 's'}`;
}

/** The last part of a folder path ('sample:mnist' stays as it is). */
export function folderName(ref: string): string {
  const parts = ref.split(/[\\/]/).filter(Boolean);
  return parts.at(-1) ?? ref;
}

/** "0.4 s", "12 s", "3 min 5 s". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 0.1) return `${Math.max(1, Math.round(seconds * 1000))} ms`;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - m * 60)} s`;
}

export function percent(part: number, whole: number): string {
  if (!whole) return '0 %';
  const p = (100 * part) / whole;
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)} %`;
}

/** "3 added (a.png, b.png, …), 1 removed (c.png)": what changed in a folder since its last import. */
export function describeChanges(changes: { added: number; removed: number; modified: number; examples: { added: string[]; removed: string[]; modified: string[] } }): string {
  const parts = (['added', 'removed', 'modified'] as const)
    .filter((kind) => changes[kind] > 0)
    .map((kind) => {
      const names = changes.examples[kind];
      const more = changes[kind] > names.length ? ', …' : '';
      return `${number(changes[kind])} ${kind}${names.length ? ` (${names.join(', ')}${more})` : ''}`;
    });
  return parts.length ? parts.join(', ') : 'its folders or skipped files changed, no image was added, removed or modified';
}
