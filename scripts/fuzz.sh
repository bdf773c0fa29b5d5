#!/usr/bin/env bash
# Coverage-guided fuzzing of the library's parsers on the stable toolchain.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Builds fuzz/ (libFuzzer, through the libfuzzer-sys crate, instrumented
# with stable rustc flags: no nightly, no cargo-fuzz), then runs each target
# (default: all of fuzz/fuzz_targets/) for SECONDS_PER_TARGET (default 20)
# on a copy of its seed corpus fuzz/corpus/TARGET in a temporary directory,
# so a run never changes the repository. Targets run FUZZ_JOBS at a time
# (default: the number of CPUs). Prints per target the executions, exec/s
# and coverage, and for a crash or a failed property the panic message and
# the input in hex; exits 1 if any target failed, 2 on a usage error.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

usage() {
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
  exit 2
}

secs=${1:-20}
[[ $secs =~ ^[0-9]+$ && $secs -gt 0 ]] || usage
shift $(($# > 0 ? 1 : 0))
all=$(cd fuzz/fuzz_targets && ls -- *.rs | sed 's/\.rs$//')
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets <<<"$all"
for t in "${targets[@]}"; do
  grep -qx -- "$t" <<<"$all" || { echo "fuzz.sh: no target '$t' (have: $(echo $all))" >&2; usage; }
done

# Longest input per target, in bytes: room for what each parser limits
# (a request head to 8 KiB, a path past PATH_MAX, --header lines past
# their 1024 bytes) without slowing the small cases down.
max_len() {
  case $1 in
    request) echo 8192 ;; path) echo 4200 ;; cli) echo 2048 ;;
    passwd) echo 1024 ;; range | date) echo 256 ;;
    tls_session) echo 4096 ;; tls_keys) echo 8192 ;;
    multipart) echo 8192 ;; chunked) echo 4096 ;; tar) echo 4200 ;; auth) echo 1024 ;;
    *) echo 512 ;;
  esac
}

# libfuzzer-sys compiles libFuzzer (C++) with the cc crate.
if ! command -v c++ >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "fuzz.sh: installing g++ (libFuzzer is C++)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq g++ >/dev/null
  else
    echo "fuzz.sh: a C++ compiler (c++) is needed to build libFuzzer" >&2
    exit 1
  fi
fi

# rust-toolchain.toml pins the toolchain; where rustup knows it only as
# "stable" (and cannot download), link the installed one under that name,
# as .ci/run does.
pinned=$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)
if command -v rustup >/dev/null 2>&1 && ! rustup toolchain list | grep -q "^$pinned"; then
  if rustc +stable --version 2>/dev/null | grep -q " $pinned "; then
    rustup toolchain link "$pinned" "$(rustc +stable --print sysroot)"
  fi
fi

# What `cargo fuzz build --sanitizer none` passes, all stable flags:
# SanitizerCoverage's inline 8-bit counters and PC table (libFuzzer's
# coverage feedback), comparison tracing (for its CMP dictionary), stack
# depth, and `cfg(fuzzing)`. Given with an explicit --target so that build
# scripts and proc macros are not instrumented.
export RUSTFLAGS="-Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
-Cllvm-args=-sanitizer-coverage-stack-depth \
-Cllvm-args=-simplifycfg-branch-fold-threshold=0 \
--cfg fuzzing"
host=$(rustc -vV | sed -n 's/^host: //p')
export CARGO_TARGET_DIR=$root/fuzz/target
locked=()
[ "${CI:-}" = true ] && locked=(--locked)
start=$(date +%s)
echo "fuzz.sh: building ${#targets[@]} target(s) for $host"
bins=()
for t in "${targets[@]}"; do bins+=(--bin "$t"); done
(cd fuzz && cargo build --release --target "$host" "${locked[@]}" "${bins[@]}")
bin_dir=$CARGO_TARGET_DIR/$host/release
built=$(date +%s)

work=$(mktemp -d "${TMPDIR:-/tmp}/httpd-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

# One target: fuzz a copy of its seeds; everything it writes stays in $work.
run() {
  local t=$1 dir=$work/$1
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp fuzz/corpus/"$t"/seed-* "$dir/corpus/" 2>/dev/null || true
  local dict=()
  [ -f fuzz/dict/"$t".dict ] && dict=(-dict="$root/fuzz/dict/$t.dict")
  set +e
  (cd "$dir" && "$bin_dir/$t" -max_total_time="$secs" -max_len="$(max_len "$t")" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
    -artifact_prefix="$dir/artifacts/" corpus >"$dir/log" 2>&1)
  echo $? >"$dir/status"
}

jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
echo "fuzz.sh: ${secs}s per target, $jobs at a time, corpora copied to $work"
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run "$t" &
done
wait

total=0
failed=()
printf '%-12s %12s %9s %7s %7s %7s\n' target executions exec/s cov ft corpus
for t in "${targets[@]}"; do
  dir=$work/$t
  field() { sed -n "s/^stat::$1: *//p" "$dir/log" | tail -1; }
  execs=$(field number_of_executed_units)
  rate=$(field average_exec_per_sec)
  last=$(grep -E '(DONE|INITED|NEW|REDUCE|pulse) +cov:' "$dir/log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  printf '%-12s %12s %9s %7s %7s %7s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
  total=$((total + ${execs:-0}))
  crash=$(ls "$dir"/artifacts/ 2>/dev/null | head -1)
  if [ "$(cat "$dir/status")" != 0 ] || [ -n "$crash" ]; then
    failed+=("$t")
    echo "FAIL $t (exit $(cat "$dir/status"))"
    grep -E -A3 "panicked at|ERROR: libFuzzer|SUMMARY" "$dir/log" | grep -v '^stack backtrace' | head -12 | sed 's/^/    /'
    if [ -n "$crash" ]; then
      echo "    input ($crash, $(wc -c <"$dir/artifacts/$crash") bytes), hex:"
      od -An -v -tx1 "$dir/artifacts/$crash" | tr -d ' \n' | fold -w 64 | sed 's/^/      /'
      echo
      echo "    reproduce: save that input and run (cd fuzz && $bin_dir/$t FILE)"
      mkdir -p fuzz/artifacts/"$t" && cp "$dir/artifacts/$crash" fuzz/artifacts/"$t"/
      echo "    kept as fuzz/artifacts/$t/$crash (git-ignored)"
    fi
  fi
done
end=$(date +%s)
echo "fuzz.sh: $total executions in all; build $((built - start)) s, fuzzing $((end - built)) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets, no crash, no failed property"
