#!/usr/bin/env python3
"""Query a kmer2vec Parquet file with DuckDB, in SQL: the run's settings from the footer's
metadata, k-mers per k, and a k-mer's nearest neighbours by cosine similarity.

    python query_duckdb.py MODEL.parquet [KMER] [-n 5]

Needs duckdb. The same SQL works in the duckdb command-line client.
"""
import argparse
import json

import duckdb

# Parquet has no fixed-size list type: `vector` is stored as a list, and DuckDB, which does
# not read the Arrow schema kept in the footer, sees FLOAT[]. A cast to FLOAT[dim] makes it
# an ARRAY again, for array_cosine_similarity.
NEAREST = """
    WITH query AS (
        SELECT vector::FLOAT[{dim}] AS q FROM read_parquet($path) WHERE kmer = $kmer
    )
    SELECT kmer, array_cosine_similarity(vector::FLOAT[{dim}], q) AS cosine
    FROM read_parquet($path), query
    WHERE kmer <> $kmer
    ORDER BY cosine DESC, kmer
    LIMIT $n
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("parquet")
    parser.add_argument("kmer", nargs="?", default="ACGTAC")
    parser.add_argument("-n", type=int, default=5)
    args = parser.parse_args()
    con = duckdb.connect()

    meta = dict(con.execute(
        "SELECT decode(key), decode(value) FROM parquet_kv_metadata($path)",
        {"path": args.parquet}).fetchall())
    params = json.loads(meta["kmer2vec.params"])
    print(f"kmer2vec {meta['kmer2vec.version']}: dim {params['dim']}, "
          f"k {params['k']['min']}..{params['k']['max']}, seed {params['seed']}")

    per_k = con.execute(
        "SELECT k, count(*) AS kmers, sum(count) AS occurrences FROM read_parquet($path) "
        "GROUP BY k ORDER BY k", {"path": args.parquet}).fetchall()
    print(f"rows {sum(kmers for _, kmers, _ in per_k)}")
    for k, kmers, occurrences in per_k:
        print(f"k {k}: {kmers} k-mers, {occurrences} occurrences")

    rows = con.execute(NEAREST.format(dim=int(params["dim"])),
                       {"path": args.parquet, "kmer": args.kmer, "n": args.n}).fetchall()
    if not rows:
        raise SystemExit(f"{args.kmer} has no vector in this model")
    print(f"nearest to {args.kmer}:")
    for kmer, cosine in rows:
        print(f"{kmer}\t{cosine:.4f}")


if __name__ == "__main__":
    main()
