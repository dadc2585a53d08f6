#!/usr/bin/env bash
# The bundled default job: install the core level if needed (torch,
# mmengine, mmcm: tools/env/install.sh --core; no mmcv or mmagic), then
# draw 100 one-step samples (ten of each digit) from the bundled digits
# model, a consistency model trained on a CPU (see
# configs/consistency_models/train).
# Writes work_dirs/quickstart/samples_100x16x16x1.npz and samples_grid.png.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bash tools/env/install.sh --core
PY=${MMCM_VENV:-$ROOT/.venv}/bin/python
CONFIG=configs/consistency_models/digits/cm-ct_adm-unet_1step_digits-16x16.py
CKPT=checkpoints/cm-ct_digits-16x16.pt
OUT=${1:-work_dirs/quickstart}
LABELS=$(for _ in $(seq 10); do seq -s, 0 9; done | paste -sd, -)
"$PY" tools/sample.py "$CONFIG" "$CKPT" --num-samples 100 --batch-size 100 \
  --class-labels "$LABELS" --grid --grid-size 100 --grid-zoom 4 --out "$OUT"
