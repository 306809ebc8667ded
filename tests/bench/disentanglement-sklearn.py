#!/usr/bin/python3
"""scikit-learn reference for the disentanglement metrics benchmark (tests/bench/disentanglement.ts).

Usage: /usr/bin/python3 tests/bench/disentanglement-sklearn.py DIR
DIR holds codes.f32 ([n, dims]), factors.f32 ([n, k]), split.u8 and meta.json ({n, dims, names,
discrete}) written by the TypeScript benchmark. Computes MIG, SAP and DCI as disentanglement_lib
does (MIG: np.histogram 20-bin discretisation + sklearn mutual_info_score; SAP: R^2 for continuous
factors, LinearSVC(C=0.01, class_weight='balanced') test accuracy for discrete ones; DCI:
GradientBoostingClassifier for discrete factors, GradientBoostingRegressor (informativeness = test
R^2) for continuous ones, feature_importances_) and prints one JSON line with the scores and seconds.
"""
import json
import sys
import time

import numpy as np
import scipy.stats
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.metrics import mutual_info_score
from sklearn.svm import LinearSVC


def discretize(x, bins=20):
    edges = np.histogram(x, bins)[1][:-1]
    return np.digitize(x, edges)


def main():
    d = sys.argv[1]
    meta = json.load(open(f"{d}/meta.json"))
    n, dims, names, discrete = meta["n"], meta["dims"], meta["names"], meta["discrete"]
    codes = np.fromfile(f"{d}/codes.f32", dtype=np.float32).reshape(n, dims).astype(np.float64)
    factors = np.fromfile(f"{d}/factors.f32", dtype=np.float32).reshape(n, len(names)).astype(np.float64)
    split = np.fromfile(f"{d}/split.u8", dtype=np.uint8)
    tr, te = split == 0, split == 1
    t0 = time.time()
    # factor levels: discrete values, or 20 equal-width bins
    fcodes = np.stack([np.unique(factors[:, k], return_inverse=True)[1] if discrete[k] else discretize(factors[:, k]) for k in range(len(names))], 1)
    zc = np.stack([discretize(codes[:, j]) for j in range(dims)], 1)
    mi = np.array([[mutual_info_score(zc[:, j], fcodes[:, k]) for k in range(len(names))] for j in range(dims)])
    ent = np.array([mutual_info_score(fcodes[:, k], fcodes[:, k]) for k in range(len(names))])
    s = np.sort(mi, axis=0)[::-1]
    mig = np.mean((s[0] - s[1]) / ent)
    t_mig = time.time() - t0
    t0 = time.time()
    sap = np.zeros((dims, len(names)))
    for j in range(dims):
        for k in range(len(names)):
            if not discrete[k]:
                c = np.cov(codes[tr, j], factors[tr, k], ddof=1)
                sap[j, k] = c[0, 1] ** 2 / (c[0, 0] * c[1, 1]) if c[0, 0] > 1e-12 else 0
            else:
                clf = LinearSVC(C=0.01, class_weight="balanced").fit(codes[tr, j][:, None], fcodes[tr, k])
                sap[j, k] = np.mean(clf.predict(codes[te, j][:, None]) == fcodes[te, k])
    s = np.sort(sap, axis=0)
    sap_score = np.mean(s[-1] - s[-2])
    t_sap = time.time() - t0
    t0 = time.time()
    imp = np.zeros((dims, len(names)))
    info = []
    trn = np.flatnonzero(tr)[:: max(1, int(np.ceil(tr.sum() / 5000)))]
    for k in range(len(names)):
        if discrete[k]:
            m = GradientBoostingClassifier().fit(codes[trn], fcodes[trn, k])
            info.append(np.mean(m.predict(codes[te]) == fcodes[te, k]))
        else:
            m = GradientBoostingRegressor().fit(codes[trn], factors[trn, k])
            info.append(max(0.0, m.score(codes[te], factors[te, k])))
        imp[:, k] = np.abs(m.feature_importances_)
    per_code = 1 - scipy.stats.entropy(imp.T + 1e-11, base=imp.shape[1])
    dis = np.sum(per_code * imp.sum(1) / imp.sum())
    per_factor = 1 - scipy.stats.entropy(imp + 1e-11, base=imp.shape[0])
    com = np.sum(per_factor * imp.sum(0) / imp.sum())
    t_dci = time.time() - t0
    print(json.dumps({"mig": mig, "sap": sap_score, "dciD": dis, "dciC": com, "dciI": float(np.mean(info)),
                      "migPerFactor": ((np.sort(mi, axis=0)[::-1][0] - np.sort(mi, axis=0)[::-1][1]) / ent).tolist(),
                      "seconds": {"mig": t_mig, "sap": t_sap, "dci": t_dci}}))


if __name__ == "__main__":
    main()
