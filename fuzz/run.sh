#!/usr/bin/env bash
# Builds every libFuzzer target (fuzz/CMakeLists.txt) with clang, ASan and UBSan into build-fuzz/,
# then runs each for a bounded time, starting from its seeds in <directory>/corpus/<name>/ (the
# directory fuzz/CMakeLists.txt gives it: fuzz/, or src/providers/<provider>/fuzz/). Fails on the
# first crash, sanitizer report, leak, out-of-memory or slow input, printing the reproducer.
#
#   fuzz/run.sh [seconds per target, default 20]
#
# Environment: FUZZ_BUDGET_SECONDS (default 150) caps the total: with many targets each gets
# budget / count seconds (at least 5), so CI time stays bounded as targets are added.
# FUZZ_BUILD_DIR (default build-fuzz), JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

seconds=${1:-20}
budget=${FUZZ_BUDGET_SECONDS:-150}
build=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${JOBS:-$(nproc)}
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "usage: fuzz/run.sh [seconds]" >&2; exit 2; }

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

if ! command -v clang++ >/dev/null; then
  echo "fuzz/run.sh: clang++ not found (Debian packages clang and libclang-rt-14-dev; ./dev install)" >&2
  exit 1
fi

log "building fuzz targets with clang in $build"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_PROJECT_INCLUDE="$ROOT/fuzz/fuzzing.cmake" >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log" >&2; exit 1; }
rm -f "$build.configure.log"
cmake --build "$build" --target fuzz_targets -j "$jobs"

mapfile -t lines < <(grep -v '^$' "$build/fuzz/targets.txt")
targets=()
declare -A directory_of
for line in "${lines[@]}"; do
  read -r target directory <<<"$line"
  targets+=("$target")
  directory_of[$target]=$directory
done
((${#targets[@]})) || { echo "fuzz/run.sh: no targets in fuzz/CMakeLists.txt" >&2; exit 1; }
per_target=$seconds
if ((per_target * ${#targets[@]} > budget)); then
  per_target=$((budget / ${#targets[@]}))
  ((per_target >= 5)) || per_target=5
  log "${#targets[@]} targets: $per_target s each to stay within ${budget} s"
fi

symbolizer=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 || true)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}${symbolizer:+:external_symbolizer_path=$symbolizer}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for target in "${targets[@]}"; do
  name=${target%_fuzz}
  seeds=${directory_of[$target]}/corpus/$name
  work=$build/fuzz/corpus/$name  # what the fuzzer finds stays out of git, cached between runs
  artifacts=$build/fuzz/artifacts
  mkdir -p "$work" "$artifacts"
  options=(-max_total_time="$per_target" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$artifacts/$target-")
  dict=${directory_of[$target]}/$name.dict
  [[ -f $dict ]] && options+=(-dict="$dict")
  [[ -d $seeds ]] || { echo "fuzz/run.sh: no seeds in $seeds" >&2; exit 1; }
  log "fuzzing $target for $per_target s"
  output=$build/fuzz/$target.log
  if ! "$build/fuzz/$target" "${options[@]}" "$work" "$seeds" >"$output" 2>&1; then
    tail -n 80 "$output" >&2
    echo >&2
    echo "fuzz/run.sh: $target FAILED; the input is in $artifacts/ (see 'Test unit written to' above)." >&2
    echo "Reproduce: $build/fuzz/$target <that file>; add it to $seeds/ once fixed." >&2
    exit 1
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$output" | tr '\n' ' ' >&2
  echo "corpus $(find "$work" -type f | wc -l) inputs" >&2
done
log "fuzzing passed (${#targets[@]} targets)"
