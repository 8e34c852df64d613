"""Scores one fixed-k model against the PMI targets of flat and linear counts on the SAME pairs.

`kmer2vec pmi` picks pairs by X_wc in the counts it is given, so flat and linear counts
(`count --window-weights`) select different pairs; this compares on the flat file's pairs.

    python matched_pairs.py MODEL.parquet FLAT.k2c LINEAR.k2c

MODEL needs --context-vectors and a fixed k (ids are then the k-mers' 2-bit codes); the
two count files must come from the same input and settings but the weights. Needs numpy,
scipy and pyarrow. Reads .k2c as docs/k2c.md shows.
"""
import sys

import numpy as np
import pyarrow.parquet as pq
from scipy.stats import pearsonr, spearmanr


def pairs(path):
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    n = int(raw[16:24].view("<u8")[0])
    h = 24 + (n + 7) // 8 * 8
    ids = int(raw[h:h + 8].view("<u8")[0])
    body = raw[h + 8 + 8 * ids:len(raw) - 32]
    return body.view(np.dtype([("w", "<u4"), ("c", "<u4"), ("count", "<u8")]))


def shifted_pmi(p, negatives=5):
    """PMI(w, c) − ln k with X_w = Σ_c X_wc and |D| = Σ X_wc (α = 1)."""
    w, c = p["w"].astype(np.int64), p["c"].astype(np.int64)
    x = p["count"].astype(np.float64)
    n = max(w.max(), c.max()) + 1
    xw = np.bincount(w, weights=x, minlength=n)
    xc = np.bincount(c, weights=x, minlength=n)
    return np.log(x * x.sum() / (xw[w] * xc[c])) - np.log(negatives)


def main(model_path, flat_path, linear_path):
    flat, linear = pairs(flat_path), pairs(linear_path)
    assert (flat["w"] == linear["w"]).all() and (flat["c"] == linear["c"]).all()
    t_flat, t_linear = shifted_pmi(flat), shifted_pmi(linear)
    table = pq.read_table(model_path)
    kmers = table["kmer"].to_pylist()
    k = len(kmers[0])
    dim = table.schema.field("vector").type.list_size
    u = table["vector"].combine_chunks().values.to_numpy().reshape(-1, dim)
    v = table["context"].combine_chunks().values.to_numpy().reshape(-1, dim)
    row = np.full(4 ** k, -1)
    for r, kmer in enumerate(kmers):
        row[sum("ACGT".index(b) << 2 * (k - 1 - i) for i, b in enumerate(kmer))] = r
    for threshold in (100, 300, 1000):
        chosen = flat["count"] >= threshold
        w, c = row[flat["w"][chosen]], row[flat["c"][chosen]]
        known = (w >= 0) & (c >= 0)
        score = np.einsum("ij,ij->i", u[w[known]], v[c[known]])
        a, b = t_flat[chosen][known], t_linear[chosen][known]
        print(
            f"flat X >= {threshold}: {known.sum()} pairs; targets r {pearsonr(a, b)[0]:.4f}; "
            f"model r vs flat {pearsonr(score, a)[0]:.4f}, vs linear {pearsonr(score, b)[0]:.4f}; "
            f"rho {spearmanr(score, a)[0]:.4f} / {spearmanr(score, b)[0]:.4f}"
        )


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
