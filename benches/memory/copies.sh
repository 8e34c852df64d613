#!/usr/bin/env bash
# Peak RSS and wall time of `kmer2vec embed` on 1, 2 and 4 copies of a real human
# chromosome piece (Debian's smalt-examples: hs37chrXtrunc.fa.gz, 66 Mbp of A/C/G/T), at
# k 3..8 and at fixed k 6: memory must stay flat as the input grows, bounded by the mapped
# corpus (¼ byte a base) and the matrices.
#
# Usage (from the repo root): bash benches/memory/copies.sh [CHROMOSOME.fa.gz]
# Environment: KMER2VEC (binary; default: build), OUT_DIR, EPOCHS (1), THREADS (0: all),
# K_VALUES ("3..8 6").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
INPUT=${1:-/usr/share/doc/smalt/test/data/hs37chrXtrunc.fa.gz}
[[ -f "$INPUT" ]] || { echo "copies.sh: $INPUT missing (apt-get install smalt-examples)" >&2; exit 1; }
if [[ -z "${KMER2VEC:-}" ]]; then
    cargo build --release --quiet
    KMER2VEC=${CARGO_TARGET_DIR:-target}/release/kmer2vec
fi
OUT_DIR=${OUT_DIR:-$(mktemp -d -t kmer2vec-copies.XXXXXX)}
mkdir -p "$OUT_DIR"
EPOCHS=${EPOCHS:-1} THREADS=${THREADS:-0}

# The copies as FASTA files of 1, 2 and 4 records (each record a copy, renamed).
for copies in 1 2 4; do
    for ((i = 1; i <= copies; i++)); do zcat -f "$INPUT" | sed "s/^>.*/>copy$i/"; done \
        > "$OUT_DIR/x$copies.fa"
done
printf 'k\tcopies\tbases\twall_s\tpeak_rss_mb\n'
for k in ${K_VALUES:-3..8 6}; do
    for copies in 1 2 4; do
        log=$OUT_DIR/embed_k${k}_x$copies.log
        /usr/bin/time -f '%e %M' -o "$log.time" "$KMER2VEC" embed "$OUT_DIR/x$copies.fa" \
            --k "$k" --epochs "$EPOCHS" --threads "$THREADS" -q -v --tmp-dir "$OUT_DIR" \
            -o "$OUT_DIR/embed_k${k}_x$copies.parquet" 2> "$log"
        read -r wall rss < "$log.time"
        bases=$(grep -o '"bases": [0-9]*' "$log" | head -1 | grep -o '[0-9]*')
        printf '%s\t%s\t%s\t%s\t%.0f\n' "$k" "$copies" "$bases" "$wall" "$((rss / 1024))"
        rm -f "$OUT_DIR/embed_k${k}_x$copies.parquet"
    done
done
rm -f "$OUT_DIR"/x*.fa
echo "logs in $OUT_DIR" >&2
