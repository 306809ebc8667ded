// A linear SVM on one feature, as disentanglement_lib's SAP uses for discrete factors:
// sklearn's LinearSVC(C=0.01, class_weight="balanced") — liblinear's L2-regularised squared hinge
// loss with the intercept as a regularised feature of value 1, one-vs-rest for more than two
// classes. With two parameters (w, b) the problem is smooth and convex, so Newton's method
// solves it exactly in a few steps.

export const SAP_SVM_C = 0.01;

/** Fits min ½(w² + b²) + Σ_i c_i·max(0, 1 − y_i(w·x_i + b))² with y_i = ±1; returns [w, b]. */
export function fitSquaredHinge(x: ArrayLike<number>, y: Int8Array, cost: Float64Array): [number, number] {
  let w = 0;
  let b = 0;
  for (let iter = 0; iter < 50; iter++) {
    // gradient and Hessian of the objective over the margin violators
    let gw = w;
    let gb = b;
    let hww = 1;
    let hwb = 0;
    let hbb = 1;
    for (let i = 0; i < x.length; i++) {
      const margin = 1 - y[i] * (w * x[i] + b);
      if (margin <= 0) continue;
      const c = cost[i];
      gw -= 2 * c * margin * y[i] * x[i];
      gb -= 2 * c * margin * y[i];
      hww += 2 * c * x[i] * x[i];
      hwb += 2 * c * x[i];
      hbb += 2 * c;
    }
    const det = hww * hbb - hwb * hwb;
    if (!(det > 0)) break;
    const dw = (hbb * gw - hwb * gb) / det;
    const db = (hww * gb - hwb * gw) / det;
    w -= dw;
    b -= db;
    if (Math.abs(dw) < 1e-10 * (1 + Math.abs(w)) && Math.abs(db) < 1e-10 * (1 + Math.abs(b))) break;
  }
  return [w, b];
}

/**
 * Test accuracy of LinearSVC(C, class_weight="balanced") trained on one feature. Classes are
 * 0..k-1; liblinear's one-vs-rest weighs a class's own examples by C·n/(k·n_class) and the rest by C.
 */
export function svmAccuracy(xTrain: ArrayLike<number>, yTrain: Int32Array, xTest: ArrayLike<number>, yTest: Int32Array, classes: number, c = SAP_SVM_C): number {
  const n = yTrain.length;
  const counts = new Float64Array(classes);
  for (const y of yTrain) counts[y]++;
  const present = [...counts.keys()].filter((k) => counts[k] > 0);
  const classWeight = (k: number) => n / (present.length * counts[k]);
  const signs = new Int8Array(n);
  const cost = new Float64Array(n);
  const fit = (positive: number, negativeWeight: number): [number, number] => {
    for (let i = 0; i < n; i++) {
      const isPos = yTrain[i] === positive;
      signs[i] = isPos ? 1 : -1;
      cost[i] = isPos ? c * classWeight(positive) : c * negativeWeight;
    }
    return fitSquaredHinge(xTrain, signs, cost);
  };
  if (present.length < 2) {
    let correct = 0;
    for (const y of yTest) if (y === present[0]) correct++;
    return yTest.length ? correct / yTest.length : 0;
  }
  let predict: (x: number) => number;
  if (present.length === 2) {
    // binary: one problem, the second class positive, each class weighted
    const [neg, pos] = present;
    for (let i = 0; i < n; i++) {
      const isPos = yTrain[i] === pos;
      signs[i] = isPos ? 1 : -1;
      cost[i] = c * classWeight(isPos ? pos : neg);
    }
    const [w, b] = fitSquaredHinge(xTrain, signs, cost);
    predict = (x) => (w * x + b > 0 ? pos : neg);
  } else {
    const models = present.map((k) => fit(k, 1));
    predict = (x) => {
      let best = 0;
      for (let m = 1; m < models.length; m++) if (models[m][0] * x + models[m][1] > models[best][0] * x + models[best][1]) best = m;
      return present[best];
    };
  }
  let correct = 0;
  for (let i = 0; i < yTest.length; i++) if (predict(xTest[i]) === yTest[i]) correct++;
  return yTest.length ? correct / yTest.length : 0;
}
