#!/usr/bin/env bash
# Engine benchmark (issue 3): bulk transfer over a lossless path (bytes and segments per CPU-second,
# beside the goal of > 1 M segments/s per core) and memory per connection with 10,000 idle connections;
# issue 14: segments per CPU-second with NewReno and CUBIC through a 1%-loss simulated link (--only cc),
# and SYNs per CPU-second a listener absorbs with SYN cookies on and off, with a legitimate client's
# connect time during a flood on the simulated network (--only flood).
#
#   scripts/bench-engine.sh                 # release build, full run (512 MB, 10 000 connections)
#   scripts/bench-engine.sh --quick         # 64 MB, 2 000 connections
#   scripts/bench-engine.sh --profile       # also: callgrind of a small engine-pair run, top functions
#   any other arguments go to toytcp-bench (--megabytes N, --connections N,
#   --only floor|pair|bytes|port|sim|idle|cc|flood)
set -euo pipefail
cd "$(dirname "$0")/.."

profile=0
args=()
for a in "$@"; do
  case "$a" in
    --profile) profile=1 ;;
    --quick) args+=(--megabytes 64 --connections 2000) ;;
    *) args+=("$a") ;;
  esac
done

swift build -c release --product toytcp-bench >/dev/null
bin=.build/release/toytcp-bench
"$bin" "${args[@]+"${args[@]}"}"

if [ "$profile" -eq 1 ]; then
  if ! command -v valgrind >/dev/null; then
    echo "bench-engine: valgrind is not installed (apt-get install valgrind); skipping the profile" >&2
    exit 0
  fi
  out=$(mktemp -d /tmp/toytcp-callgrind.XXXXXX)
  echo
  echo "callgrind: engine pair, wire bytes, 16 MB (output in $out)"
  valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" "$bin" --only bytes --megabytes 16 >/dev/null 2>"$out/valgrind.log"
  # Self cost per function (where the instructions are spent), then inclusive cost; demangled,
  # without the binary path. Ir = instructions executed.
  echo "self cost (Ir), top 25:"
  callgrind_annotate --inclusive=no "$out/callgrind.out" 2>/dev/null \
    | grep -E '^ *[0-9,]+ \(' | head -25 | swift demangle --simplified 2>/dev/null \
    | sed -E 's| \[[^]]*\]$||; s|^([^%]*%\)) +[^:]*:|\1  |' | cut -c1-160 || true
  echo
  echo "inclusive cost (Ir), top 25:"
  callgrind_annotate --inclusive=yes "$out/callgrind.out" 2>/dev/null \
    | grep -E '^ *[0-9,]+ \(' | head -25 | swift demangle --simplified 2>/dev/null \
    | sed -E 's| \[[^]]*\]$||; s|^([^%]*%\)) +[^:]*:|\1  |' | cut -c1-160 || true
fi
