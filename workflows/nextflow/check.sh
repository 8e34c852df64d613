#!/usr/bin/env bash
# What can be checked of the Nextflow modules and pipeline without Nextflow (which this
# project's build machines cannot install). Uses the kmer2vec on PATH; a few seconds.
#
#   PATH=$PWD/target/release:$PATH bash workflows/nextflow/check.sh
#
# 1. `kmer2vec --version | head -1` is `kmer2vec X.Y.Z`: the modules' version eval strips
#    "kmer2vec " from it.
# 2-4. check_modules.py: every subcommand and --option the modules, nextflow.config and the
#    tests use is in `kmer2vec <cmd> --help`; each module's script and stub block, filled in
#    as Nextflow would, runs on the bundled data and makes the outputs it declares; meta.yml
#    and environment.yml parse and agree with main.nf.
#
# Needs python3 with PyYAML: the system's if it has it, else $VENV's (default: the
# repository's .venv), into which PyYAML is installed if missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

command -v kmer2vec >/dev/null || { echo "check.sh: no kmer2vec on PATH" >&2; exit 1; }
echo "kmer2vec: $(command -v kmer2vec)"

echo "--- version line"
line=$(kmer2vec --version | head -1)
if [[ $line =~ ^kmer2vec\ [0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "ok   \`kmer2vec --version | head -1\` is '$line'"
else
    echo "FAIL \`kmer2vec --version | head -1\` is '$line', not 'kmer2vec X.Y.Z'" >&2
    exit 1
fi

python=
if python3 -c 'import yaml' 2>/dev/null; then
    python=python3
else
    VENV=${VENV:-$repo/.venv}
    if [[ ! -x $VENV/bin/python ]]; then
        python3 -m venv "$VENV"
    fi
    if ! "$VENV/bin/python" -c 'import yaml' 2>/dev/null; then
        "$VENV/bin/pip" install -q --disable-pip-version-check pyyaml
    fi
    python=$VENV/bin/python
fi

"$python" "$here/check_modules.py" --nf-dir "$here" --repo "$repo" "$@"
