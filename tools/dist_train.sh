#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG GPUS [train.py options]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT as for torchrun.
# Without CUDA (CPU), pass --cfg-options env_cfg.dist_cfg.backend=gloo.
source "$(dirname "${BASH_SOURCE[0]}")/launch_common.sh"
dist_launch "$2" train.py "$1" --launcher pytorch "${@:3}"
