#!/usr/bin/env python3
"""Read a kmer2vec Parquet file with polars: k-mers per k and their GC content, the vectors
as a 2-D float32 numpy array, and the run's settings from the metadata.

    python read_polars.py MODEL.parquet

Needs polars and numpy (pyarrow only for the zero-copy check).
"""
import argparse
import json

import numpy as np
import polars as pl


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("parquet")
    args = parser.parse_args()

    df = pl.read_parquet(args.parquet)
    print(f"rows {df.height}; vector is {df.schema['vector']}")

    per_k = (
        df.with_columns(gc=pl.col("kmer").str.count_matches("[GC]") / pl.col("k"))
        .group_by("k")
        .agg(kmers=pl.len(), occurrences=pl.col("count").sum(),
             gc=(pl.col("gc") * pl.col("count")).sum() / pl.col("count").sum())
        .sort("k")
    )
    print(per_k)

    # `vector` is an Array(Float32, dim) column: to_numpy gives a (rows, dim) float32 array.
    # polars keeps one chunk per Parquet row group (kmer2vec writes 16,384 rows a row
    # group), and to_numpy of a column in several chunks copies silently; rechunk() makes
    # that one copy explicit, and allow_copy=False then guarantees a view.
    series = df["vector"]
    chunks = series.n_chunks()
    series = series.rechunk()
    vectors = series.to_numpy(allow_copy=False)
    # The claim, checked: the numpy array shares memory with the column's Arrow buffer.
    arrow_values = series.to_arrow().values.buffers()[1]
    assert np.shares_memory(vectors, np.frombuffer(arrow_values, dtype=np.float32))
    how = "no copy" if chunks == 1 else f"{chunks} chunks made one by rechunk(), one copy"
    print(f"vectors {vectors.dtype} {vectors.shape}, a view of polars' buffer ({how})")

    # Key-value metadata of the Parquet footer; the values are JSON strings.
    meta = pl.read_parquet_metadata(args.parquet)
    params = json.loads(meta["kmer2vec.params"])
    stats = json.loads(meta["kmer2vec.stats"])
    print(f"kmer2vec {meta['kmer2vec.version']}: dim {params['dim']}, "
          f"epochs {params['epochs']}, negatives {params['negatives']}; "
          f"inputs {stats['inputs']}, {stats['bases']} bases, simd {stats['simd']}")


if __name__ == "__main__":
    main()
