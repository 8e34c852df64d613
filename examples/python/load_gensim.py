#!/usr/bin/env python3
"""Load kmer2vec's word2vec export with gensim and ask for a k-mer's nearest neighbours.

    kmer2vec embed genome.fa.gz --format word2vec-binary -o genome.kmers.bin
    python load_gensim.py genome.kmers.bin [KMER] [-n 5]

A file written with --format word2vec-text loads with --text. The word2vec formats hold the
k-mers and their vectors only: no counts, no context vectors, no metadata. Needs gensim.
"""
import argparse

from gensim.models import KeyedVectors


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("kmer", nargs="?", default="ACGTAC")
    parser.add_argument("-n", type=int, default=5)
    parser.add_argument("--text", action="store_true", help="word2vec text, not binary")
    args = parser.parse_args()

    vectors = KeyedVectors.load_word2vec_format(args.model, binary=not args.text)
    print(f"rows {len(vectors)}, dim {vectors.vector_size}, "
          f"vectors {vectors.vectors.dtype} {vectors.vectors.shape}")
    if args.kmer not in vectors:
        raise SystemExit(f"{args.kmer} has no vector in this model")
    print(f"nearest to {args.kmer}:")
    for kmer, cosine in vectors.most_similar(args.kmer, topn=args.n):
        print(f"{kmer}\t{cosine:.4f}")


if __name__ == "__main__":
    main()
