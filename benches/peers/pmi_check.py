#!/usr/bin/env python3
"""Quality check: how well do u_w . v_c match the SGNS optimum PMI(w,c) - ln k?

Levy & Goldberg (2014): skip-gram with k negative samples implicitly
factorises the shifted PMI matrix, u_w . v_c ~= PMI(w, c) - ln k, where u is
the input ("word") vector and v the output ("context") vector.  This script
counts window co-occurrences directly from the token corpus and reports, per
model, the Pearson and Spearman correlation between u_w . v_c and
PMI(w, c) - ln k over the frequent pairs (X_wc >= --min-pair-count), where
the PMI estimate is reliable.

Co-occurrences: for every line (sentence) of the token file, every pair of
tokens at distance 1..window counts once in each direction, so X is
symmetric.  X_w = row sums, D = total, PMI = ln(X_wc * D / (X_w * X_c)).
(Word2vec's dynamic window and subsampling re-weight these counts a little;
we ignore that, the number is meant for comparing models with each other.)

Models:
  --parquet FILE   kmer2vec output (columns kmer, vector, context; needs
                   `kmer2vec embed --context-vectors`)
  --npz FILE       gensim_train.py output (words, vectors, context)
Both options can be repeated; the counts are computed once.

Output, one line per model (machine-greppable):
  pmi kind=parquet model=FILE pearson_r=... spearman_rho=... mae=... pairs=N
"""
import argparse
import math
import sys

import numpy as np
from scipy import stats


def read_corpus(path):
    """Token file -> (vocab list, list of int32 id arrays, one per line)."""
    vocab = {}
    lines = []
    with open(path) as f:
        for line in f:
            toks = line.split()
            if toks:
                lines.append(np.fromiter((vocab.setdefault(t, len(vocab)) for t in toks),
                                         dtype=np.int64, count=len(toks)))
    words = [None] * len(vocab)
    for w, i in vocab.items():
        words[i] = w
    return words, lines


def cooccurrence(lines, n_words, window):
    """Symmetric window co-occurrence count matrix [V, V] (int64)."""
    V = n_words
    if V > 20000:
        print(f"warning: vocabulary of {V} words -> {V * V * 8 / 2**30:.1f} GiB count matrix",
              file=sys.stderr)
    counts = np.zeros(V * V, dtype=np.int64)
    for d in range(1, window + 1):
        # Pair (token i, token i+d) within each line, encoded as w*V + c.
        codes = [a[:-d] * V + a[d:] for a in lines if len(a) > d]
        if codes:
            counts += np.bincount(np.concatenate(codes), minlength=V * V)
    X = counts.reshape(V, V)
    return X + X.T  # both directions


def load_parquet(path):
    import pyarrow.parquet as pq
    tbl = pq.read_table(path)
    for col in ("kmer", "vector", "context"):
        if col not in tbl.column_names:
            sys.exit(f"{path}: no column '{col}' (was it written with --context-vectors?)")
    words = tbl.column("kmer").to_pylist()

    def matrix(name):
        col = tbl.column(name).combine_chunks()
        dim = col.type.list_size  # fixed_size_list<float32>[dim]
        return col.values.to_numpy(zero_copy_only=False).reshape(-1, dim).astype(np.float32)

    return words, matrix("vector"), matrix("context")


def load_npz(path):
    z = np.load(path)
    return [str(w) for w in z["words"]], z["vectors"], z["context"]


def evaluate(words, U, C, target, rows, cols, corpus_words):
    """Correlate u_w . v_c with the target over the selected (row, col) pairs."""
    index = {w: i for i, w in enumerate(words)}
    # Align the model's rows with the corpus vocabulary; drop pairs with a
    # word the model does not have (e.g. removed by min-count).
    pos = np.array([index.get(w, -1) for w in corpus_words])
    keep = (pos[rows] >= 0) & (pos[cols] >= 0)
    r, c = pos[rows[keep]], pos[cols[keep]]
    dots = np.einsum("ij,ij->i", U[r].astype(np.float64), C[c].astype(np.float64))
    t = target[keep]
    if len(t) < 3:
        return float("nan"), float("nan"), float("nan"), len(t)
    pearson = stats.pearsonr(dots, t)[0]
    spearman = stats.spearmanr(dots, t)[0]
    mae = float(np.mean(np.abs(dots - t)))
    return pearson, spearman, mae, len(t)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", required=True, help="token file the models were trained on")
    ap.add_argument("--parquet", action="append", default=[], help="kmer2vec model (repeatable)")
    ap.add_argument("--npz", action="append", default=[], help="gensim model (repeatable)")
    ap.add_argument("--window", type=int, default=5)
    ap.add_argument("--negatives", type=int, default=5, help="k in PMI - ln k")
    ap.add_argument("--min-pair-count", type=int, default=100,
                    help="only pairs with X_wc >= this (default 100)")
    args = ap.parse_args()
    if not args.parquet and not args.npz:
        ap.error("give at least one --parquet or --npz model")

    corpus_words, lines = read_corpus(args.tokens)
    X = cooccurrence(lines, len(corpus_words), args.window)
    n_tokens = sum(len(a) for a in lines)

    Xw = X.sum(axis=1).astype(np.float64)
    D = float(Xw.sum())
    rows, cols = np.nonzero(X >= args.min_pair_count)
    xwc = X[rows, cols].astype(np.float64)
    pmi = np.log(xwc * D / (Xw[rows] * Xw[cols]))
    target = pmi - math.log(args.negatives)
    print(f"corpus: {n_tokens} tokens, {len(lines)} lines, vocab {len(corpus_words)}, "
          f"window {args.window}, {int(D)} co-occurrences; "
          f"{len(rows)} pairs with X_wc >= {args.min_pair_count} "
          f"(PMI - ln {args.negatives}: mean {target.mean():.3f}, sd {target.std():.3f})"
          if len(rows) else
          f"corpus: {n_tokens} tokens, vocab {len(corpus_words)}; "
          f"no pairs with X_wc >= {args.min_pair_count}")

    models = [("parquet", p, load_parquet) for p in args.parquet] + \
             [("npz", p, load_npz) for p in args.npz]
    for kind, path, loader in models:
        words, U, C = loader(path)
        r, rho, mae, n = evaluate(words, U, C, target, rows, cols, corpus_words)
        print(f"pmi kind={kind} model={path} pearson_r={r:.4f} spearman_rho={rho:.4f} "
              f"mae={mae:.4f} pairs={n}")


if __name__ == "__main__":
    main()
