#!/usr/bin/env bash
# Runs the workflow through SLURM on a one-node cluster started here, and checks its outputs.
#
#   sudo bash workflows/snakemake/test-slurm.sh      (root: it starts slurmctld and slurmd)
#
# 1. Installs Debian's slurmctld, slurmd, slurm-client and munge with apt-get if missing.
# 2. Starts, all under a temporary directory and on their own ports and socket (so nothing
#    of an existing SLURM or MUNGE setup is used or changed): munged with a fresh key,
#    slurmctld, and slurmd for one node (this machine: its hostname, CPUs and memory as
#    `slurmd -C` reports them) in one default partition.
# 3. Runs the workflow (both routes; the scatter/gather route's count jobs are separate
#    SLURM jobs) with `--profile profiles/slurm`, i.e. snakemake-executor-plugin-slurm, in
#    a temporary copy of this directory, then checks the same outputs as test-local.sh.
# 4. Stops the daemons it started (by their PIDs) and removes the temporary directory,
#    also on failure or interrupt.
#
# Job status: there is no accounting (slurmdbd) here, so `sacct` cannot answer. The plugin
# is told to use `squeue` (--slurm-status-command squeue), which lists finished jobs for
# MinJobAge seconds; MinJobAge is set to 600 s, well above the 3 x 5 s the plugin needs
# with its first status check after 5 s (--slurm-init-seconds-before-status-checks 5).
#
# Environment: VENV (default .venv at the repository root; snakemake,
# snakemake-executor-plugin-slurm, pyarrow and numpy are pip-installed if missing),
# KMER2VEC (the binary; default `kmer2vec` on PATH, else target/release/kmer2vec),
# KEEP=1 keeps the temporary directory (logs) for a look afterwards.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
VENV=${VENV:-$repo/.venv}

say() { printf '\n--- %s (%s)\n' "$*" "$(date +%T)"; }
die() { echo "test-slurm.sh: FAIL: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root: it starts slurmctld and slurmd (which run jobs)"

# kmer2vec on PATH (sbatch passes this environment on to the jobs)
if [[ -n ${KMER2VEC:-} ]]; then
    PATH=$(cd "$(dirname "$KMER2VEC")" && pwd):$PATH
elif ! command -v kmer2vec >/dev/null && [[ -x $repo/target/release/kmer2vec ]]; then
    PATH=$repo/target/release:$PATH
fi
command -v kmer2vec >/dev/null ||
    die "kmer2vec is not on PATH (cargo build --release, then PATH=\$PWD/target/release:\$PATH)"

say "SLURM and MUNGE from Debian's packages"
missing=()
for pair in slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client munged:munge; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if ((${#missing[@]})); then
    echo "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "$(slurmctld -V), munge $(dpkg-query -W -f='${Version}' munge 2>/dev/null)"

say "Python venv $VENV"
[[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
VENV=$(cd "$VENV" && pwd)
if ! "$VENV/bin/python" -c 'import snakemake, snakemake_executor_plugin_slurm, pyarrow, numpy' 2>/dev/null; then
    "$VENV/bin/pip" install -q --disable-pip-version-check \
        snakemake snakemake-executor-plugin-slurm pyarrow numpy
fi
PATH=$VENV/bin:$PATH
export PATH
echo "snakemake $(snakemake --version)," \
    "snakemake-executor-plugin-slurm $("$VENV/bin/pip" show snakemake-executor-plugin-slurm 2>/dev/null | sed -n 's/^Version: //p')," \
    "$(kmer2vec --version | head -1)"

work=$(mktemp -d "${TMPDIR:-/tmp}/k2v-slurm-test.XXXXXX")
chmod 0755 "$work"
pids=()
cleanup() {
    local rc=$?
    if ((${#pids[@]})); then
        say "stop the daemons started here (PIDs ${pids[*]})"
        # newest first: slurmd, slurmctld, then munged
        for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
            kill "${pids[i]}" 2>/dev/null || true
        done
        for pid in "${pids[@]}"; do
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            kill -9 "$pid" 2>/dev/null || true
        done
    fi
    if ((rc != 0)) && [[ -d $work/log ]]; then
        for f in "$work"/log/*.log; do
            echo "=== tail of $f"
            tail -n 20 "$f"
        done
    fi
    if [[ ${KEEP:-0} == 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "start munged (own key and socket)"
mkdir -p "$work/munge" "$work/log" "$work/state/ctld" "$work/state/d"
chmod 0700 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 0400 "$work/munge/munge.key"
socket=$work/munge/munge.socket
munged --foreground --force --key-file="$work/munge/munge.key" --socket="$socket" \
    --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/munged.seed" \
    --log-file="$work/log/munged.log" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do [[ -S $socket ]] && break; sleep 0.2; done
[[ -S $socket ]] || die "munged did not start"
munge --socket="$socket" -n | unmunge --socket="$socket" >/dev/null || die "munge does not work"
echo "munged $! ok"

say "write slurm.conf: one node, this machine"
host=$(hostname -s)
node=$(slurmd -C | head -1) # NodeName=... CPUs=... RealMemory=...
[[ $node == "NodeName=$host "* ]] || die "slurmd -C says '$node', hostname is $host"
export SLURM_CONF=$work/slurm.conf
cat >"$SLURM_CONF" <<CONF
# one-node test cluster written by test-slurm.sh
ClusterName=k2vtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$work/state/ctld
SlurmdSpoolDir=$work/state/d
SlurmctldPidFile=$work/state/slurmctld.pid
SlurmdPidFile=$work/state/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=600
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
grep -E '^(NodeName|PartitionName)' "$SLURM_CONF"

say "start slurmctld and slurmd"
slurmctld -D -i -f "$SLURM_CONF" >"$work/log/slurmctld.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
scontrol ping | grep -q UP || die "slurmctld did not come up"
slurmd -D -f "$SLURM_CONF" >"$work/log/slurmd.out" 2>&1 &
pids+=($!)
state=
for _ in $(seq 100); do
    state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
    [[ $state == idle ]] && break
    sleep 0.3
done
[[ $state == idle ]] || die "node $host is '$state', not idle"
sinfo
srun -N1 -n1 hostname >/dev/null || die "srun does not run a job"
echo "srun ok"

# Inside each job, snakemake-executor-plugin-slurm-jobstep (0.6.1) runs the rule with a
# nested `srun`, from an environment stripped of all SLURM_* variables except a few job
# ids, so SLURM_CONF does not reach it and srun looks for /etc/slurm/slurm.conf. Real
# clusters keep their slurm.conf there (or run configless); this test leaves /etc alone
# and instead puts first on the jobs' PATH an srun that sets SLURM_CONF again.
mkdir -p "$work/bin"
cat >"$work/bin/srun" <<SHIM
#!/bin/sh
SLURM_CONF='$SLURM_CONF' exec '$(command -v srun)' "\$@"
SHIM
chmod +x "$work/bin/srun"
PATH=$work/bin:$PATH

say "copy the workflow to $work/repo/workflows/snakemake"
mkdir -p "$work/repo/workflows/snakemake"
for f in Snakefile rules config envs schemas scripts profiles; do
    cp -r "$here/$f" "$work/repo/workflows/snakemake/"
done
ln -s "$repo/examples" "$work/repo/examples"
ln -s "$repo/tests" "$work/repo/tests"
cd "$work/repo/workflows/snakemake"

say "snakemake --profile profiles/slurm (SLURM executor)"
snakemake --profile profiles/slurm --jobs 4 --latency-wait 10 \
    --slurm-no-account --slurm-status-command squeue \
    --slurm-init-seconds-before-status-checks 5 \
    --slurm-logdir "$work/slurm-logs" --slurm-keep-successful-logs

say "jobs SLURM ran"
squeue --states=all -o '%.6i %.10T %.5C %.8m %.8M  %k'
jobs=$(squeue --states=all -h -t COMPLETED -o %k)
n_count=$(grep -c '^rule_count_' <<<"$jobs" || true)
shards=$(python -c 'import yaml; print(yaml.safe_load(open("config/config.yaml"))["scatter_gather"]["shards"])')
echo "$(wc -l <<<"$jobs") jobs completed, $n_count of them count jobs"
((n_count == shards)) || die "expected $shards count jobs on SLURM, saw $n_count"
for rule in split merge train embed; do
    grep -q "^rule_${rule}_" <<<"$jobs" || die "no $rule job on SLURM"
done

say "check the outputs"
find results logs -type f | sort
python scripts/check_outputs.py workflow config/config.yaml embed scatter_gather

say "ok"
