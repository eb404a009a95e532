#!/usr/bin/env bash
# Builds the vec_math.h dev harness: vec_math_dev.cpp compiled once per SIMD
# level (the same three flag sets the extension uses), linked into one binary
# that checks accuracy / special values of all levels, then times them.
# Usage: ./build.sh [harness args, e.g. --quick | --no-bench | --stride 1]
#        NO_RUN=1 ./build.sh   (build only)
#        PYTHON=/path/python  (numpy/torch comparison, default /work/venv/bin/python)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT_DIR:-$here/build}"
mkdir -p "$out"
CXX="${CXX:-g++}"
common=(-std=c++17 -O3 -fno-math-errno -Wall -Wextra -Werror)
AVX512=(-mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma)
AVX2=(-mavx2 -mfma)
rm -f "$out"/level_*.o "$out/vec_math_dev"
"$CXX" "${common[@]}" "${AVX512[@]}" -DFT_LEVEL=2 -c "$here/vec_math_dev.cpp" -o "$out/level_avx512.o" &
p1=$!
"$CXX" "${common[@]}" "${AVX2[@]}" -DFT_LEVEL=1 -c "$here/vec_math_dev.cpp" -o "$out/level_avx2.o" &
p2=$!
"$CXX" "${common[@]}" -DFT_LEVEL=0 -DFT_VMDEV_MAIN -c "$here/vec_math_dev.cpp" -o "$out/level_sse2.o"
wait $p1
wait $p2
"$CXX" -pthread "$out"/level_sse2.o "$out"/level_avx2.o "$out"/level_avx512.o -o "$out/vec_math_dev"
python3 "$here/check_asm.py"  # main loops vectorised at every level, no calls
[[ "${NO_RUN:-0}" == 1 ]] && exit 0
status=0
"$out/vec_math_dev" "$@" || status=$?
PY="${PYTHON:-/work/venv/bin/python}"
if [[ " $* " != *" --no-bench "* ]] && [[ -x "$PY" ]]; then
  "$PY" "$here/bench_ref.py" || true
fi
exit $status
