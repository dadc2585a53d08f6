#!/usr/bin/env bash
# Usage: bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [opts]
# GPUS (total, default 8), GPUS_PER_NODE (8), CPUS_PER_TASK (5), SRUN_ARGS.
set -x
source "$(dirname "${BASH_SOURCE[0]}")/launch_common.sh"
slurm_launch "$1" "$2" train.py "$3" --work-dir="$4" --launcher=slurm "${@:5}"
