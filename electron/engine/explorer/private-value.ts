// A fair VAE's "Decode as": the value of the private attribute s its decoder p(x | z, s) is given, or none
// (the mixture Σ_s p(s) E[x | z, s] over the training frequencies). One check for every way a request can
// name s: the explorer's decode requests, the exports, the CLI's --private-value.
import { UserError } from '../../contract/errors.ts';
import type { PrivateAttribute } from '../../contract/explorer.ts';
import type { Dataset, ImageSet } from '../datasets/types.ts';
import type { RunFile } from '../training/run-file.ts';
import { privateValues } from '../training/settings.ts';

/**
 * The private attribute of a fair VAE run: its name, value names and training frequencies; null for other
 * models. The names are privateValues(...).names: read from the dataset when it is at hand, else from the
 * probe figures the run saved after each epoch (the same names), else the values' numbers.
 */
export function privateAttributeOf(run: RunFile, ds?: Dataset | null): PrivateAttribute | null {
  const fair = run.model.objective === 'fair-vae' ? run.model.fair : undefined;
  if (!fair) return null;
  const name = run.settings.private ?? 'label';
  let values: string[] | null = null;
  if (ds) {
    try {
      const names = privateValues(ds, name).names;
      if (names.length === fair.values) values = names;
    } catch {
      // the column went missing from the folder: fall back to what the run saved
    }
  }
  const saved = run.privacy?.values;
  if (!values && Array.isArray(saved) && saved.length === fair.values) values = saved.map(String);
  values ??= Array.from({ length: fair.values }, (_, k) => String(k));
  return { name, values, prior: [...fair.prior] };
}

const listValues = (a: PrivateAttribute) => a.values.map((v, k) => (v === String(k) ? v : `${k} = ${v}`)).join(', ');

/**
 * The value of s a request asks to decode with: undefined for the mixture (absent or null), else a checked
 * index. A value for a run that is not a fair VAE, or outside the attribute's values, is a UserError naming
 * the run and the values.
 */
export function checkPrivateValue(run: RunFile, runDir: string, value: unknown, attribute = privateAttributeOf(run)): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!attribute) throw new UserError(`${runDir}: decoding with a value of the private attribute s applies to fair VAE runs only (this run is ${run.model.objective}).`);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= attribute.values.length)
    throw new UserError(`${runDir}: s = ${JSON.stringify(value)} is not a value of the private attribute '${attribute.name}' (its values: ${listValues(attribute)}).`);
  return value;
}

/** The CLI's --private-value: a value's name (case-insensitive) or its index. */
export function parsePrivateValue(text: string, run: RunFile, runDir: string, attribute = privateAttributeOf(run)): number {
  if (!attribute) throw new UserError(`--private-value applies to fair VAE runs only (${runDir} is ${run.model.objective}).`);
  const t = text.trim();
  const byName = attribute.values.findIndex((v) => v.toLowerCase() === t.toLowerCase());
  if (byName >= 0) return byName;
  if (/^\d+$/.test(t) && Number(t) < attribute.values.length) return Number(t);
  throw new UserError(`--private-value '${t}': not a value of the private attribute '${attribute.name}' of ${runDir} (its values: ${listValues(attribute)}; give a name or an index).`);
}

/**
 * A fair VAE's s for every image of its dataset, as training saw it: its images are encoded (and reconstructed)
 * with their own s. Null for other models, or when the attribute's column is gone (the images then count as of
 * unknown s).
 */
export function privateOfImages(run: RunFile, images: ImageSet): Int32Array | null {
  if (run.model.objective !== 'fair-vae') return null;
  try {
    return privateValues({ ref: run.dataset.ref, images }, run.settings.private ?? 'label').values;
  } catch {
    return null;
  }
}

/** s for every one of `count` codes, or undefined for the mixture. */
export function privateRows(value: number | undefined, count: number): Int32Array | undefined {
  return value === undefined ? undefined : new Int32Array(count).fill(value);
}
