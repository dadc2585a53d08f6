#!/usr/bin/env bash
# Usage: bash tools/gpu_check.sh [--out DIR] [--device cuda|cpu]
# The GPU acceptance checks (tools/gpu_check.py): precision and attention
# kernel, bf16 sampling speed against diffusers, AMP training steps, a
# one-process dist_train.sh run. Without CUDA: the same code, small, on the
# CPU, GPU-only rows marked as not run.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHONPATH="$ROOT":$PYTHONPATH exec "${PYTHON:-python}" "$ROOT/tools/gpu_check.py" "$@"
