#!/usr/bin/env bash
# `kmer2vec train` costs what its updates cost, not what the genome behind the counts
# cost: train on the counts of one genome and of ten copies of it, with the same number
# of updates, and compare the times (alternating, ROUNDS rounds).
#
# Usage (from the repo root):  bash benches/counts/ten_copies.sh [GENOME.fa.gz]
# Environment: KMER2VEC (binary; default: build), OUT_DIR, ROUNDS (3), THREADS (2).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
GENOME=${1:-/usr/share/doc/ragout/examples/E.Coli/references/MG1655-K12.fasta.gz}
[[ -f "$GENOME" ]] || { echo "ten_copies.sh: $GENOME missing (apt-get install ragout-examples)" >&2; exit 1; }
if [[ -z "${KMER2VEC:-}" ]]; then
    cargo build --release --quiet
    KMER2VEC=${CARGO_TARGET_DIR:-target}/release/kmer2vec
fi
OUT_DIR=${OUT_DIR:-$(mktemp -d -t kmer2vec-ten.XXXXXX)}
mkdir -p "$OUT_DIR"
ROUNDS=${ROUNDS:-3} THREADS=${THREADS:-2}
COUNT="--k 6 --window 5"

for i in $(seq 1 10); do zcat -f "$GENOME" | sed "s/^>.*/>copy$i/"; done > "$OUT_DIR/ten.fa"
"$KMER2VEC" count "$GENOME" $COUNT -o "$OUT_DIR/one.k2c" -q
"$KMER2VEC" count "$OUT_DIR/ten.fa" $COUNT -o "$OUT_DIR/ten.k2c" -q
# One epoch of embed's pairs on one copy: tokens × (window + 1).
TOKENS=$(python3 -c 'import json,sys; f=open(sys.argv[1],"rb"); n=int.from_bytes(f.read(24)[16:24],"little"); print(json.loads(f.read(n))["stats"]["tokens"])' "$OUT_DIR/one.k2c")
UPDATES=$((TOKENS * 6))
echo "updates: $UPDATES (threads $THREADS)"
for ((round = 1; round <= ROUNDS; round++)); do
    for copies in one ten; do
        start=$(date +%s.%N)
        "$KMER2VEC" train "$OUT_DIR/$copies.k2c" --updates "$UPDATES" --threads "$THREADS" \
            -o "$OUT_DIR/$copies.parquet" -q
        end=$(date +%s.%N)
        printf '%s\t%s\t%.2f\n' "$round" "$copies" "$(echo "$end - $start" | bc -l)"
    done
done | tee "$OUT_DIR/times.tsv"
awk -F'\t' '{t[$2]=t[$2]" "$3} END {print "one copy:", t["one"]; print "ten copies:", t["ten"]}' "$OUT_DIR/times.tsv"
echo "outputs in $OUT_DIR"
