#!/usr/bin/env bash
# GPU check and benchmark, from the repository root on a GPU machine (no network):
#
#   benchmarks/gpu/run.sh OUTDIR
#
# 1. nvidia-smi, then `pip install --no-build-isolation --no-deps .` (CUDA backend on)  -> OUTDIR/build.log
#    (for this GPU's architecture alone, with ptxas's register / spill report of every
#    kernel, and the kernels that spill listed at the end)
# 2. python3 -m pytest tests/test_cuda.py                                                  -> OUTDIR/tests.log
# 3. benchmarks/gpu/bench_gpu.py                                                          -> OUTDIR/report.md, results.json,
#                                                                                            bench.log
# 4. Nsight Compute's report on the four target kernels                                  -> OUTDIR/ncu.txt
# 5. the other tests, then compute-sanitizer memcheck / racecheck on a subset of the
#    CUDA tests, while time is left                                                       -> OUTDIR/tests_more.log
# Eight files in all (the most the device tool returns).
#
# BENCH_ONLY=1 benchmarks/gpu/run.sh OUTDIR: steps 1 and 3 alone, for a second call
# on the still-warm machine after changing a kernel: the build directory
# (build/<wheel tag>, pyproject.toml) is kept between calls, so only the changed
# sources recompile.
# Every step has a time limit; a failing step is recorded in OUTDIR/steps.txt and the
# next one still runs. The whole script stays within about 8 minutes.
set -u
OUT=${1:?usage: benchmarks/gpu/run.sh OUTDIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PY=${PYTHON:-python3}
START=$(date +%s)
BUDGET=${BUDGET_S:-470}

# step NAME LIMIT_S LOG CMD...: runs CMD with the smaller of LIMIT_S and the time left.
step() {
  local name=$1 limit=$2 log=$3
  shift 3
  local left=$((BUDGET - ($(date +%s) - START)))
  if ((left < 15)); then
    echo "$name: SKIPPED (no time left)" | tee -a "$OUT/steps.txt"
    return
  fi
  ((limit > left)) && limit=$left
  echo "=== $name (limit ${limit}s): $* ===" >>"$log"
  local t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" >>"$log" 2>&1
  local rc=$?
  local status=ok
  ((rc == 124 || rc == 137)) && status="TIMED OUT" || { ((rc != 0)) && status="FAILED (rc=$rc)"; }
  echo "$name: $status in $(($(date +%s) - t0))s" | tee -a "$OUT/steps.txt"
}

: >"$OUT/steps.txt"
step "nvidia-smi" 30 "$OUT/build.log" nvidia-smi

# All cores for the build; the CUDA backend is required, not optional, here.
# Only this GPU's architecture is compiled (half the nvcc work of the default
# sm_80 + sm_90), and ptxas reports each kernel's registers, stack and spills
# into the build log.
command -v nvcc >/dev/null || export PATH="/usr/local/cuda/bin:$PATH"
step "nvcc --version" 30 "$OUT/build.log" nvcc --version
ARCH=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | grep -E '^[0-9]+\.[0-9]+$' | head -1 | tr -d '.')
export CUDAARCHS="${ARCH:-90}-real"
export CUDAFLAGS="-Xptxas -v"
export CMAKE_BUILD_PARALLEL_LEVEL=$(nproc)
export FASTTENSOR_CUDA=ON
step "pip install (sm_${ARCH:-90})" 300 "$OUT/build.log" "$PY" -m pip install --no-build-isolation --no-deps -v .
# The kernels that spill, if any, at the end of the build log.
step "ptxas spills" 10 "$OUT/build.log" bash -c \
  "grep -A2 -E 'Compiling entry function' '$OUT/build.log' | grep -B2 -E '[1-9][0-9]* bytes spill' >/tmp/ft_spills.txt;
   if [ -s /tmp/ft_spills.txt ]; then cat /tmp/ft_spills.txt; else echo 'no kernel spills'; fi"

if [[ ${BENCH_ONLY:-0} == 1 ]]; then
  step "benchmark" 150 "$OUT/bench.log" "$PY" benchmarks/gpu/bench_gpu.py --out "$OUT"
  echo "total $(($(date +%s) - START))s" | tee -a "$OUT/steps.txt"
  exit 0
fi

# Run the tests against the installed package, not the source tree; in four
# processes where pytest-xdist is installed (the GPU machines have it).
XDIST=()
"$PY" -c "import xdist" 2>/dev/null && XDIST=(-n 4)
step "pytest tests/test_cuda.py" 200 "$OUT/tests.log" "$PY" -m pytest -q -rs -p no:cacheprovider "${XDIST[@]}" \
  tests/test_cuda.py
step "benchmark" 150 "$OUT/bench.log" "$PY" benchmarks/gpu/bench_gpu.py --out "$OUT"
# Nsight Compute on the four target kernels, launched once each: throughput
# against the chip's peaks, occupancy, and why warps stalled (works on the
# Firecracker machines, not on gVisor; the clocks are left alone).
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
step "ncu" 90 "$OUT/ncu.txt" "${NCU:-ncu}" --clock-control none -k regex:"gemm_tiled_kernel|softmax_cached_kernel|elementwise_vector_kernel" \
  -c 4 --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats \
  --section ComputeWorkloadAnalysis "$PY" benchmarks/gpu/profile_kernels.py
step "pytest (other tests)" 120 "$OUT/tests_more.log" "$PY" -m pytest -q -p no:cacheprovider "${XDIST[@]}" tests \
  --ignore=tests/test_cuda.py

# With whatever time is left: compute-sanitizer over the kernels with shared
# memory and index arithmetic (memcheck: accesses to the wrong place inside
# an allocation, which the CPU emulator cannot see - it catches those past
# an allocation's end and misaligned vector accesses; racecheck: shared-memory
# races). It works on Firecracker machines, not on gVisor.
SUBSET="TestMatmul and (float or large or tf32 or every_simt and not strided) or TestSoftmax or TestReduce and (every_dtype or large) or TestIndex"
step "compute-sanitizer memcheck" 90 "$OUT/tests_more.log" compute-sanitizer --tool memcheck --error-exitcode 1 \
  --print-limit 20 "$PY" -m pytest -q -x -p no:cacheprovider tests/test_cuda.py -k "$SUBSET"
step "compute-sanitizer racecheck" 60 "$OUT/tests_more.log" compute-sanitizer --tool racecheck --error-exitcode 1 \
  --print-limit 20 "$PY" -m pytest -q -x -p no:cacheprovider tests/test_cuda.py -k "TestMatmul and test_float and float32 and contiguous or TestReduce and every_dtype and float32"

echo "total $(($(date +%s) - START))s" | tee -a "$OUT/steps.txt"
