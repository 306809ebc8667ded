// A rotation of the style axes z^X of a trained model, as factor analysis rotates its loadings (varimax,
// target rotations): the prior N(0, I) is the same in every orthonormal basis, so the model describes the
// same data whichever basis its sliders use, and we may choose the basis in which each slider moves one
// property. The rotation is applied to the weights, so the networks stay plain TF.js layers.
import * as tf from '@tensorflow/tfjs';
import type { VaeModel } from './vae.ts';

/**
 * Rotates the style dimensions `dims` (indices into z) by the orthonormal `rotation` (dims.length², row-major):
 * the new code z'_A = R z_A. Encoder means rotate exactly; the decoder's first layer takes R z'_A... exactly
 * (decode(z') = old decode(Rᵀ z')). The posterior variances cannot rotate exactly within a diagonal Gaussian:
 * log σ'²_i = Σ_j R_ij² log σ²_j (their geometric mean with the rotation's weights) is a linear map of the
 * log-variance layer, so it stays one; it is exact for a permutation and close when variances are alike.
 */
export async function rotateStyleAxes(model: VaeModel, dims: number[], rotation: ArrayLike<number>): Promise<void> {
  const a = dims.length;
  if (rotation.length !== a * a) throw new Error(`rotateStyleAxes: a ${a}×${a} rotation needs ${a * a} values (got ${rotation.length})`);
  const R = Array.from({ length: a }, (_, i) => Array.from({ length: a }, (_, j) => rotation[i * a + j]));
  for (let i = 0; i < a; i++)
    for (let k = 0; k < a; k++) {
      const dot = R[i].reduce((s, v, j) => s + v * R[k][j], 0);
      if (Math.abs(dot - (i === k ? 1 : 0)) > 1e-4) throw new Error('rotateStyleAxes: the rotation is not orthonormal');
    }
  const R2 = R.map((row) => row.map((v) => v * v));
  /** Columns `dims` of a [rows, L] kernel (or [L] bias) replaced by their combination with `M`. */
  const mixColumns = (values: Float32Array, rows: number, L: number, M: number[][]) => {
    const out = Float32Array.from(values);
    for (let r = 0; r < rows; r++)
      for (let i = 0; i < a; i++) {
        let s = 0;
        for (let j = 0; j < a; j++) s += M[i][j] * values[r * L + dims[j]];
        out[r * L + dims[i]] = s;
      }
    return out;
  };
  const L = model.config.latent;
  for (const [name, M] of [['z_mean', R], ['z_log_var', R2]] as const) {
    const layer = model.encoder.getLayer(name);
    const [kernel, bias] = layer.getWeights();
    const rows = kernel.shape[0];
    const [k, b] = [(await kernel.data()) as Float32Array, (await bias.data()) as Float32Array];
    const fresh = [tf.tensor2d(mixColumns(k, rows, L, M), [rows, L]), tf.tensor1d(mixColumns(b, 1, L, M))];
    layer.setWeights(fresh);
    tf.dispose(fresh);
  }
  // the decoder's first layer reads z: its rows for `dims` become R W_A, so z'ᵀ W' = (Rᵀ z')ᵀ W
  const first = model.decoder.layers.find((l) => l.getWeights().length > 0)!;
  const [kernel, bias] = first.getWeights();
  const H = kernel.shape[1] as number;
  const w = (await kernel.data()) as Float32Array;
  const out = Float32Array.from(w);
  for (let i = 0; i < a; i++)
    for (let h = 0; h < H; h++) {
      let s = 0;
      for (let j = 0; j < a; j++) s += R[i][j] * w[dims[j] * H + h];
      out[dims[i] * H + h] = s;
    }
  const fresh = tf.tensor2d(out, [L, H]);
  first.setWeights([fresh, bias]);
  fresh.dispose();
}
