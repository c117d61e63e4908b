#!/usr/bin/env bash
# Fuzz the ToyTCPWire parsers with libFuzzer (issue 2).
#
# Usage: scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]      (default: 60 seconds)
#
# Compiles Fuzz/ParserFuzzer.swift together with Sources/ToyTCPWire/*.swift with
# `-sanitize=fuzzer,address -O`, seeds a corpus from the valid packets in Fuzz/seeds.txt, and runs for a
# bounded time (one process). The corpus grows in .build/fuzz/corpus and is reused by later runs; a
# crashing input is written to .build/fuzz/crash-* and the script exits non-zero.
# Reproduce a crash with: .build/fuzz/parser-fuzzer .build/fuzz/crash-<hash>
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
case "$seconds" in
  ''|*[!0-9]*) echo "fuzz: SECONDS must be a whole number, got '$seconds'" >&2; exit 2 ;;
esac

out=.build/fuzz
mkdir -p "$out/corpus"

echo "fuzz: compiling $out/parser-fuzzer (swiftc -sanitize=fuzzer,address -O)"
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name ToyTCPWire \
  Sources/ToyTCPWire/*.swift Fuzz/ParserFuzzer.swift -o "$out/parser-fuzzer"

# Seed the corpus: one file per valid packet, plus each one cut short and padded (cheap variety).
while read -r name hex; do
  case "$name" in ''|'#'*) continue ;; esac
  printf '%s' "$hex" | xxd -r -p > "$out/corpus/seed-$name"
  printf '%s' "${hex:0:40}" | xxd -r -p > "$out/corpus/seed-$name-ip-only"
  { printf '%s' "$hex" | xxd -r -p; printf '\0\0\0\0\0\0'; } > "$out/corpus/seed-$name-padded"
done < Fuzz/seeds.txt

echo "fuzz: running for ${seconds}s over $(ls "$out/corpus" | wc -l) corpus files"
# The Swift backtracer would print a second, misleading report (an ASan stack underflow in its own
# memory server) after a fatalError; libFuzzer and ASan already report the crash.
SWIFT_BACKTRACE=enable=no "$out/parser-fuzzer" "$out/corpus" \
  -max_total_time="$seconds" -max_len=256 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$out/" -print_final_stats=1 "$@"
