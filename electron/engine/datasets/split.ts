// Train/test split, stratified by label and repeatable with a seed.
import { mulberry32 } from '../random.ts';

/** Returns 0 (train) or 1 (test) per image; unlabelled images (-1) form their own stratum. */
export function stratifiedSplit(labels: Int32Array, testShare: number, seed: number): Uint8Array {
  const split = new Uint8Array(labels.length);
  const strata = new Map<number, number[]>();
  labels.forEach((label, i) => {
    const list = strata.get(label) ?? [];
    list.push(i);
    strata.set(label, list);
  });
  const rand = mulberry32(seed);
  for (const indices of strata.values()) {
    for (let i = indices.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [indices[i], indices[j]] = [indices[j], indices[i]];
    }
    const nTest = Math.round(indices.length * testShare);
    for (let k = 0; k < nTest; k++) split[indices[k]] = 1;
  }
  return split;
}
