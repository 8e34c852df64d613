#!/usr/bin/env python3
"""A 2-D map of the k-mers of a kmer2vec Parquet file: the first two principal components of
their vectors (numpy SVD), coloured by GC content, saved as PNG.

    python pca_map.py MODEL.parquet OUT.png [--k 6]

Without --k, every k-mer of the model is drawn (all k share one vector space). GC content
shows when training was long enough: on the bundled lambda genome, `kmer2vec embed --k 4
--epochs 10` gives a map whose first axis follows GC (r about 0.8). Needs pyarrow, numpy
and matplotlib.
"""
import argparse

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("parquet")
    parser.add_argument("png")
    parser.add_argument("--k", type=int, help="draw only the k-mers of this length")
    args = parser.parse_args()

    table = pq.read_table(args.parquet, columns=["kmer", "k", "vector"])
    if args.k is not None:
        table = table.filter(pc.equal(table["k"], args.k))
    if table.num_rows < 2:
        raise SystemExit(f"{table.num_rows} k-mers to draw: need at least 2")
    vectors = table["vector"].combine_chunks()
    vectors = vectors.flatten().to_numpy().reshape(-1, vectors.type.list_size)
    kmers = table["kmer"].to_pylist()
    gc = np.array([(s.count("G") + s.count("C")) / len(s) for s in kmers])

    # Unit rows (cosine geometry): the map shows directions, not norms, which mostly follow
    # the k-mers' counts. PCA: centre, then the right singular vectors are the axes.
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-30)
    centred = unit - unit.mean(axis=0)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ axes[:2].T
    explained = singular**2 / np.sum(singular**2)
    r = [np.corrcoef(xy[:, i], gc)[0, 1] for i in range(2)]
    print(f"PCA of {len(kmers)} k-mers: PC1 {explained[0]:.1%}, PC2 {explained[1]:.1%} "
          f"of the variance; correlation with GC: PC1 {r[0]:+.2f}, PC2 {r[1]:+.2f}")

    fig, ax = plt.subplots(figsize=(7, 6))
    size = float(np.clip(20_000 / len(kmers), 2, 30))  # larger dots when there are few
    points = ax.scatter(xy[:, 0], xy[:, 1], c=gc, cmap="viridis", s=size, alpha=0.7,
                        linewidths=0, rasterized=True)
    fig.colorbar(points, ax=ax, label="GC content")
    ax.set_xlabel(f"PC1 ({explained[0]:.1%})")
    ax.set_ylabel(f"PC2 ({explained[1]:.1%})")
    which = f"{args.k}-mers" if args.k is not None else "k-mers"
    ax.set_title(f"{which} of {args.parquet.rsplit('/', 1)[-1]}, by GC content")
    fig.tight_layout()
    fig.savefig(args.png, dpi=100)
    print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
