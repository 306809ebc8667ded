#!/usr/bin/python3
"""scikit-learn reference for the PPCA / factor analysis benchmark (tests/bench/linear.ts).

Usage: /usr/bin/python3 tests/bench/linear-sklearn.py DIR
DIR holds train.f32 and test.f32 ([n, dim] grey levels in [0, 1]) and meta.json ({train, test, dim,
latent, minVariance}). Fits sklearn's PCA (its score() is the PPCA log-likelihood of Tipping & Bishop)
and FactorAnalysis (SVD-based ML, not EM) with the same number of factors, and prints one JSON line:
the mean test log-likelihoods in nats per image and the seconds. FactorAnalysis lets a pixel's noise
variance fall to 1e-12; ours stops at minVariance (1e-4, the Gaussian VAE's floor), so its score is
also given with the noise variances raised to that floor.
"""
import json
import sys
import time

import numpy as np
from sklearn.decomposition import PCA, FactorAnalysis


def main():
    d = sys.argv[1]
    meta = json.load(open(f"{d}/meta.json"))
    dim = meta["dim"]
    train = np.fromfile(f"{d}/train.f32", dtype=np.float32).reshape(meta["train"], dim).astype(np.float64)
    test = np.fromfile(f"{d}/test.f32", dtype=np.float32).reshape(meta["test"], dim).astype(np.float64)
    q = meta["latent"]
    t0 = time.time()
    pca = PCA(n_components=q, svd_solver="full").fit(train)
    ppca_test = float(pca.score(test))
    t1 = time.time()
    fa = FactorAnalysis(n_components=q, random_state=0, max_iter=1000, tol=1e-4).fit(train)
    fa_test = float(fa.score(test))
    fa.noise_variance_ = np.maximum(fa.noise_variance_, meta["minVariance"])
    fa_test_floored = float(fa.score(test))
    t2 = time.time()
    print(json.dumps({"ppca": ppca_test, "ppcaSeconds": t1 - t0, "fa": fa_test, "faFloored": fa_test_floored, "faSeconds": t2 - t1,
                      "ppcaNoiseVariance": float(pca.noise_variance_)}))


main()
