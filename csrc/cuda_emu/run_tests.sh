#!/usr/bin/env bash
# Tests the CUDA backend without a GPU: builds fasttensor against the CUDA
# emulator (FASTTENSOR_CUDA=EMULATE, see emu.h), runs the emulator's own
# checks, then pytest on the emulated "GPU" (by default tests/test_cuda.py).
#
#   csrc/cuda_emu/run_tests.sh [pytest arguments...]
#
# Test paths are absolute or relative to the checkout's root.
# PYTHON picks the interpreter (it needs pybind11, numpy and pytest), and
# FT_EMU_BUILD the build folder (default build/cuda-emulator).
# FT_CUDA_EMU_SMS sets the emulated multiprocessor count (default 132, an
# H100), which steers grid sizes and matmul's split-K choice;
# FT_CUDA_EMU_SEED=n runs each block's threads in shuffled orders.
set -euo pipefail
if [[ "$(uname -m)" != x86_64 ]]; then
  echo "run_tests.sh: the CUDA emulator's fibers switch stacks in x86-64 assembly; skipped on $(uname -m)"
  exit 0
fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${FT_EMU_BUILD:-$ROOT/build/cuda-emulator}
PY=${PYTHON:-python3}
GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)

cmake -S "$ROOT" -B "$BUILD" "${GENERATOR[@]}" -DFASTTENSOR_CUDA=EMULATE \
  -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" -DPython_EXECUTABLE="$(command -v "$PY")" >/dev/null
cmake --build "$BUILD" --target _C ft_cuda_emu_selftest -j "$(nproc)"
"$BUILD/ft_cuda_emu_selftest"

# The package from the source tree with the emulated module, first on the
# path (the checkout's root has no fasttensor folder of its own).
PKG="$BUILD/package"
rm -rf "$PKG" && mkdir -p "$PKG"
cp -r "$ROOT/python/fasttensor" "$PKG/"
rm -f "$PKG"/fasttensor/_C*.so && cp "$BUILD"/_C*.so "$PKG/fasttensor/"
cd "$ROOT"
# Without a test path among the arguments: tests/test_cuda.py.
HAS_PATH=0
for a in "$@"; do [[ -e "$a" || -e "${a%%::*}" ]] && HAS_PATH=1; done
((HAS_PATH)) || set -- "$@" "$ROOT/tests/test_cuda.py"
PYTHONPATH="$PKG" "$PY" -m pytest -q -p no:cacheprovider "$@"
