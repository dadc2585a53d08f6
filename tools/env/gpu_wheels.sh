#!/usr/bin/env bash
# Usage: bash tools/env/gpu_wheels.sh [DIR]      (default DIR: .whl)
#
# The pure-Python wheels that tools/gpu_check.sh needs on a GPU machine that
# has Python 3.12, torch, numpy 2, opencv, scipy and scikit-learn but no
# package registry: mmengine, mmcv-lite (mmcv without compiled ops; mmcm
# needs only its transforms), diffusers and lpips for the comparison rows,
# and their small dependencies. About 4 MB. On the GPU machine:
#
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site DIR/*.whl
#   PYTHONPATH=/tmp/site:$PYTHONPATH bash tools/gpu_check.sh --out $OUT
#
# mmagic is not needed there: without it the model packs its samples in
# mmengine's data elements (mmcm.structures).
set -euo pipefail
DIR=${1:-.whl}
PYTHON_VERSION=${GPU_PYTHON_VERSION:-3.12}
WHEELS=(
  mmengine==0.10.7 mmcv-lite==2.1.0 addict==2.4.0 yapf==0.43.0
  termcolor==3.3.0 platformdirs==4.14.9
  diffusers==0.24.0 huggingface_hub==0.25.2 importlib_metadata==8.7.0
  lpips==0.1.4
)
mkdir -p "$DIR"
python3 -m pip download --quiet --no-deps --only-binary=:all: \
  --python-version "$PYTHON_VERSION" --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 -d "$DIR" "${WHEELS[@]}" 2>&1 \
  | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
du -sh "$DIR"
