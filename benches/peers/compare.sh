#!/usr/bin/env bash
# Peer comparison: kmer2vec vs gensim Word2Vec (skip-gram, negative sampling)
# on the same k-mer corpus, same hyper-parameters.  Measures whole-process
# wall-clock throughput (tokens/s) and peak RSS at 1 and 2 threads, then
# checks embedding quality against the shifted-PMI optimum (pmi_check.py).
#
# Usage (from the repo root):
#   bash benches/peers/compare.sh [GENOME.fa.gz]
#
# Environment knobs:
#   OUT_DIR     where tokens, models and logs go   (default: a fresh mktemp dir)
#   ROUNDS      alternating rounds per thread count (default: 3)
#   THREADS     thread counts to test               (default: "1 2")
#   K2V_ARGS    extra options for kmer2vec embed     (default: none)
#   BENCH_VENV  Python venv with gensim etc.        (default: .venv-bench)
#   KMER2VEC    use this kmer2vec binary instead of building one
#   MIN_PAIR_COUNT  pmi_check.py --min-pair-count   (default: 100)
#   PYTHON      interpreter used to create the venv (default: python3)
#   WORD2VEC_C  1: also time word2vec C (Mikolov's word2vec.c, built by PyPI's
#               `word2vec` package into the venv; needs a C compiler) on the same
#               token file, speed only: it saves no context vectors for the PMI
#               check. About 37 s a 1-thread run here, so off by default.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

DEFAULT_GENOME=/usr/share/doc/ragout/examples/E.Coli/references/MG1655-K12.fasta.gz
GENOME=${1:-$DEFAULT_GENOME}
ROUNDS=${ROUNDS:-3}
# Extra options for `kmer2vec embed`, e.g. K2V_ARGS="--share-negatives 1".
K2V_ARGS=${K2V_ARGS:-}
THREADS=${THREADS:-"1 2"}
BENCH_VENV=${BENCH_VENV:-$ROOT/.venv-bench}
MIN_PAIR_COUNT=${MIN_PAIR_COUNT:-100}
PYTHON=${PYTHON:-python3}

# Shared hyper-parameters (both tools get exactly these).
K=6 DIM=100 WINDOW=5 NEG=5 SAMPLE=1e-3 MIN_COUNT=1 EPOCHS=1 SEED=1

die() { echo "compare.sh: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

# ---------------------------------------------------------------- genome
if [[ ! -f "$GENOME" ]]; then
    if [[ "$GENOME" != "$DEFAULT_GENOME" ]]; then
        die "genome file not found: $GENOME"
    fi
    # The default E. coli K-12 MG1655 genome ships in Debian's ragout-examples.
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        log "installing ragout-examples (E. coli K-12 MG1655 reference)"
        apt-get install -y -q ragout-examples >/dev/null \
            || { apt-get update -q >/dev/null && apt-get install -y -q ragout-examples >/dev/null; } \
            || die "could not install ragout-examples"
    else
        die "default genome $DEFAULT_GENOME is missing; install it with
    sudo apt-get install -y ragout-examples
or pass a FASTA file: bash benches/peers/compare.sh GENOME.fa.gz"
    fi
    [[ -f "$GENOME" ]] || die "ragout-examples installed but $GENOME is still missing"
fi

# ---------------------------------------------------------------- kmer2vec
if [[ -n "${KMER2VEC:-}" ]]; then
    K2V=$KMER2VEC
else
    log "building kmer2vec (release)"
    cargo build --release --quiet
    K2V=${CARGO_TARGET_DIR:-target}/release/kmer2vec
fi
[[ -x "$K2V" ]] || die "kmer2vec binary not found or not executable: $K2V"

# ---------------------------------------------------------------- python venv
VPY=$BENCH_VENV/bin/python
if [[ ! -x "$VPY" ]]; then
    log "creating venv $BENCH_VENV"
    "$PYTHON" -m venv "$BENCH_VENV" || die "could not create venv with $PYTHON (need python3-venv?)"
fi
if ! "$VPY" -c 'import gensim, numpy, scipy, pyarrow; assert gensim.__version__.startswith("4.4.")' 2>/dev/null; then
    log "installing gensim 4.4, numpy, scipy, pyarrow into $BENCH_VENV"
    "$VPY" -m pip install -q --upgrade pip
    "$VPY" -m pip install -q "gensim==4.4.*" numpy scipy pyarrow
fi

# ---------------------------------------------------------------- corpus
WORD2VEC_C=${WORD2VEC_C:-0}
W2V_C=$BENCH_VENV/bin/word2vec
if [[ "$WORD2VEC_C" == 1 && ! -x "$W2V_C" ]]; then
    log "installing PyPI word2vec (builds word2vec C) into $BENCH_VENV"
    "$VPY" -m pip install -q "word2vec==0.11.*" || die "could not build word2vec C (need a C compiler?)"
fi

OUT_DIR=${OUT_DIR:-$(mktemp -d -t kmer2vec-peers.XXXXXX)}
mkdir -p "$OUT_DIR"
TOKENS=$OUT_DIR/tokens.txt
log "tokenising $GENOME -> $TOKENS"
"$K2V" tokens "$GENOME" --k $K --no-fragment --no-flip --seed $SEED -o "$TOKENS"
N_TOKENS=$(wc -w < "$TOKENS" | tr -d ' ')
[[ "$N_TOKENS" -gt 0 ]] || die "empty token file $TOKENS"
log "$N_TOKENS tokens in $(wc -l < "$TOKENS" | tr -d ' ') lines"

# ---------------------------------------------------------------- timing
# timed LOGFILE CMD... : run CMD (output to LOGFILE) and print
# "WALL_SECONDS PEAK_RSS_KB STEAL_MS" for the whole child process; STEAL_MS is the CPU
# time the hypervisor gave to other guests meanwhile (all CPUs; 0 where /proc/stat has none).
timed() {
    local logfile=$1; shift
    "$VPY" -c '
import resource, subprocess, sys, time
def steal_ms():
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
        return int(fields[8]) * 1000 // 100  # USER_HZ ticks
    except (OSError, IndexError, ValueError):
        return 0
steal0, t0 = steal_ms(), time.perf_counter()
with open(sys.argv[1], "w") as out:
    rc = subprocess.call(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT)
wall = time.perf_counter() - t0
if rc != 0:
    sys.exit(f"command failed (exit {rc}), see {sys.argv[1]}")
# ru_maxrss of the (only) waited-for child; kilobytes on Linux
print(f"{wall:.3f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} {steal_ms() - steal0}")
' "$logfile" "$@"
}

TIMES=$OUT_DIR/times.tsv
printf 'tool\tthreads\tround\twall_s\trss_kb\tsteal_ms\n' > "$TIMES"

# record TOOL T ROUND "WALL RSS STEAL" : one line of $TIMES, and the log.
record() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" $4 >> "$TIMES"
    log "round $3 threads $2 $1: ${4%% *} s"
}

run_kmer2vec() {
    timed "$OUT_DIR/k2v_t$1.log" "$K2V" embed "$GENOME" \
        --k $K --no-fragment --no-flip --dim $DIM --window $WINDOW \
        --negatives $NEG --sample $SAMPLE --min-count $MIN_COUNT \
        --epochs $EPOCHS --threads "$1" --seed $SEED --context-vectors \
        --quiet $K2V_ARGS -o "$OUT_DIR/k2v_t$1.parquet"
}

run_gensim() {
    timed "$OUT_DIR/gensim_t$1.log" "$VPY" "$HERE/gensim_train.py" \
        --corpus "$TOKENS" --threads "$1" --out "$OUT_DIR/gensim_t$1.npz" \
        --dim $DIM --window $WINDOW --negatives $NEG --sample $SAMPLE \
        --min-count $MIN_COUNT --epochs $EPOCHS --seed $SEED
}

# -sample, -min-count and -alpha as above; skip-gram, negative sampling only.
run_word2vec_c() {
    timed "$OUT_DIR/w2vc_t$1.log" "$W2V_C" -train "$TOKENS" \
        -output "$OUT_DIR/w2vc_t$1.bin" -binary 1 -cbow 0 -hs 0 -size $DIM \
        -window $WINDOW -negative $NEG -sample $SAMPLE -min-count $MIN_COUNT \
        -iter $EPOCHS -alpha 0.025 -threads "$1" -debug 0
}

# Alternate the tools inside each round so that drift (thermal, other load) hits them
# alike, and run each tool's thread counts back to back, so that its scaling compares runs
# seconds apart (this VM's speed drifts within minutes); every other round in reverse
# order, so that neither thread count always follows the other tool's runs.
TOOLS="kmer2vec gensim"
if [[ "$WORD2VEC_C" == 1 ]]; then
    TOOLS="$TOOLS word2vec_c"
fi
REVERSED=$(printf '%s\n' $THREADS | tac | tr '\n' ' ')
for ((round = 1; round <= ROUNDS; round++)); do
    order=$THREADS
    if ((round % 2 == 0)); then
        order=$REVERSED
    fi
    for tool in $TOOLS; do
        for T in $order; do
            res=$(run_$tool "$T")
            record "${tool/_/-}" "$T" "$round" "$res"
        done
    done
done

# ---------------------------------------------------------------- quality
# The models of the last round, at every thread count.
PMI_OUT=$OUT_DIR/pmi.txt
: > "$PMI_OUT"
for T in $THREADS; do
    log "PMI check on the ${T}-thread models"
    "$VPY" "$HERE/pmi_check.py" --tokens "$TOKENS" --window $WINDOW --negatives $NEG \
        --min-pair-count "$MIN_PAIR_COUNT" \
        --parquet "$OUT_DIR/k2v_t${T}.parquet" --npz "$OUT_DIR/gensim_t${T}.npz" \
        | tee -a "$PMI_OUT"
done

# ---------------------------------------------------------------- summary
echo
echo "genome:   $GENOME"
echo "tokens:   $N_TOKENS  (k=$K, dim=$DIM, window=$WINDOW, negatives=$NEG, sample=$SAMPLE, epochs=$EPOCHS)"
echo "machine:  $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
echo "versions: $("$K2V" --version 2>/dev/null || echo kmer2vec ?), gensim $("$VPY" -c 'import gensim; print(gensim.__version__)')"
echo "rounds:   $ROUNDS (medians below; raw times in $TIMES)"
echo "kmer2vec: extra options '${K2V_ARGS}'"
echo
"$VPY" - "$TIMES" "$N_TOKENS" "$PMI_OUT" <<'PY'
import csv, statistics, sys

times_path, n_tokens, pmi_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = list(csv.DictReader(open(times_path), delimiter="\t"))
threads = sorted({int(r["threads"]) for r in rows})

def median(tool, t, key):
    return statistics.median(float(r[key]) for r in rows
                             if r["tool"] == tool and int(r["threads"]) == t)

tok_s = {(tool, t): n_tokens / median(tool, t, "wall_s")
         for tool in ("kmer2vec", "gensim") for t in threads}
rss_mb = {(tool, t): max(float(r["rss_kb"]) for r in rows
                         if r["tool"] == tool and int(r["threads"]) == t) / 1024
          for tool in ("kmer2vec", "gensim") for t in threads}

print(f"{'threads':>7}  {'kmer2vec tok/s':>14}  {'gensim tok/s':>12}  {'ratio':>6}"
      f"  {'kmer2vec RSS MB':>15}  {'gensim RSS MB':>13}")
for t in threads:
    k, g = tok_s["kmer2vec", t], tok_s["gensim", t]
    print(f"{t:>7}  {k:>14,.0f}  {g:>12,.0f}  {k / g:>6.2f}"
          f"  {rss_mb['kmer2vec', t]:>15.1f}  {rss_mb['gensim', t]:>13.1f}")
w2v_c = {}
if any(r["tool"] == "word2vec-c" for r in rows):
    print()
    print(f"{'threads':>7}  {'word2vec C tok/s':>16}  {'kmer2vec/it':>11}  {'gensim/it':>9}"
          f"  {'word2vec C RSS MB':>17}")
    for t in threads:
        w = n_tokens / median("word2vec-c", t, "wall_s")
        w_rss = max(float(r["rss_kb"]) for r in rows
                    if r["tool"] == "word2vec-c" and int(r["threads"]) == t) / 1024
        w2v_c[t] = (w, w_rss)
        print(f"{t:>7}  {w:>16,.0f}  {tok_s['kmer2vec', t] / w:>11.2f}"
              f"  {tok_s['gensim', t] / w:>9.2f}  {w_rss:>17.1f}")
t0 = threads[0]
def round_ratios(tool, t):
    """Per round, the t0-thread time over the t-thread time: runs seconds apart drift less."""
    by_round = {}
    for r in rows:
        if r["tool"] == tool:
            by_round.setdefault(r["round"], {})[int(r["threads"])] = float(r["wall_s"])
    return [v[t0] / v[t] for v in by_round.values() if t0 in v and t in v]

for t in threads[1:]:
    print(f"scaling {t}t/{t0}t: kmer2vec {tok_s['kmer2vec', t] / tok_s['kmer2vec', t0]:.2f}x, "
          f"gensim {tok_s['gensim', t] / tok_s['gensim', t0]:.2f}x "
          f"(median of per-round ratios: kmer2vec "
          f"{statistics.median(round_ratios('kmer2vec', t)):.2f}x, gensim "
          f"{statistics.median(round_ratios('gensim', t)):.2f}x)")
    if w2v_c:
        print(f"scaling {t}t/{t0}t: word2vec C {w2v_c[t][0] / w2v_c[t0][0]:.2f}x")
steal = {}
for r in rows:
    key = (r["tool"], int(r["threads"]))
    steal[key] = steal.get(key, 0) + int(r.get("steal_ms") or 0)
print("CPU time the hypervisor gave other guests during the runs (all rounds): "
      + ", ".join(f"{tool} {t}t {ms} ms" for (tool, t), ms in sorted(steal.items())))
print()

for t in threads:
    k, g = tok_s["kmer2vec", t], tok_s["gensim", t]
    print(f"RESULT threads={t} kmer2vec_tok_s={k:.0f} gensim_tok_s={g:.0f} ratio={k / g:.3f} "
          f"kmer2vec_rss_mb={rss_mb['kmer2vec', t]:.1f} gensim_rss_mb={rss_mb['gensim', t]:.1f}")
for t, (w, w_rss) in w2v_c.items():
    print(f"RESULT word2vec_c threads={t} tok_s={w:.0f} "
          f"kmer2vec_over_it={tok_s['kmer2vec', t] / w:.3f} rss_mb={w_rss:.1f}")
for t in threads[1:]:
    print(f"RESULT scaling kmer2vec_{t}t_over_{t0}t={tok_s['kmer2vec', t] / tok_s['kmer2vec', t0]:.3f} "
          f"gensim_{t}t_over_{t0}t={tok_s['gensim', t] / tok_s['gensim', t0]:.3f}")

# pmi_check.py lines: "pmi kind=parquet model=.../k2v_t1.parquet pearson_r=... spearman_rho=..."
import re
pmi = {}
for line in open(pmi_path):
    if line.startswith("pmi "):
        f = dict(kv.split("=", 1) for kv in line.split()[1:])
        t = int(re.search(r"_t(\d+)\.", f["model"]).group(1))
        pmi["kmer2vec" if f["kind"] == "parquet" else "gensim", t] = f
for t in threads:
    k, g = pmi["kmer2vec", t], pmi["gensim", t]
    print(f"RESULT pmi threads={t} kmer2vec_r={k['pearson_r']} gensim_r={g['pearson_r']} "
          f"kmer2vec_rho={k['spearman_rho']} gensim_rho={g['spearman_rho']} pairs={k['pairs']}")
PY
echo
echo "outputs in $OUT_DIR"
