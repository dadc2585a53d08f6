#!/usr/bin/env bash
# The editing pictures of README.md, made by the bundled digits model:
# each task's grid (input | what is kept | three results) enlarged 4x, in
# docs/editing/ (the digits model is gray: colorization needs an RGB model,
# such as the official ImageNet-64 ones). Run after tools/quickstart.sh (or tools/env/install.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PY=${MMCM_VENV:-$ROOT/.venv}/bin/python
CONFIG=configs/consistency_models/digits/cm-ct_adm-unet_1step_digits-16x16.py
CKPT=checkpoints/cm-ct_digits-16x16.pt
IN=demo/resources/digits
OUT=${1:-docs/editing}
WORK=work_dirs/editing_figures
DIGITS="$IN/digit_0.png $IN/digit_2.png $IN/digit_3.png $IN/digit_5.png $IN/digit_8.png"
edit() {
  "$PY" tools/edit.py "$CONFIG" "$CKPT" --zoom 4 --seed 0 --no-progress \
    --out-dir "$WORK/$1" --task "$@"
}
edit inpaint --images $DIGITS --mask center --class-labels 0,2,3,5,8 --num-variants 3
edit superres --images $DIGITS --factor 4 --class-labels 0,2,3,5,8 --num-variants 3
edit stroke --images "$IN/stroke_0.png" "$IN/stroke_7.png" --class-labels 0,7 --num-variants 3
edit interpolate --seeds 0 1 --num-frames 8 --class-labels 4
mkdir -p "$OUT"
for task in inpaint superres stroke interpolate; do
  cp "$WORK/$task/${task}_grid.png" "$OUT/$task.png"
done
echo "wrote $OUT/{inpaint,superres,stroke,interpolate}.png"
