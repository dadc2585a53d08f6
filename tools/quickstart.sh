#!/usr/bin/env bash
# The bundled default job: install the stack if needed, write an
# official-format checkpoint with random weights for the tiny config, and
# sample 16 images from it with tools/sample.py (npz + PNG grid).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bash tools/env/install.sh
PY=${MMCM_VENV:-$ROOT/.venv}/bin/python
CONFIG=configs/consistency_models/tiny/cm_adm-unet_2step_tiny-32x32.py
OUT=${1:-work_dirs/quickstart}
CKPT=$OUT/tiny_random_official.pt
"$PY" tools/create_random_checkpoint.py "$CONFIG" "$CKPT"
"$PY" tools/sample.py "$CONFIG" "$CKPT" --num-samples 16 --batch-size 8 \
  --grid --out "$OUT"
