#!/usr/bin/env bash
# Install the full stack if needed (tools/env/install.sh, default level),
# lint, run the test suite.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bash tools/env/install.sh
PY=${MMCM_VENV:-$ROOT/.venv}/bin/python
"$PY" -m ruff check mmcm tools demo tests configs
"$PY" -m pytest tests "$@"
