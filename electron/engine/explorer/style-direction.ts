// The arithmetic of a user-defined style direction: two groups of images (say the slanted and the
// upright ones), the difference of their mean z^X, with the class part taken out.
//
// "Orthogonalised against the class part", precisely: this model's z^X is not exactly independent of
// the class (a class has a typical width, a typical slant), so the raw difference of two groups' mean
// z^X also carries the difference of their class mixes — lasso mostly 1s against mostly 0s and the
// "direction" is the 1-vs-0 difference of their typical styles. We remove what the class explains, as
// a regression of z^X on the class would: every image's z^X is centred on its class's mean z^X
// (m_y, from the reference images: the run's labelled test images), then the groups' centred means are
// subtracted:
//     d = mean_A(x_i − m_{y_i}) − mean_B(x_i − m_{y_i}) = d_raw − (mean_A m_{y_i} − mean_B m_{y_i}).
// y_i is the label, or the model's class guess for an unlabelled image or a file. The class part
// (mean_A m_y − mean_B m_y) is reported as a share of the raw difference. We do not also project out
// the whole span of the class means {m_y}: with 10 classes that span is 9-D and would leave nothing of
// a 4-D z^X. The slider moves z^X by t·d/|d| (t in prior sd); whether that keeps the class is measured
// (leakage, as for the dimensions), not assumed.

export interface DirectionInput {
  /** z^X of the reference images [count, style] and their classes (−1: unknown, left out of the class means). */
  reference: { styles: Float32Array; classes: Int32Array; count: number };
  /** z^X of each group's images [n, style] and their classes (−1: unknown, not centred). */
  a: { styles: Float32Array; classes: Int32Array };
  b: { styles: Float32Array; classes: Int32Array };
  style: number;
  numClasses: number;
}

export interface DirectionResult {
  /** Unit vector in z^X. */
  vector: Float32Array;
  /** |d| (class-centred difference) and |d_raw|. */
  norm: number;
  rawNorm: number;
  /** |d_raw − d| / |d_raw|: how much of the raw difference the groups' classes explain. */
  classPart: number;
  /** Projections of the groups' centred means on the unit vector (a − b = norm). */
  at: { a: number; b: number };
}

/** Mean z^X per class [classes, style] over the reference images (NaN rows for absent classes). */
export function classStyleMeans(styles: Float32Array, classes: Int32Array, count: number, style: number, numClasses: number): Float32Array {
  const sums = new Float64Array(numClasses * style);
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < count; i++) {
    const k = classes[i];
    if (k < 0 || k >= numClasses) continue;
    counts[k]++;
    for (let j = 0; j < style; j++) sums[k * style + j] += styles[i * style + j];
  }
  return Float32Array.from(sums, (v, i) => (counts[Math.floor(i / style)] ? v / counts[Math.floor(i / style)] : NaN));
}

/** A group's mean z^X, raw and centred on its images' class means (classes without a mean: uncentred). */
function groupMeans(g: { styles: Float32Array; classes: Int32Array }, classMeans: Float32Array, style: number, numClasses: number) {
  const n = g.styles.length / style;
  if (!Number.isInteger(n) || n < 1) throw new Error('each group needs at least one image');
  const raw = new Float64Array(style);
  const centred = new Float64Array(style);
  for (let i = 0; i < n; i++) {
    const k = g.classes[i];
    const known = k >= 0 && k < numClasses && !Number.isNaN(classMeans[k * style]);
    for (let j = 0; j < style; j++) {
      const x = g.styles[i * style + j];
      raw[j] += x / n;
      centred[j] += (known ? x - classMeans[k * style + j] : x) / n;
    }
  }
  return { raw, centred };
}

export function styleDirection(input: DirectionInput): DirectionResult {
  const { style, numClasses } = input;
  if (style < 1) throw new Error('a style direction needs a model with style dimensions');
  const classMeans = classStyleMeans(input.reference.styles, input.reference.classes, input.reference.count, style, numClasses);
  const a = groupMeans(input.a, classMeans, style, numClasses);
  const b = groupMeans(input.b, classMeans, style, numClasses);
  const d = new Float64Array(style);
  const dRaw = new Float64Array(style);
  for (let j = 0; j < style; j++) {
    d[j] = a.centred[j] - b.centred[j];
    dRaw[j] = a.raw[j] - b.raw[j];
  }
  const norm = Math.hypot(...d);
  const rawNorm = Math.hypot(...dRaw);
  if (!(norm > 1e-6)) throw new Error('the two groups have the same mean style once their classes are accounted for: there is no direction between them');
  const vector = Float32Array.from(d, (v) => v / norm);
  let classNorm = 0;
  for (let j = 0; j < style; j++) classNorm += (dRaw[j] - d[j]) ** 2;
  let atA = 0;
  let atB = 0;
  for (let j = 0; j < style; j++) {
    atA += a.centred[j] * vector[j];
    atB += b.centred[j] * vector[j];
  }
  return { vector, norm, rawNorm, classPart: rawNorm > 0 ? Math.sqrt(classNorm) / rawNorm : 0, at: { a: atA, b: atB } };
}

/** The style vector as a full latent vector (z^Y part zero), for sweeping. */
export function latentVector(vector: ArrayLike<number>, latent: number): Float32Array {
  const out = new Float32Array(latent);
  for (let j = 0; j < vector.length; j++) out[j] = vector[j];
  return out;
}
