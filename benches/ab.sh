#!/usr/bin/env bash
# Alternating A/B timing of two kmer2vec binaries on one job: PAIRS runs of each, A then B
# in turn, whole-process wall clock. Prints both lists, the medians, the speed of A over B
# (above 1: A is faster) and whether the two outputs are byte-identical. This is how the
# README's "alternating pairs" figures are measured: on a shared, noisy machine a ratio
# taken in the same minutes is what holds. With more than one thread the outputs differ
# from run to run anyway (Hogwild), so only 1-thread runs can be compared for identity.
#
# Usage (from the repo root):  bash benches/ab.sh BIN_A BIN_B [PAIRS]   (PAIRS: 7)
# Environment:
#   ARGS     the kmer2vec arguments, without -o (default: `embed` of E. coli K-12 with
#            compare.sh's settings: k 6, dim 100, window 5, 5 negatives, sample 1e-3,
#            1 epoch, 1 thread, seed 1, context vectors). For `train`, e.g.
#            ARGS="train one.k2c --updates 27838020 --threads 1"
#   OUT_DIR  where the two outputs go (default: a fresh mktemp dir)
#   CPU      1: time each run's CPU (user + system, bash's `time`) instead of its wall
#            clock: on 1 thread the same work, and less moved by the VM's other guests
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: bash benches/ab.sh BIN_A BIN_B [PAIRS]" >&2; exit 2; }
A=$1 B=$2 PAIRS=${3:-7}
for bin in "$A" "$B"; do
    [[ -x "$bin" ]] || { echo "ab.sh: $bin is not an executable" >&2; exit 2; }
done
GENOME=/usr/share/doc/ragout/examples/E.Coli/references/MG1655-K12.fasta.gz
ARGS=${ARGS:-"embed $GENOME --k 6 --no-fragment --no-flip --dim 100 --window 5 --negatives 5
    --sample 1e-3 --min-count 1 --epochs 1 --threads 1 --seed 1 --context-vectors"}
OUT_DIR=${OUT_DIR:-$(mktemp -d -t kmer2vec-ab.XXXXXX)}
mkdir -p "$OUT_DIR"

CPU=${CPU:-0}

# Seconds one run of binary $1 took (CPU seconds with CPU=1), writing output $2.
run() {
    local start end cpu
    if [[ "$CPU" == 1 ]]; then
        # shellcheck disable=SC2086  # ARGS is a list of words
        cpu=$( { TIMEFORMAT='%3U %3S'; time "$1" $ARGS -q -o "$2" 2>&3; } 3>&2 2>&1 ) || return 1
        awk -v t="$cpu" 'BEGIN { split(t, x, " "); printf "%.3f\n", x[1] + x[2] }'
        return
    fi
    start=$(date +%s.%N)
    # shellcheck disable=SC2086  # ARGS is a list of words
    "$1" $ARGS -q -o "$2" || return 1
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }'
}
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

times_a=() times_b=()
for ((i = 1; i <= PAIRS; i++)); do
    t=$(run "$A" "$OUT_DIR/a.out") || { echo "ab.sh: $A failed" >&2; exit 1; }
    times_a+=("$t")
    t=$(run "$B" "$OUT_DIR/b.out") || { echo "ab.sh: $B failed" >&2; exit 1; }
    times_b+=("$t")
done
median_a=$(median "${times_a[@]}") median_b=$(median "${times_b[@]}")
echo "A: ${times_a[*]}"
echo "B: ${times_b[*]}"
awk -v a="$median_a" -v b="$median_b" \
    'BEGIN { printf "median A %.3f s, B %.3f s: A is %.4fx the speed of B\n", a, b, b / a }'
if cmp -s "$OUT_DIR/a.out" "$OUT_DIR/b.out"; then echo "outputs byte-identical"; else echo "outputs DIFFERENT"; fi
