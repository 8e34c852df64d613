#!/usr/bin/env bash
# Runs the reader examples (examples/python, examples/R) against models freshly made from the
# bundled lambda genome, and checks what they print against kmer2vec's own answers.
#
#     PATH=target/release:$PATH bash examples/run-examples.sh
#
# kmer2vec comes from PATH. Python: the venv $VENV (default: .venv at the repository root;
# created if absent), into which the missing ones of pyarrow, polars, duckdb, numpy,
# matplotlib and gensim are pip-installed. R: Rscript with reticulate and jsonlite, installed
# from Debian (r-base-core, r-cran-reticulate, r-cran-jsonlite, libpython3-dev) when missing
# and running as root; reticulate uses the venv's Python (RETICULATE_PYTHON). Exits non-zero
# if any check fails. About 20 s on 2 cores once the packages are there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
genome=$repo/examples/data/lambda_virus.fa.gz
VENV=${VENV:-$repo/.venv}

step() { printf '\n--- %s\n' "$*"; }

# --- tools -------------------------------------------------------------------------------
command -v kmer2vec >/dev/null || { echo "kmer2vec is not on PATH" >&2; exit 1; }
[[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
VENV=$(cd "$VENV" && pwd)   # absolute, for RETICULATE_PYTHON
py=$VENV/bin/python
missing=()
for spec in pyarrow polars duckdb numpy matplotlib "gensim==4.4.*"; do
    "$py" -c "import ${spec%%=*}" 2>/dev/null || missing+=("$spec")
done
if ((${#missing[@]})); then
    step "pip install ${missing[*]}"
    "$VENV/bin/pip" install -q --disable-pip-version-check "${missing[@]}"
fi
r_ready() {
    command -v Rscript >/dev/null &&
        Rscript -e 'library(reticulate); library(jsonlite)' >/dev/null 2>&1
}
if ! r_ready; then
    # libpython3-dev: the shared libpython that reticulate loads, for a venv of Debian's python3
    r_packages=(r-base-core r-cran-reticulate r-cran-jsonlite libpython3-dev)
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        step "apt-get install ${r_packages[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${r_packages[@]}" >/dev/null
    fi
    r_ready || {
        echo "needs Rscript with reticulate and jsonlite: apt-get install ${r_packages[*]}" >&2
        exit 1
    }
fi
export RETICULATE_PYTHON=$py MPLBACKEND=Agg

# --- models ------------------------------------------------------------------------------
# One thread and one seed: the Parquet and word2vec files hold the same vectors, so every
# reader must find the same nearest neighbour as `kmer2vec similar`.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
step "models in $tmp"
kmer2vec --version | head -1
settings=(--epochs 2 --threads 1 --seed 1 -q)
kmer2vec embed "$genome" "${settings[@]}" --context-vectors -o "$tmp/lambda.parquet"
kmer2vec embed "$genome" "${settings[@]}" --format word2vec-binary -o "$tmp/lambda.bin"
kmer2vec embed "$genome" "${settings[@]}" --format word2vec-text -o "$tmp/lambda.txt"
# Fixed k 4, trained longer: its map's axes follow GC content.
kmer2vec embed "$genome" --k 4 --epochs 10 --threads 1 --seed 1 -q -o "$tmp/k4.parquet"

version=$(kmer2vec --version | head -1 | awk '{print $2}')
read -r rows dim < "$tmp/lambda.txt"   # word2vec's header, written by kmer2vec itself
query=ACGTAC
kmer2vec similar "$tmp/lambda.parquet" "$query" -n 5 | tee "$tmp/similar.out"
read -r nearest nearest_cos < "$tmp/similar.out"
echo "expect: $rows rows, dim $dim, version $version; nearest to $query: $nearest $nearest_cos"

# --- checks ------------------------------------------------------------------------------
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
# expect LOG TEXT: LOG has a line containing TEXT (fixed string).
expect() {
    if grep -qF -- "$2" "$1"; then ok "$(basename "$1"): $2"; else bad "$(basename "$1") lacks: $2"; fi
}
# expect_nearest LOG: its first neighbour of $query is kmer2vec's, at the same cosine (±2e-4).
expect_nearest() {
    local got
    got=$(awk -v q="nearest to $query:" '$0 == q { getline; print; exit }' "$1")
    if awk -v g="$got" -v k="$nearest" -v c="$nearest_cos" \
        'BEGIN { split(g, f, "\t"); d = f[2] - c; exit !(f[1] == k && d < 2e-4 && d > -2e-4) }'; then
        ok "$(basename "$1"): nearest $got"
    else
        bad "$(basename "$1"): nearest '$got', expected $nearest $nearest_cos"
    fi
}
# run NAME COMMAND...: runs an example, shows and keeps its output in $tmp/NAME.log.
run() {
    local name=$1
    shift
    step "$name: ${*#"$here/"}"
    local rc=0
    "$@" > "$tmp/$name.log" 2>&1 || rc=$?
    cat "$tmp/$name.log"
    ((rc == 0)) || bad "$name exited with status $rc"
}

run pyarrow "$py" "$here/python/read_pyarrow.py" "$tmp/lambda.parquet" "$query"
expect "$tmp/pyarrow.log" "rows $rows, columns kmer, k, count, vector, context"
expect "$tmp/pyarrow.log" "vectors float32 ($rows, $dim): a read-only view of Arrow's buffer"
expect "$tmp/pyarrow.log" "kmer2vec $version: k 3..8, dim $dim, window 10, epochs 2, seed 1; vocabulary $rows"
expect_nearest "$tmp/pyarrow.log"

run polars "$py" "$here/python/read_polars.py" "$tmp/lambda.parquet"
expect "$tmp/polars.log" "rows $rows; vector is Array(Float32"
expect "$tmp/polars.log" "vectors float32 ($rows, $dim), a view of polars' buffer"
expect "$tmp/polars.log" "kmer2vec $version: dim $dim, epochs 2, negatives 5"

run duckdb "$py" "$here/python/query_duckdb.py" "$tmp/lambda.parquet" "$query"
expect "$tmp/duckdb.log" "rows $rows"
expect "$tmp/duckdb.log" "k 3: 64 k-mers, 48500 occurrences"   # 48,502 bp, one record
expect_nearest "$tmp/duckdb.log"

run gensim "$py" "$here/python/load_gensim.py" "$tmp/lambda.bin" "$query"
expect "$tmp/gensim.log" "rows $rows, dim $dim, vectors float32 ($rows, $dim)"
expect_nearest "$tmp/gensim.log"

run pca "$py" "$here/python/pca_map.py" "$tmp/lambda.parquet" "$tmp/lambda.png"
expect "$tmp/pca.log" "PCA of $rows k-mers"
run pca_k4 "$py" "$here/python/pca_map.py" "$tmp/k4.parquet" "$tmp/k4.png"
expect "$tmp/pca_k4.log" "PCA of 256 k-mers"
# A map of a trained model: one of its two axes correlates with GC content (|r| > 0.5).
if grep -qE 'correlation with GC: PC1 [+-](0\.[5-9]|1\.0)|PC2 [+-](0\.[5-9]|1\.0)' "$tmp/pca_k4.log"; then
    ok "pca_k4.log: GC content follows an axis"
else
    bad "pca_k4.log: no axis with |r| > 0.5 against GC content"
fi
for png in lambda k4; do
    if "$py" -c 'import sys; from PIL import Image
im = Image.open(sys.argv[1]); im.verify(); assert im.format == "PNG", im.format
print(sys.argv[1].rsplit("/", 1)[-1], im.format, im.size)' "$tmp/$png.png"; then
        ok "$png.png is a valid PNG"
    else
        bad "$png.png is not a valid PNG"
    fi
done

run R_parquet Rscript "$here/R/read_parquet.R" "$tmp/lambda.parquet" "$query"
expect "$tmp/R_parquet.log" "matrix $rows x $dim (double), row names AAA AAC AAG"
expect "$tmp/R_parquet.log" "kmer2vec $version: k 3..8, dim $dim, epochs 2, seed 1; vocabulary $rows"
expect_nearest "$tmp/R_parquet.log"

run R_word2vec_text Rscript "$here/R/read_word2vec_text.R" "$tmp/lambda.txt" "$query"
expect "$tmp/R_word2vec_text.log" "matrix $rows x $dim (double), row names AAA AAC AAG"
expect_nearest "$tmp/R_word2vec_text.log"

echo
echo "examples: $passed passed, $failed failed"
((failed == 0))
