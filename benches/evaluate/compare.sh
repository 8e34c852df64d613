#!/usr/bin/env bash
# `kmer2vec evaluate` on kmer2vec and on gensim trained the dna2vec way on the same
# token stream, side by side.
#
# Both learn from E. coli K-12 (default) with dna2vec's settings: k 3..8 chosen per
# position, 2500–4999 bp fragments, either strand; skip-gram, dim 100, window 10,
# 5 negatives, sample 1e-3, 10 epochs. gensim trains on `kmer2vec tokens` (the first
# epoch's stream, read 10 times); kmer2vec re-draws fragments, strands and k every epoch.
# Both models are then scored by the same `kmer2vec evaluate` (same seed, same samples).
#
# Usage (from the repo root):
#   bash benches/evaluate/compare.sh [GENOME.fa.gz]
# Environment: THREADS (default 2), EPOCHS (10), OUT_DIR, BENCH_VENV, KMER2VEC, as in
# benches/peers/compare.sh.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

GENOME=${1:-/usr/share/doc/ragout/examples/E.Coli/references/MG1655-K12.fasta.gz}
THREADS=${THREADS:-2}
EPOCHS=${EPOCHS:-10}
BENCH_VENV=${BENCH_VENV:-$ROOT/.venv-bench}
OUT_DIR=${OUT_DIR:-$(mktemp -d -t kmer2vec-evaluate.XXXXXX)}
mkdir -p "$OUT_DIR"

die() { echo "evaluate/compare.sh: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[[ -f "$GENOME" ]] || die "genome not found: $GENOME (sudo apt-get install -y ragout-examples, or pass a FASTA file)"
if [[ -n "${KMER2VEC:-}" ]]; then
    K2V=$KMER2VEC
else
    cargo build --release --quiet
    K2V=${CARGO_TARGET_DIR:-target}/release/kmer2vec
fi
VPY=$BENCH_VENV/bin/python
if ! "$VPY" -c 'import gensim, numpy' 2>/dev/null; then
    log "installing gensim 4.4 into $BENCH_VENV"
    python3 -m venv "$BENCH_VENV"
    "$VPY" -m pip install -q "gensim==4.4.*" numpy scipy
fi

log "tokens (dna2vec-style, seed 1)"
"$K2V" tokens "$GENOME" --seed 1 -o "$OUT_DIR/tokens.txt"

log "kmer2vec embed ($THREADS threads, $EPOCHS epochs)"
/usr/bin/time -f "%e" -o "$OUT_DIR/kmer2vec.time" "$K2V" embed "$GENOME" -q --seed 1 \
    --dim 100 --window 10 --negatives 5 --sample 1e-3 --epochs "$EPOCHS" \
    --threads "$THREADS" -o "$OUT_DIR/kmer2vec.parquet"

log "gensim ($THREADS workers, $EPOCHS epochs)"
/usr/bin/time -f "%e" -o "$OUT_DIR/gensim.time" "$VPY" "$ROOT/benches/peers/gensim_train.py" \
    --corpus "$OUT_DIR/tokens.txt" --out "$OUT_DIR/gensim.npz" --w2v "$OUT_DIR/gensim.w2v" \
    --threads "$THREADS" --dim 100 --window 10 --negatives 5 --sample 1e-3 \
    --min-count 1 --epochs "$EPOCHS" --seed 1

for tool in kmer2vec gensim; do
    model=$OUT_DIR/$tool.parquet
    [[ $tool == gensim ]] && model=$OUT_DIR/gensim.w2v
    "$K2V" evaluate "$model" --json > "$OUT_DIR/$tool.json"
    "$K2V" evaluate "$model" > "$OUT_DIR/$tool.txt"
done

echo "genome: $GENOME; $(wc -w < "$OUT_DIR/tokens.txt") tokens an epoch; $THREADS threads, $EPOCHS epochs"
echo "wall: kmer2vec $(tail -1 "$OUT_DIR/kmer2vec.time") s, gensim $(tail -1 "$OUT_DIR/gensim.time") s"
"$VPY" - "$OUT_DIR/kmer2vec.json" "$OUT_DIR/gensim.json" <<'PY'
import json, sys
k, g = (json.load(open(p)) for p in sys.argv[1:3])
rows = []
s = lambda r: r["similarity"]
rows.append((f"similarity vs alignment, {s(k)['k']}-mers: Spearman", s(k)["spearman"], s(g)["spearman"]))
rows.append((f"similarity vs alignment, {s(k)['k']}-mers: Pearson", s(k)["pearson"], s(g)["pearson"]))
for a, b in zip(k["neighbours"], g["neighbours"]):
    rows.append((f"nearest neighbour's alignment score, k {a['k']}", a["nearest"], b["nearest"]))
    rows.append((f"  random k-mer's score (baseline), k {a['k']}", a["random"], b["random"]))
for n in ("1", "10", "100"):
    rows.append((f"concatenation hits@{n}", k["concatenation"][f"hits_at_{n}"],
                 g["concatenation"][f"hits_at_{n}"]))
print(f"| {'check':<46} | {'kmer2vec':>8} | {'gensim':>8} |")
print(f"| {'-' * 46} | {'-' * 8}:| {'-' * 8}:|")
for name, a, b in rows:
    print(f"| {name:<46} | {a:>8.3f} | {b:>8.3f} |")
PY
echo "outputs in $OUT_DIR"
