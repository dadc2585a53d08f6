#!/usr/bin/env bash
# Usage: bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py options]
# Each process draws every GPUS-th sample index with that index's own
# noise, so the metrics do not depend on GPUS. Multi-node: NNODES,
# NODE_RANK, MASTER_ADDR and PORT as for torchrun. Without CUDA the
# processes use gloo.
source "$(dirname "${BASH_SOURCE[0]}")/launch_common.sh"
dist_launch "$3" test.py "$1" "$2" --launcher pytorch "${@:4}"
