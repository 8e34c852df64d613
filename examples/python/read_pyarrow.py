#!/usr/bin/env python3
"""Read a kmer2vec Parquet file with pyarrow: the vectors as a 2-D float32 numpy array
that views Arrow's memory, the run's settings from the metadata, and a k-mer's nearest
neighbours by cosine similarity.

    python read_pyarrow.py MODEL.parquet [KMER] [-n 5]

Needs pyarrow and numpy.
"""
import argparse
import json

import numpy as np
import pyarrow.parquet as pq


def vector_matrix(table, column="vector"):
    """The column as a (rows, dim) float32 numpy array over Arrow's buffer.

    pyarrow decodes each Parquet row group into its own chunk (kmer2vec writes 16,384 rows
    a row group), so a larger file needs one concatenation to become contiguous; the step
    from Arrow to numpy never copies (to_numpy raises rather than copy).
    """
    chunks = table.column(column)
    array = chunks.chunk(0) if chunks.num_chunks == 1 else chunks.combine_chunks()
    values = array.flatten()  # the float32 child array; unlike .values it honours slicing
    matrix = values.to_numpy(zero_copy_only=True).reshape(-1, array.type.list_size)
    # The zero-copy claim, checked: numpy's array and the Arrow buffer share memory.
    arrow_buffer = np.frombuffer(values.buffers()[1], dtype=np.float32)
    assert np.shares_memory(matrix, arrow_buffer) and not matrix.flags.writeable
    return matrix, chunks.num_chunks


def nearest(matrix, kmers, query, n):
    """The n k-mers most cosine-similar to query, itself left out (as `kmer2vec similar`)."""
    if query not in kmers:
        raise SystemExit(f"{query} has no vector in this model")
    row = kmers.index(query)
    unit = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-30)
    cosine = unit @ unit[row]
    cosine[row] = -np.inf
    best = np.argsort(-cosine, kind="stable")[:n]
    return [(kmers[i], float(cosine[i])) for i in best]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("parquet")
    parser.add_argument("kmer", nargs="?", default="ACGTAC")
    parser.add_argument("-n", type=int, default=5)
    args = parser.parse_args()

    table = pq.read_table(args.parquet)
    vectors, chunks = vector_matrix(table)
    kmers = table.column("kmer").to_pylist()
    print(f"rows {table.num_rows}, columns {', '.join(table.column_names)}")
    how = "one chunk" if chunks == 1 else f"{chunks} chunks (row groups) concatenated once"
    print(f"vectors {vectors.dtype} {vectors.shape}: a read-only view of Arrow's buffer ({how})")

    # The settings and statistics: JSON strings in the Arrow schema metadata (and, identical,
    # in the Parquet footer: pq.read_metadata(path).metadata).
    meta = table.schema.metadata
    params = json.loads(meta[b"kmer2vec.params"])
    stats = json.loads(meta[b"kmer2vec.stats"])
    print(f"kmer2vec {meta[b'kmer2vec.version'].decode()}: "
          f"k {params['k']['min']}..{params['k']['max']}, dim {params['dim']}, "
          f"window {params['window']}, epochs {params['epochs']}, seed {params['seed']}; "
          f"vocabulary {stats['vocabulary']}, {stats['tokens_trained']} tokens trained, "
          f"loss {stats['loss']:.3f}")

    print(f"nearest to {args.kmer}:")
    for kmer, cosine in nearest(vectors, kmers, args.kmer, args.n):
        print(f"{kmer}\t{cosine:.4f}")


if __name__ == "__main__":
    main()
