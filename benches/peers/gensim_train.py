#!/usr/bin/env python3
"""Train the gensim peer model for the kmer2vec comparison benchmark.

Trains skip-gram with negative sampling on a pre-tokenised corpus (one
sentence per line, space-separated k-mers, as written by `kmer2vec tokens`)
with exactly the hyper-parameters compare.sh gives kmer2vec, then saves

    words    : the vocabulary, in gensim's index order
    counts   : corpus count of each word
    vectors  : input ("word") vectors, wv.vectors      [V, dim] float32
    context  : output ("context") vectors, syn1neg     [V, dim] float32

to an .npz file that pmi_check.py reads.

compare.sh times this whole process, so import time and gensim's vocabulary
scan are part of the measurement, just as kmer2vec's time includes reading
the genome.
"""
import argparse
import sys
import time

import numpy as np
from gensim.models import Word2Vec


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, help="token file, one sentence per line")
    ap.add_argument("--out", required=True, help="output .npz")
    ap.add_argument("--threads", type=int, default=1, help="gensim workers")
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--window", type=int, default=5)
    ap.add_argument("--negatives", type=int, default=5)
    ap.add_argument("--sample", type=float, default=1e-3)
    ap.add_argument("--min-count", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--w2v", help="also write the vectors in word2vec's text format here")
    args = ap.parse_args()

    t0 = time.perf_counter()
    # corpus_file mode: gensim's fastest path, it reads the file itself and
    # scales across workers (no Python iterator / GIL in the hot loop).
    model = Word2Vec(
        corpus_file=args.corpus,
        sg=1,                      # skip-gram
        hs=0,                      # negative sampling only
        vector_size=args.dim,
        window=args.window,
        negative=args.negatives,
        sample=args.sample,
        min_count=args.min_count,
        epochs=args.epochs,
        workers=args.threads,
        seed=args.seed,
    )
    t_train = time.perf_counter() - t0

    words = model.wv.index_to_key
    counts = np.array([model.wv.get_vecattr(w, "count") for w in words], dtype=np.uint64)
    np.savez(
        args.out,
        words=np.array(words),
        counts=counts,
        vectors=model.wv.vectors.astype(np.float32),
        context=model.syn1neg.astype(np.float32),
    )
    if args.w2v:
        model.wv.save_word2vec_format(args.w2v, binary=False)
    print(f"gensim {model.corpus_total_words} tokens, vocab {len(words)}, "
          f"threads {args.threads}, build+train {t_train:.2f}s -> {args.out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
