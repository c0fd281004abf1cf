#!/usr/bin/env bash
# Create the isolated venvs the throughput benchmark's peers run in (idempotent).
#
#   bench/.venvs/tools    uv (pip needs >10 min of backtracking on garak's dependency set)
#   bench/.venvs/inspect  inspect-ai + openai
#   bench/.venvs/garak    garak, with a *local CPU* torch wheel
#
# garak depends on torch>=2.13.  The torch on PyPI pulls ~3 GB of CUDA wheels, so it is never
# installed from the registry: a local CPU wheel is required (default dir /opt/wheels, override
# with TORCH_WHEEL_DIR=...).  Re-running this script only installs what is missing.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENVS="$BENCH_DIR/.venvs"
PY="${PYTHON:-python3}"
INSPECT_VERSION="${INSPECT_VERSION:-0.3.285}"
GARAK_VERSION="${GARAK_VERSION:-0.17.1}"
TORCH_WHEEL_DIR="${TORCH_WHEEL_DIR:-/opt/wheels}"

make_venv() {
  if [ ! -x "$VENVS/$1/bin/python" ]; then
    echo "creating $VENVS/$1"
    "$PY" -m venv "$VENVS/$1"
  fi
}

make_venv tools
if [ ! -x "$VENVS/tools/bin/uv" ]; then
  "$VENVS/tools/bin/pip" install --quiet uv
fi
UV="$VENVS/tools/bin/uv"

echo "== inspect"
make_venv inspect
"$UV" pip install --quiet --python "$VENVS/inspect/bin/python" \
  "inspect-ai==$INSPECT_VERSION" openai

echo "== garak"
make_venv garak
torch_wheel="$(ls "$TORCH_WHEEL_DIR"/torch-*+cpu-*.whl 2>/dev/null | head -n 1 || true)"
if [ -z "$torch_wheel" ]; then
  echo "no local CPU torch wheel in $TORCH_WHEEL_DIR (set TORCH_WHEEL_DIR); not installing" \
       "torch from PyPI, so garak is skipped" >&2
  exit 1
fi
torch_version="$(basename "$torch_wheel" | cut -d- -f2)"  # e.g. 2.13.0+cpu
"$UV" pip install --quiet --python "$VENVS/garak/bin/python" --find-links "$TORCH_WHEEL_DIR" \
  "torch==$torch_version" "garak==$GARAK_VERSION"

echo "== versions"
"$VENVS/inspect/bin/python" -c \
  'import importlib.metadata as m; print("inspect-ai", m.version("inspect-ai"), "openai", m.version("openai"))'
"$VENVS/garak/bin/python" -c \
  'import importlib.metadata as m; print("garak", m.version("garak"), "torch", m.version("torch"))'
