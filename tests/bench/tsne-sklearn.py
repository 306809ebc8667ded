#!/usr/bin/python3
"""scikit-learn reference for the large t-SNE benchmark (tests/bench/tsne-70k.ts).

Usage: python3 tests/bench/tsne-sklearn.py DATA.f32 LABELS.i32 [N]
Reads the same PCA-50 vectors the TypeScript benchmark uses (raw float32 / int32, written by
tests/bench/_fashion.ts), runs scikit-learn's Barnes-Hut t-SNE with the settings ours follows
(perplexity 30, 1,000 iterations, init 'pca', learning rate 'auto', angle 0.5) and prints one JSON
line: seconds, peak RSS and the 10-NN leave-one-out class accuracy of the layout.
"""
import json
import resource
import sys
import time

import numpy as np
from sklearn.manifold import TSNE
from sklearn.neighbors import NearestNeighbors


def knn_accuracy(points, labels, k=10):
    nn = NearestNeighbors(n_neighbors=k + 1).fit(points)
    idx = nn.kneighbors(points, return_distance=False)[:, 1:]
    votes = labels[idx]
    pred = np.array([np.bincount(v, minlength=labels.max() + 1).argmax() for v in votes])
    return float((pred == labels).mean())


def main():
    data = np.fromfile(sys.argv[1], dtype=np.float32).reshape(-1, 50)
    labels = np.fromfile(sys.argv[2], dtype=np.int32)
    n = int(sys.argv[3]) if len(sys.argv) > 3 else len(labels)
    data, labels = data[:n].astype(np.float64), labels[:n]
    t0 = time.time()
    kwargs = dict(n_components=2, perplexity=30.0, init="pca", learning_rate="auto", angle=0.5, random_state=1, method="barnes_hut")
    try:
        model = TSNE(max_iter=1000, **kwargs)
    except TypeError:
        model = TSNE(n_iter=1000, **kwargs)
    layout = model.fit_transform(data)
    seconds = time.time() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"n": n, "seconds": round(seconds, 1), "peak_rss_mb": round(peak_mb), "knn10_accuracy": round(knn_accuracy(layout, labels), 4), "sklearn": __import__("sklearn").__version__}))


if __name__ == "__main__":
    main()
