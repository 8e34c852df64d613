#!/usr/bin/env bash
# Thread scaling of `kmer2vec embed` (issue 6: ≥ 12× at 16 threads over 1 thread, for
# fixed k 6 and for k 3..8). Needs only bash, awk and the kmer2vec binary, so it runs where
# no peer can be installed (the 16-core device machine, which reaches no package index).
#
# Two configurations, each trained at every thread count in every round:
#   k6     the peer comparison's settings (benches/peers/compare.sh): overlapping 6-mers,
#          no fragments or flips, dim 100, window 5, 5 negatives, sample 1e-3, one epoch:
#          4,096 rows, the hot rows shared by every thread;
#   k3-8   the dna2vec defaults (k 3..8 per position, fragments, either strand, window
#          10), one epoch instead of ten to keep a round short: ~87,000 rows.
# Rounds alternate the order of the thread counts (ascending, then descending) so that
# drift hits them alike. Times are whole-process wall-clock; "training" is the trainer's
# own phase as `--verbose` prints it, which is what the threads share (reading and
# writing are partly serial). Speed-up is the median time at 1 thread over the median at
# T threads, of the same configuration in the same run.
#
# Usage (from the repo root):
#   bash benches/scaling.sh [GENOME.fa.gz]
#
# Environment knobs:
#   THREADS   thread counts (default "1 2 4 8 16"; counts above the CPUs are dropped)
#   ROUNDS    rounds (default 3)
#   CONFIGS   which configurations (default "k6 k3-8")
#   KMER2VEC  the binary to time (default: cargo build --release, then target/release)
#   OUT_DIR   where the logs and the table go (default: a fresh mktemp dir)
#
# On the device machine (no package index there): build here, copy the genome into an
# ignored path, and carry both, e.g.
#   cp /usr/share/doc/ragout/examples/E.Coli/references/MG1655-K12.fasta.gz target/
#   run: KMER2VEC=target/release/kmer2vec bash benches/scaling.sh target/MG1655-K12.fasta.gz
#   carry: target/release/kmer2vec, target/MG1655-K12.fasta.gz
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
cd "$ROOT"

GENOME=${1:-/usr/share/doc/ragout/examples/E.Coli/references/MG1655-K12.fasta.gz}
ROUNDS=${ROUNDS:-3}
CONFIGS=${CONFIGS:-"k6 k3-8"}
OUT_DIR=${OUT_DIR:-$(mktemp -d -t kmer2vec-scaling.XXXXXX)}
CPUS=$(nproc)

die() { echo "scaling.sh: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[[ -f "$GENOME" ]] || die "genome file not found: $GENOME (on Debian: apt-get install ragout-examples)"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, not '$ROUNDS'"

THREADS_ASKED=${THREADS:-"1 2 4 8 16"}
THREADS=""
for t in $THREADS_ASKED; do
    [[ "$t" =~ ^[1-9][0-9]*$ ]] || die "THREADS must be positive integers, not '$t'"
    if ((t <= CPUS)); then
        THREADS="$THREADS $t"
    else
        log "skipping $t threads: this machine has $CPUS CPUs"
    fi
done
[[ -n "$THREADS" ]] || die "no thread count in '$THREADS_ASKED' fits $CPUS CPUs"
FIRST=$(echo $THREADS | awk '{print $1}')

if [[ -n "${KMER2VEC:-}" ]]; then
    K2V=$KMER2VEC
else
    log "building kmer2vec (release)"
    cargo build --release --quiet
    K2V=${CARGO_TARGET_DIR:-target}/release/kmer2vec
fi
[[ -x "$K2V" ]] || die "kmer2vec binary not found or not executable: $K2V"
mkdir -p "$OUT_DIR"

options() {
    case $1 in
        k6) echo "--k 6 --no-fragment --no-flip --dim 100 --window 5 --negatives 5" \
            "--sample 1e-3 --min-count 1 --epochs 1" ;;
        k3-8) echo "--epochs 1" ;;
        *) die "unknown configuration '$1' (k6, k3-8)" ;;
    esac
}
for config in $CONFIGS; do options "$config" > /dev/null; done

TIMES=$OUT_DIR/times.tsv
printf 'config\tthreads\tround\twall_s\ttraining_s\ttokens\n' > "$TIMES"

# run CONFIG T ROUND: one timed embed; its --verbose stderr kept, one line of $TIMES.
run() {
    local log_file=$OUT_DIR/$1_t$2_r$3.log start end
    start=$(date +%s.%N)
    # shellcheck disable=SC2046 # the options are words
    "$K2V" --verbose embed "$GENOME" $(options "$1") --threads "$2" --seed 1 \
        -o "$OUT_DIR/$1_t$2.parquet" 2> "$log_file" \
        || die "kmer2vec failed, see $log_file"
    end=$(date +%s.%N)
    local wall training tokens
    wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
    training=$(sed -n 's/.*training \([0-9.]*\) s.*/\1/p' "$log_file" | tail -1)
    tokens=$(sed -n 's/^ *"tokens_trained": \([0-9]*\).*/\1/p' "$log_file" | tail -1)
    [[ -n "$training" && -n "$tokens" ]] || die "no timing in $log_file"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$wall" "$training" "$tokens" >> "$TIMES"
    log "round $3 $1 threads $2: $wall s (training $training s)"
}

REVERSED=$(printf '%s\n' $THREADS | tac | tr '\n' ' ')
for ((round = 1; round <= ROUNDS; round++)); do
    order=$THREADS
    if ((round % 2 == 0)); then
        order=$REVERSED
    fi
    for config in $CONFIGS; do
        for t in $order; do
            run "$config" "$t" "$round"
        done
    done
done

# Medians per configuration and thread count; speed-ups over the first thread count.
echo
echo "genome:  $GENOME"
echo "machine: $CPUS CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "binary:  $K2V ($("$K2V" --version))"
echo "rounds:  $ROUNDS (medians; raw times in $TIMES)"
echo
awk -F'\t' -v first="$FIRST" '
    NR == 1 { next }
    {
        key = $1 SUBSEP $2
        n[key]++; wall[key, n[key]] = $4; training[key, n[key]] = $5; tokens[key] = $6
        if (!(($1) in seen)) { seen[$1] = 1; configs[++nconfigs] = $1 }
        if (!(($2) in tseen)) { tseen[$2] = 1; threads[++nthreads] = $2 }
    }
    function median(a, key, count,    i, j, v, tmp) {
        for (i = 1; i <= count; i++) v[i] = a[key, i]
        for (i = 2; i <= count; i++)
            for (j = i; j > 1 && v[j - 1] > v[j]; j--) { tmp = v[j]; v[j] = v[j - 1]; v[j - 1] = tmp }
        return count % 2 ? v[(count + 1) / 2] : (v[count / 2] + v[count / 2 + 1]) / 2
    }
    END {
        printf "%-6s %7s %9s %13s %9s %11s %9s\n", "config", "threads", "wall s", "tok/s", "speed-up",
            "training s", "speed-up"
        for (c = 1; c <= nconfigs; c++) {
            base = configs[c] SUBSEP first
            w0 = median(wall, base, n[base]); t0 = median(training, base, n[base])
            for (t = 1; t <= nthreads; t++) {
                key = configs[c] SUBSEP threads[t]
                if (!(key in n)) continue
                w = median(wall, key, n[key]); tr = median(training, key, n[key])
                printf "%-6s %7s %9.3f %13.0f %8.2fx %11.3f %8.2fx\n", configs[c], threads[t], w,
                    tokens[key] / w, w0 / w, tr, t0 / tr
                results[++nresults] = sprintf("RESULT config=%s threads=%s wall_s=%.3f " \
                    "training_s=%.3f tok_s=%.0f speedup=%.3f training_speedup=%.3f",
                    configs[c], threads[t], w, tr, tokens[key] / w, w0 / w, t0 / tr)
            }
        }
        print ""
        for (r = 1; r <= nresults; r++) print results[r]
    }
' "$TIMES"
echo
echo "outputs in $OUT_DIR"
