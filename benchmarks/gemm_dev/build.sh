#!/usr/bin/env bash
# Builds the standalone GEMM / thread-pool test + benchmark (not part of the
# package build). Per-file SIMD flags follow the project convention:
#   *_avx512.cpp: -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma
#   *_avx2.cpp:   -mavx2 -mfma
#   others:       x86-64 baseline
# Usage: benchmarks/gemm_dev/build.sh [output-binary]   (default /tmp/gemm_dev)
#        EXTRA_FLAGS="-flto" build.sh ...   (e.g. to check the LTO build the
#        package uses; extra flags go to every compile and the link)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/../../csrc/cpu"
out="${1:-/tmp/gemm_dev}"
obj="$(mktemp -d)"
trap 'rm -rf "$obj"' EXIT
CXX="${CXX:-g++}"
read -r -a extra <<< "${EXTRA_FLAGS:-}"
common=(-std=c++17 -O3 -fno-math-errno -Wall -Wextra -Werror -fPIC -I"$src" "${extra[@]}")
avx512=(-mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma)
avx2=(-mavx2 -mfma)
pids=()
for f in "$src"/cpuinfo.cpp "$src"/parallel.cpp "$src"/gemm.cpp "$src"/gemm_avx2.cpp "$src"/gemm_avx512.cpp "$here"/gemm_dev.cpp; do
  flags=()
  case "$f" in
    *_avx512.cpp) flags=("${avx512[@]}") ;;
    *_avx2.cpp) flags=("${avx2[@]}") ;;
  esac
  "$CXX" "${common[@]}" "${flags[@]}" -c "$f" -o "$obj/$(basename "$f").o" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
# ODR guard: objects built with AVX flags must export no weak (COMDAT)
# symbols, or the linker could pick their copy of an inline function for
# code that runs on a CPU without AVX.
for o in "$obj"/*_avx512.cpp.o "$obj"/*_avx2.cpp.o; do
  weak="$(nm -C --defined-only "$o" | awk '$2 ~ /^[WVu]$/' || true)"
  if [ -n "$weak" ]; then
    echo "error: $(basename "$o") exports weak symbols (ODR hazard):" >&2
    echo "$weak" >&2
    exit 1
  fi
done
"$CXX" -O3 "${extra[@]}" "$obj"/*.o -o "$out" -pthread
echo "built $out"
