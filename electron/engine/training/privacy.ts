// The fair VAE's figure: how predictable the private attribute s is from z^X on held-out images. The latent
// means of (up to) 5,000 training and 5,000 test images, the probe fitted on the first and scored on the
// second (disentanglement/private-probe.ts). Used after each epoch of a fair run (for the run and its plain
// VAE reference) and by eval.
import type { Dataset } from '../datasets/types.ts';
import type { VaeModel } from '../../../models/vae.ts';
import { fairDims } from '../../../models/config.ts';
import { inferenceBinarize, pixelsToTensor } from '../../../models/pixels.ts';
import { privateProbeAuc, type PrivateProbe } from '../disentanglement/private-probe.ts';

export const PROBE_MAX_IMAGES = 5000;
const CHUNK = 500;

/** Evenly spread indices of the split's images that have a value of s, at most `max`. */
function pick(ds: Dataset, split: number, s: Int32Array, max: number): number[] {
  const all: number[] = [];
  for (let i = 0; i < ds.images.count; i++) if (ds.images.split[i] === split && s[i] >= 0) all.push(i);
  if (all.length <= max) return all;
  return Array.from({ length: max }, (_, k) => all[Math.floor((k * all.length) / max)]);
}

/**
 * The probe's test AUC for `model` on `ds` with s per image. A fair VAE is encoded with its s (q(z|x, s)) and
 * read on z^X; any other model on its whole code.
 */
export async function measurePrivacy(model: VaeModel, ds: Dataset, s: Int32Array, values: number): Promise<PrivateProbe> {
  const fair = model.config.objective === 'fair-vae';
  const dims = fair ? fairDims(model.config) : model.config.latent;
  const latent = model.config.latent;
  const train = pick(ds, 0, s, PROBE_MAX_IMAGES);
  const test = pick(ds, 1, s, PROBE_MAX_IMAGES);
  const indices = [...train, ...test];
  const { size, channels, pixels } = ds.images;
  const binarize = inferenceBinarize(ds.options.binarize);
  const codes = new Float32Array(indices.length * dims);
  for (let start = 0; start < indices.length; start += CHUNK) {
    const idx = indices.slice(start, start + CHUNK);
    const x = pixelsToTensor(pixels, idx, size, channels, binarize);
    let m: Float32Array;
    try {
      m = (await model.encodeValues(x, fair ? Int32Array.from(idx, (i) => s[i]) : undefined)).means;
    } finally {
      x.dispose();
    }
    for (let k = 0; k < idx.length; k++) for (let j = 0; j < dims; j++) codes[(start + k) * dims + j] = m[k * latent + j];
  }
  const split = Uint8Array.from(indices, (_, k) => (k < train.length ? 0 : 1));
  return privateProbeAuc(codes, dims, Int32Array.from(indices, (i) => s[i]), split, values);
}
