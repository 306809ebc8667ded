// Find: which listed images the Embedding shows. A point is shown when its class is not hidden, its
// file name matches the query (a case-insensitive substring, or a glob when the query has * ? or [),
// its split is the one asked for, and (when asked) it is in the selection.

/** A glob over file paths: * any run of characters but '/', ** any run, ? one character, [abc] a class. Case-insensitive. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        re += `[${body.startsWith('!') ? '^' + body.slice(1) : body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'i');
}

export const isGlob = (query: string): boolean => /[*?[]/.test(query);

/**
 * A test of file names for a query: '' matches everything; a glob matches the whole path or its last
 * part (so *.png and digits/7/*.png both work); otherwise a case-insensitive substring of the path.
 */
export function nameMatcher(query: string): (file: string) => boolean {
  const q = query.trim();
  if (!q) return () => true;
  if (isGlob(q)) {
    const re = globToRegExp(q);
    return (file) => re.test(file) || re.test(file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1));
  }
  const needle = q.toLowerCase();
  return (file) => file.toLowerCase().includes(needle);
}

export type SplitChoice = 'all' | 'test' | 'train';

export interface FindQuery {
  /** Per class (index = group; the last is unlabelled): hidden. */
  hidden: readonly boolean[];
  /** Group per point (class, or classes.length for unlabelled). */
  groups: ArrayLike<number>;
  name: string;
  /** File per point; without them the name query is not applied. */
  files?: readonly string[] | null;
  split: SplitChoice;
  /** 1 = test, 0 = train, per point. */
  splits?: ArrayLike<number> | null;
  /** Only these points (positions, any order), when set. */
  only?: ArrayLike<number> | null;
}

/** 1 where a point is shown, 0 where it is filtered out. */
export function findMask(q: FindQuery): Uint8Array {
  const n = q.groups.length;
  const mask = new Uint8Array(n);
  const matches = q.files ? nameMatcher(q.name) : () => true;
  const named = q.files && q.name.trim() ? q.files : null;
  const want = q.split === 'test' ? 1 : q.split === 'train' ? 0 : -1;
  let inOnly: Uint8Array | null = null;
  if (q.only) {
    inOnly = new Uint8Array(n);
    for (let k = 0; k < q.only.length; k++) if (q.only[k] >= 0 && q.only[k] < n) inOnly[q.only[k]] = 1;
  }
  for (let i = 0; i < n; i++) {
    if (q.hidden[q.groups[i]]) continue;
    if (want >= 0 && q.splits && q.splits[i] !== want) continue;
    if (inOnly && !inOnly[i]) continue;
    if (named && !matches(named[i] ?? '')) continue;
    mask[i] = 1;
  }
  return mask;
}
