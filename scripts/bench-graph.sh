#!/usr/bin/env bash
# Graph benchmark: toytcp-shell graph (time-sequence SVG) against tcptrace -S (its time-sequence graph, xplot
# files) on the same capture of one bulk transfer, in one run. Builds release, generates COUNT packets with
# scripts/gen-bulk-pcap.py, times both and prints seconds, peak RSS and the ratios. Also draws a capture a
# tenth the size, to show toytcp's memory does not grow with the packet count.
# usage: scripts/bench-graph.sh [PACKETS]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
work=$(mktemp -d /tmp/toytcp-bench-graph.XXXXXX)
trap 'rm -rf "$work"' EXIT
command -v tcptrace >/dev/null || { echo "bench-graph: tcptrace is not installed (run scripts/setup.sh)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-graph: /usr/bin/time is missing (run scripts/setup.sh)" >&2; exit 1; }

swift build -c release --product toytcp-shell >/dev/null
bin=$(swift build -c release --show-bin-path)/toytcp-shell

echo "generating $count packets of one transfer..."
python3 scripts/gen-bulk-pcap.py "$work/big.pcap" "$count" --seed 7
python3 scripts/gen-bulk-pcap.py "$work/small.pcap" "$((count / 10))" --seed 7

# Runs "$@" in $work; prints "seconds peak_rss_kb".
measure() {
  local t0 t1
  t0=$(date +%s.%N)
  (cd "$work" && /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null 2>"$work/stderr")
  t1=$(date +%s.%N)
  echo "$(echo "$t1 - $t0" | bc -l) $(cat "$work/rss")"
}

read -r ts tm < <(measure "$bin" graph "$work/big.pcap" --out "$work/seq.svg")
read -r rs rm < <(measure tcptrace -S -n "$work/big.pcap")
read -r ss sm < <(measure "$bin" graph "$work/small.pcap" --out "$work/small.svg")
svg=$(stat -c %s "$work/seq.svg")
xpl=$(cat "$work"/*_tsg.xpl 2>/dev/null | wc -c)
printf '%-34s %10s %14s %14s\n' "graph of $count packets" "seconds" "peak RSS (MB)" "output (MB)"
printf '%-34s %10.2f %14.1f %14.2f\n' "toytcp-shell graph (SVG)" "$ts" "$(echo "$tm / 1024" | bc -l)" "$(echo "$svg / 1048576" | bc -l)"
printf '%-34s %10.2f %14.1f %14.2f\n' "tcptrace -S (xplot)" "$rs" "$(echo "$rm / 1024" | bc -l)" "$(echo "$xpl / 1048576" | bc -l)"
printf 'ratio toytcp/tcptrace: time %.2f, memory %.2f\n' "$(echo "$ts / $rs" | bc -l)" "$(echo "$tm / $rm" | bc -l)"
printf 'toytcp peak RSS: %.1f MB at %d packets, %.1f MB at %d packets (bounded: thinned per pixel column)\n' \
  "$(echo "$sm / 1024" | bc -l)" "$((count / 10))" "$(echo "$tm / 1024" | bc -l)" "$count"
