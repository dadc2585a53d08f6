#!/usr/bin/env bash
# Usage: bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [opts]
# GPUS (total, default 8), GPUS_PER_NODE (8), CPUS_PER_TASK (5), SRUN_ARGS.
#
# Preemption: have slurm send a warning signal to the tasks before it stops
# them (SRUN_ARGS="--signal=USR1@180", or `#SBATCH --signal=USR1@180` in a
# batch script). The run then saves the iteration in flight and exits with
# 75; inside a batch job this script requeues the job (scontrol requeue),
# and a requeued job (SLURM_RESTART_COUNT > 0) resumes from the latest
# checkpoint of WORK_DIR.
set -x
source "$(dirname "${BASH_SOURCE[0]}")/launch_common.sh"
PREEMPTED=75
resume=()
[ "${SLURM_RESTART_COUNT:-0}" -gt 0 ] && resume=(--resume)
slurm_launch "$1" "$2" train.py "$3" --work-dir="$4" --launcher=slurm \
    "${resume[@]}" "${@:5}"
code=$?
if [ "$code" -eq "$PREEMPTED" ] && [ -n "${SLURM_JOB_ID:-}" ]; then
    scontrol requeue "$SLURM_JOB_ID"
fi
exit "$code"
