#!/usr/bin/env python3
"""Check the workflow's outputs (used by test-local.sh and test-slurm.sh).

    check_outputs.py parquet MODEL.parquet...          Parquet reads back with pyarrow
    check_outputs.py k2c-equal MERGED.k2c WHOLE.k2c    same counts (all but the input list)
    check_outputs.py workflow [CONFIG] [ROUTE...]      all outputs of a finished run

`workflow` runs in the directory Snakemake ran in, with the config it used (default
config/config.yaml) and the routes it ran (default: embed scatter_gather). For every genome
and dataset it reads back the embeddings (Parquet) and, for every dataset, counts the whole
input once with `kmer2vec count` (the settings from the merged file's header, kmer2vec on
PATH) and checks that the merged counts equal it, from as many shards as expected.

Exits non-zero with a message on the first failure. Needs pyarrow (parquet), numpy (k2c)
and PyYAML (workflow; Snakemake brings it).
"""
import json
import os
import subprocess
import sys
import tempfile
import zlib

MAGIC = b"K2C\x89\r\n\x1a\n"
END_MAGIC = b"K2C-END\x00"


def fail(msg):
    sys.exit(f"check_outputs.py: FAIL: {msg}")


def check_parquet(paths):
    import pyarrow as pa
    import pyarrow.parquet as pq

    for path in paths:
        t = pq.read_table(path)
        names = t.schema.names
        for col in ("kmer", "k", "count", "vector"):
            if col not in names:
                fail(f"{path}: no column {col!r} (columns: {names})")
        if t.num_rows == 0:
            fail(f"{path}: no rows")
        vec = t.schema.field("vector").type
        if not pa.types.is_fixed_size_list(vec) or not pa.types.is_float32(vec.value_type):
            fail(f"{path}: vector is {vec}, not fixed_size_list<float32>")
        if t.schema.field("k").type != pa.uint8() or t.schema.field("count").type != pa.uint64():
            fail(f"{path}: k/count types are {t.schema.field('k').type}/{t.schema.field('count').type}")
        d = t.to_pydict() if t.num_rows <= 200_000 else None
        if d is not None:
            for kmer, k in zip(d["kmer"], d["k"]):
                if len(kmer) != k or set(kmer) - set("ACGT"):
                    fail(f"{path}: bad k-mer {kmer!r} with k={k}")
            if len(set(d["kmer"])) != t.num_rows:
                fail(f"{path}: duplicate k-mers")
            if any(c <= 0 for c in d["count"]):
                fail(f"{path}: a count is 0")
        ks = sorted(set(t.column("k").to_pylist()))
        print(f"ok: {path}: {t.num_rows} rows, dim {vec.list_size}, k {ks[0]}..{ks[-1]}, "
              f"columns {names}")


def read_k2c(path):
    """Header, token counts and pairs of a .k2c file, checked as docs/k2c.md says."""
    import numpy as np

    raw = open(path, "rb").read()
    if raw[:8] != MAGIC or raw[-8:] != END_MAGIC:
        fail(f"{path}: not a .k2c file (magic)")
    version = int.from_bytes(raw[8:12], "little")
    if version != 1:
        fail(f"{path}: version {version}, this check reads 1")
    n = int.from_bytes(raw[16:24], "little")
    header_bytes = raw[24:24 + n]
    h = 24 + (n + 7) // 8 * 8
    ids = int.from_bytes(raw[h:h + 8], "little")
    tok_bytes = raw[h + 8:h + 8 + 8 * ids]
    pairs_n = int.from_bytes(raw[-32:-24], "little")
    p = h + 8 + 8 * ids
    if p + 16 * pairs_n + 32 != len(raw):
        fail(f"{path}: sizes do not add up to the file's length")
    pair_bytes = raw[p:p + 16 * pairs_n]
    crcs = [int.from_bytes(raw[-24 + 4 * i:-20 + 4 * i], "little") for i in range(3)]
    for name, data, crc in zip(("header", "tokens", "pairs"),
                               (header_bytes, tok_bytes, pair_bytes), crcs):
        if zlib.crc32(data) != crc:
            fail(f"{path}: CRC-32 of the {name} does not match")
    tokens = np.frombuffer(tok_bytes, dtype="<u8")
    pairs = np.frombuffer(pair_bytes, dtype=np.dtype([("w", "<u4"), ("c", "<u4"), ("count", "<u8")]))
    key = pairs["w"].astype(np.uint64) << np.uint64(32) | pairs["c"].astype(np.uint64)
    if len(key) > 1 and not (key[1:] > key[:-1]).all():
        fail(f"{path}: pairs not strictly increasing")
    if (pairs["count"] == 0).any():
        fail(f"{path}: a pair count is 0")
    return json.loads(header_bytes), tokens, pairs, tok_bytes, pair_bytes


def check_k2c_equal(merged, whole, n_inputs=None):
    hm, tm, pm, tbm, pbm = read_k2c(merged)
    hw, tw, pw, tbw, pbw = read_k2c(whole)
    if hm["settings"] != hw["settings"]:
        fail(f"settings differ: {merged}: {hm['settings']}, {whole}: {hw['settings']}")
    sm = {k: v for k, v in hm["stats"].items() if k != "inputs"}
    sw = {k: v for k, v in hw["stats"].items() if k != "inputs"}
    if sm != sw:
        fail(f"stats differ: {merged}: {sm}, {whole}: {sw}")
    if tbm != tbw:
        fail(f"token counts differ ({int(tm.sum())} vs {int(tw.sum())} tokens)")
    if pbm != pbw:
        fail(f"pairs differ ({len(pm)} vs {len(pw)} distinct pairs, "
             f"{int(pm['count'].sum())} vs {int(pw['count'].sum())} co-occurrences)")
    if n_inputs is not None and len(hm["stats"]["inputs"]) != n_inputs:
        fail(f"{merged}: merged from {len(hm['stats']['inputs'])} files, expected {n_inputs}")
    print(f"ok: {merged} ({len(hm['stats']['inputs'])} shards) has the counts of {whole}: "
          f"{sm['records']} records, {int(tm.sum())} tokens, {len(pm)} distinct pairs, "
          f"{int(pm['count'].sum())} co-occurrences, settings {hm['settings']}")


def count_options(path):
    """The `kmer2vec count` options that reproduce the settings of a .k2c file."""
    with open(path, "rb") as f:
        raw = f.read(24)
        n = int.from_bytes(raw[16:24], "little")
        s = json.loads(f.read(n))["settings"]
    k = str(s["k_min"]) if s["k_min"] == s["k_max"] else f"{s['k_min']}..{s['k_max']}"
    opts = ["--k", k, "--window", str(s["window"]), "--seed", str(s["seed"])]
    if s["canonical"]:
        opts.append("--canonical")
    return opts


def check_workflow(config_path, routes):
    import yaml

    with open(config_path) as f:
        config = yaml.safe_load(f)
    as_list = lambda x: [x] if isinstance(x, str) else list(x)  # noqa: E731
    ext = {"parquet": "parquet", "word2vec-text": "txt", "word2vec-binary": "bin"}
    results = config["results"]
    if "embed" in routes:
        e = config["embed"]
        fmt = (e["options"] or {}).get("format", "parquet")
        for genome in [g for g, p in (e["genomes"] or {}).items() if p is not None]:
            path = f"{results}/embed/{genome}.kmers.{ext[fmt]}"
            if not os.path.isfile(path):
                fail(f"missing {path}")
            if fmt == "parquet":
                check_parquet([path])
            else:
                print(f"ok: {path} ({fmt}, not read back)")
    if "scatter_gather" in routes:
        sg = config["scatter_gather"]
        fmt = (sg["train"]["options"] or {}).get("format", "parquet")
        for name, inputs in (sg["datasets"] or {}).items():
            if inputs is None:
                continue
            inputs = as_list(inputs)
            base = f"{results}/scatter_gather/{name}"
            model, merged = f"{base}/{name}.kmers.{ext[fmt]}", f"{base}/{name}.k2c"
            for path in (model, merged):
                if not os.path.isfile(path):
                    fail(f"missing {path}")
            if fmt == "parquet":
                check_parquet([model])
            with tempfile.TemporaryDirectory() as tmp:
                whole = os.path.join(tmp, f"{name}.whole.k2c")
                cmd = ["kmer2vec", "count", *inputs, *count_options(merged), "-q", "-o", whole]
                print("$ " + " ".join(cmd))
                subprocess.run(cmd, check=True)
                check_k2c_equal(merged, whole, sg["shards"])
            if not sg["keep_intermediate"]:
                for d in ("shards", "counts"):
                    left = os.listdir(f"{base}/{d}") if os.path.isdir(f"{base}/{d}") else []
                    if left:
                        fail(f"{base}/{d}: intermediate files left: {left[:3]}")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "parquet":
        check_parquet(sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "k2c-equal":
        check_k2c_equal(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 2 and sys.argv[1] == "workflow":
        args = sys.argv[2:]
        config = args.pop(0) if args and args[0].endswith((".yaml", ".yml")) else "config/config.yaml"
        check_workflow(config, args or ["embed", "scatter_gather"])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
