#!/usr/bin/env python3
"""Checks kmer2vec's outputs the way Python users read them.

    kmer2vec embed lambda.fa -o model.parquet --context-vectors
    kmer2vec embed lambda.fa -o model.txt --format word2vec-text --threads 1
    kmer2vec embed lambda.fa -o model.bin --format word2vec-binary --threads 1
    python tests/python/check_outputs.py --parquet model.parquet \
        --word2vec-text model.txt --word2vec-binary model.bin

The Parquet file: schema, metadata (footer and Arrow schema), vectors as numpy through
pyarrow and polars. The word2vec files: gensim loads both; they hold the Parquet's k-mers
and dimension, and the same vectors (text within 1e-5 of binary), so they must come from
one set of settings with --threads 1. With --same-run all three come from identical
settings (--threads 1, same seed) and the word2vec vectors must also equal the Parquet's.

Needs pyarrow, polars, numpy and gensim. Prints a short summary; exits non-zero if any
check fails.
"""

import argparse
import base64
import json
import sys

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from gensim.models import KeyedVectors

METADATA_KEYS = ("kmer2vec.version", "kmer2vec.params", "kmer2vec.stats")
STATS_FIELDS = ("inputs", "records", "bases", "skipped", "vocabulary", "tokens",
                "tokens_trained", "loss", "simd", "threads")

failures = []


def check(condition, message):
    """Records a failed check; returns the condition so callers can skip dependent checks."""
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}", file=sys.stderr)
    return condition


def check_schema(schema, dim, has_context):
    """The column types of parquet_io.rs."""
    vector_type = pa.list_(pa.field("item", pa.float32(), nullable=False), dim)
    expected = [
        ("kmer", pa.utf8()),
        ("k", pa.uint8()),
        ("count", pa.uint64()),
        ("vector", vector_type),
    ]
    if has_context:
        expected.append(("context", vector_type))
    check(schema.names == [name for name, _ in expected],
          f"columns are {schema.names}, expected {[name for name, _ in expected]}")
    for name, type_ in expected:
        if name not in schema.names:
            continue
        field = schema.field(name)
        check(not field.nullable, f"column {name} is nullable")
        # Compare list types by value type and size: the child field's name may vary.
        if pa.types.is_fixed_size_list(type_):
            check(pa.types.is_fixed_size_list(field.type)
                  and field.type.list_size == dim
                  and field.type.value_type == pa.float32(),
                  f"column {name} is {field.type}, expected fixed_size_list<float32>[{dim}]")
        else:
            check(field.type == type_, f"column {name} is {field.type}, expected {type_}")


def arrow_schema_metadata(file_metadata):
    """The metadata of the Arrow schema that arrow-rs embeds (ARROW:schema, base64 IPC)."""
    encoded = file_metadata.get(b"ARROW:schema")
    if encoded is None:
        return None
    schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(encoded)))
    return {k.decode(): v.decode() for k, v in (schema.metadata or {}).items()}


def check_metadata(path):
    """The three keys, in the Parquet footer and in the Arrow schema; JSON values parse."""
    file_metadata = pq.read_metadata(path).metadata or {}
    footer = {k.decode(): v.decode() for k, v in file_metadata.items()}
    embedded = arrow_schema_metadata(file_metadata)
    check(embedded is not None, "no ARROW:schema in the file metadata")
    # What pyarrow shows as the schema's metadata when it reads the file.
    shown = {k.decode(): v.decode() for k, v in (pq.read_schema(path).metadata or {}).items()}
    for key in METADATA_KEYS:
        check(key in footer, f"{key} missing from the Parquet key-value metadata")
        if embedded is not None:
            check(key in embedded, f"{key} missing from the embedded Arrow schema metadata")
            check(embedded.get(key) == footer.get(key),
                  f"{key} differs between the footer and the Arrow schema")
        check(key in shown, f"{key} missing from pyarrow's schema metadata")
    params = json.loads(footer.get("kmer2vec.params", "{}"))
    stats = json.loads(footer.get("kmer2vec.stats", "{}"))
    for field in STATS_FIELDS:
        check(field in stats, f"kmer2vec.stats lacks {field}")
    return params, stats


def pyarrow_matrix(table, column, dim):
    """The column as one (rows, dim) float32 array; each chunk is viewed without a copy."""
    blocks = []
    for chunk in table.column(column).chunks:
        flat = chunk.values.slice(chunk.offset * dim, len(chunk) * dim)
        try:
            block = flat.to_numpy(zero_copy_only=True).reshape(len(chunk), dim)
        except pa.ArrowInvalid as error:
            check(False, f"{column}: pyarrow .values is not zero-copy: {error}")
            block = flat.to_numpy(zero_copy_only=False).reshape(len(chunk), dim)
        check(np.shares_memory(block, np.frombuffer(flat.buffers()[1], dtype=np.float32)),
              f"{column}: the numpy view does not share pyarrow's buffer")
        blocks.append(block)
    matrix = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    check(matrix.dtype == np.float32 and matrix.shape == (table.num_rows, dim),
          f"{column}: pyarrow matrix is {matrix.dtype} {matrix.shape}")
    return matrix


def polars_matrix(path, column, dim):
    """The column through polars' Array type, as a (rows, dim) float32 array."""
    frame = pl.read_parquet(path, columns=["kmer", column])
    series = frame.get_column(column).rechunk()
    check(series.dtype == pl.Array(pl.Float32, dim),
          f"{column}: polars dtype is {series.dtype}, expected Array(Float32, {dim})")
    try:
        matrix = series.to_numpy(allow_copy=False)
    except Exception as error:  # polars raises its own error types here
        check(False, f"{column}: polars to_numpy needs a copy: {error}")
        matrix = series.to_numpy()
    check(matrix.dtype == np.float32 and matrix.shape == (len(frame), dim),
          f"{column}: polars matrix is {matrix.dtype} {matrix.shape}")
    return frame.get_column("kmer").to_list(), matrix


def load_word2vec(path, binary, kmers, dim):
    """gensim loads the file; its header and k-mers match the Parquet model."""
    kind = "binary" if binary else "text"
    with open(path, "rb") as f:
        header = f.readline().decode().split()
    check(header == [str(len(kmers)), str(dim)],
          f"word2vec {kind} header is {header}, expected {len(kmers)} {dim}")
    model = KeyedVectors.load_word2vec_format(path, binary=binary)
    check(len(model.index_to_key) == len(kmers),
          f"word2vec {kind}: gensim read {len(model.index_to_key)} rows, expected {len(kmers)}")
    check(model.vector_size == dim, f"word2vec {kind}: gensim read dim {model.vector_size}")
    check(model.vectors.dtype == np.float32,
          f"word2vec {kind}: gensim vectors are {model.vectors.dtype}")
    same_kmers = check(set(model.index_to_key) == set(kmers),
                       f"word2vec {kind}: other k-mers than the Parquet")
    if not same_kmers or model.vector_size != dim:
        return None
    return model.vectors[[model.key_to_index[k] for k in kmers]]


def max_difference(a, b, tolerance, what):
    """The largest absolute difference of two matrices, checked against `tolerance`."""
    difference = float(np.max(np.abs(a - b)))
    check(difference <= tolerance, f"{what}: vectors differ by up to {difference:g}")
    return difference


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parquet", required=True,
                        help="a model written with --context-vectors")
    parser.add_argument("--word2vec-text", required=True,
                        help="a model of the same input in word2vec-text format")
    parser.add_argument("--word2vec-binary", required=True,
                        help="the word2vec-text model's run in word2vec-binary format")
    parser.add_argument("--same-run", action="store_true",
                        help="all three files come from identical settings (--threads 1): "
                             "the word2vec vectors must equal the Parquet's")
    args = parser.parse_args()

    table = pq.read_table(args.parquet)
    vector_field = table.schema.field("vector")
    if not check(pa.types.is_fixed_size_list(vector_field.type),
                 f"column vector is {vector_field.type}, not a fixed-size list"):
        return report()
    dim = vector_field.type.list_size
    has_context = "context" in table.schema.names
    check(has_context, "no context column (run embed with --context-vectors)")

    check_schema(table.schema, dim, has_context)
    params, stats = check_metadata(args.parquet)
    check(params.get("dim") == dim, f"params dim {params.get('dim')} but vectors of {dim}")
    check(stats.get("vocabulary") == table.num_rows,
          f"stats vocabulary {stats.get('vocabulary')} but {table.num_rows} rows")

    kmers = table.column("kmer").to_pylist()
    ks = table.column("k").to_numpy()
    counts = table.column("count").to_numpy()
    check(len(set(kmers)) == len(kmers), "duplicate k-mers")
    check(all(len(kmer) == k for kmer, k in zip(kmers, ks)), "k differs from a k-mer's length")
    check(bool(np.all(counts >= 1)), "a count below 1")
    k_params = params.get("k", {})
    check(int(ks.min()) >= k_params.get("min", 0) and int(ks.max()) <= k_params.get("max", 99),
          f"k from {ks.min()} to {ks.max()} outside params {k_params}")

    vectors = pyarrow_matrix(table, "vector", dim)
    check(bool(np.all(np.isfinite(vectors))), "non-finite vector values")
    polars_kmers, polars_vectors = polars_matrix(args.parquet, "vector", dim)
    check(polars_kmers == kmers, "polars reads other k-mers than pyarrow")
    check(np.array_equal(polars_vectors, vectors), "polars vectors differ from pyarrow's")
    if has_context:
        contexts = pyarrow_matrix(table, "context", dim)
        _, polars_contexts = polars_matrix(args.parquet, "context", dim)
        check(np.array_equal(polars_contexts, contexts), "polars contexts differ from pyarrow's")
        check(not np.array_equal(contexts, vectors), "context vectors equal the vectors")

    text = load_word2vec(args.word2vec_text, False, kmers, dim)
    binary = load_word2vec(args.word2vec_binary, True, kmers, dim)
    differences = []
    if text is not None and binary is not None:
        differences.append("text vs binary %.2g"
                           % max_difference(text, binary, 1e-5, "word2vec text vs binary"))
    if args.same_run:
        if text is not None:
            differences.append("text vs Parquet %.2g"
                               % max_difference(text, vectors, 1e-5, "word2vec text vs Parquet"))
        if binary is not None:
            differences.append("binary vs Parquet %.2g"
                               % max_difference(binary, vectors, 0.0, "word2vec binary vs Parquet"))

    version = pq.read_metadata(args.parquet).metadata.get(b"kmer2vec.version", b"?").decode()
    print(f"{args.parquet}: {table.num_rows} k-mers (k {ks.min()}..{ks.max()}), dim {dim}, "
          f"{table.column('vector').num_chunks} row group(s), context {has_context}, "
          f"kmer2vec {version}")
    print(f"  pyarrow .values and polars Array -> numpy: {vectors.dtype} {vectors.shape}, equal")
    print(f"  gensim read both word2vec files; max |diff|: {', '.join(differences) or 'n/a'}")
    return report()


def report():
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
