#!/usr/bin/env bash
# Runs the Snakemake workflow for real with the default config (the small real data bundled
# in the repository), on the local executor with 2 cores, and checks its outputs: the
# embeddings read back with pyarrow, and the merged counts of the scatter/gather route equal
# one `kmer2vec count` of the whole input.
#
#   bash workflows/snakemake/test-local.sh
#
# Environment:
#   VENV     Python venv to use, created if missing; snakemake, pyarrow and numpy are
#            pip-installed into it if missing (default: .venv at the repository root)
#   KMER2VEC the kmer2vec binary (default: `kmer2vec` on PATH, else target/release/kmer2vec)
#   CORES    cores for Snakemake (default 2)
#
# The workflow runs in a temporary copy of this directory (removed at the end), placed so
# that the default config's paths (../../examples/..., ../../tests/...) resolve to the
# repository's data: nothing is written into the repository.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
VENV=${VENV:-$repo/.venv}
CORES=${CORES:-2}

say() { printf '\n--- %s (%s)\n' "$*" "$(date +%T)"; }
die() { echo "test-local.sh: FAIL: $*" >&2; exit 1; }

# kmer2vec on PATH
if [[ -n ${KMER2VEC:-} ]]; then
    PATH=$(cd "$(dirname "$KMER2VEC")" && pwd):$PATH
elif ! command -v kmer2vec >/dev/null && [[ -x $repo/target/release/kmer2vec ]]; then
    PATH=$repo/target/release:$PATH
fi
command -v kmer2vec >/dev/null ||
    die "kmer2vec is not on PATH (cargo build --release, then PATH=\$PWD/target/release:\$PATH)"
export PATH

say "Python venv $VENV"
[[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
VENV=$(cd "$VENV" && pwd)
if ! "$VENV/bin/python" -c 'import snakemake, pyarrow, numpy' 2>/dev/null; then
    "$VENV/bin/pip" install -q --disable-pip-version-check snakemake pyarrow numpy
fi
snakemake=$VENV/bin/snakemake
python=$VENV/bin/python
echo "snakemake $("$snakemake" --version), $(kmer2vec --version | head -1) at $(command -v kmer2vec)"

work=$(mktemp -d "${TMPDIR:-/tmp}/k2v-snakemake-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/workflows/snakemake"
for f in Snakefile rules config envs schemas scripts profiles; do
    cp -r "$here/$f" "$work/workflows/snakemake/"
done
ln -s "$repo/examples" "$work/examples"
ln -s "$repo/tests" "$work/tests"
cd "$work/workflows/snakemake"

say "snakemake --lint"
"$snakemake" --lint

say "snakemake --cores $CORES (both routes, default config)"
"$snakemake" --cores "$CORES" --printshellcmds

say "a second run has nothing to do"
"$snakemake" --cores "$CORES" --dry-run 2>&1 | tee "$work/dry-run.txt" | tail -3
grep -q "Nothing to be done" "$work/dry-run.txt" || die "a second run would redo work"

say "check the outputs"
find results logs -type f | sort
"$python" scripts/check_outputs.py workflow config/config.yaml embed scatter_gather

say "ok"
