// What the Embedding's Find and Colour tools know about each listed image (the latents list): its file
// name and split, its KL(q(z|x) || p(z)), its reconstruction error, and the dataset's known factors.
// The reconstruction error decodes every listed code once per model, in chunks with a yield between
// them so slider requests keep their latency; it is cached until the model changes.
import type { PointFacts } from '../../contract/explorer.ts';
import type { RunSession } from './session.ts';

const CHUNK = 512;

/** File, split, KL per listed image and the factor columns of the dataset, aligned with the latents list. */
export async function pointFacts(session: RunSession): Promise<PointFacts> {
  const e = await session.encode();
  const ds = await session.dataset();
  const L = session.latent;
  const kl = new Float32Array(e.count);
  for (let i = 0; i < e.count; i++) {
    let s = 0;
    for (let j = 0; j < L; j++) {
      const mu = e.means[i * L + j];
      const lv = e.logVars[i * L + j];
      s += 0.5 * (mu * mu + Math.exp(lv) - 1 - lv);
    }
    kl[i] = s;
  }
  const files = Array.from(e.indices, (i) => ds.images.files[i] ?? `#${i}`);
  const split = Uint8Array.from(e.indices, (i) => (ds.images.split[i] === 1 ? 1 : 0));
  const factors = (ds.images.factors ?? []).map((f) => ({ name: f.name, kind: f.kind, categories: f.categories, values: Float32Array.from(e.indices, (i) => f.values[i]) }));
  return { files, split, kl, factors, modelEpoch: e.modelEpoch };
}

/**
 * Mean squared error per pixel (values in 0..1) between each listed image as the model sees it and
 * its reconstruction E[x | E[z|x]].
 */
export function reconstructionErrors(session: RunSession): Promise<Float32Array> {
  // cached on the session (engine state lives in the context), until the model changes
  const hit = session.reconErrors;
  if (hit && hit.version === session.version) return hit.promise;
  const entry = { version: session.version, promise: compute(session) };
  session.reconErrors = entry;
  entry.promise.catch(() => {
    if (session.reconErrors === entry) session.reconErrors = null;
  });
  return entry.promise;
}

async function compute(session: RunSession): Promise<Float32Array> {
  const e = await session.encode();
  const model = session.requireModel();
  const L = session.latent;
  const priv = session.privateOf(await session.dataset());
  const out = new Float32Array(e.count);
  for (let start = 0; start < e.count; start += CHUNK) {
    const m = Math.min(CHUNK, e.count - start);
    const input = session.modelInput(await session.gather(e.indices.subarray(start, start + m)));
    // a fair VAE's reconstruction uses each image's own s, as its code was encoded with
    const own = priv ? Int32Array.from(e.indices.subarray(start, start + m), (i) => priv[i]) : undefined;
    const decoded = await session.decodeWith(model, e.means.slice(start * L, (start + m) * L), m, own);
    const per = input.length / m;
    for (let k = 0; k < m; k++) {
      let s = 0;
      for (let p = k * per; p < (k + 1) * per; p++) {
        const d = (input[p] - decoded[p]) / 255;
        s += d * d;
      }
      out[start + k] = s / per;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return out;
}
