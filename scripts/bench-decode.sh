#!/usr/bin/env bash
# Decoder benchmark: toytcp-shell decode against tcpdump -nn on the same pcap with the same arguments, in one run:
# the plain one-line decode, a filtered decode ('tcp[tcpflags] & tcp-syn != 0', compiled by libpcap for both)
# and -v; then the same for IPv6 (one-line and -v). Builds release, generates >= 1,000,000 varied TCP segments (scripts/gen-tcp-pcap.py), checks each
# pair of outputs is identical, times both with output to /dev/null, and prints packets/s, the ratio and
# each one's peak RSS.
# usage: scripts/bench-decode.sh [PACKETS]   (default 1000000; also runs a 4x file to show memory stays flat)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
work=$(mktemp -d /tmp/toytcp-bench-decode.XXXXXX)
trap 'rm -rf "$work"' EXIT
command -v tcpdump >/dev/null || { echo "bench-decode: tcpdump is not installed (run scripts/setup.sh)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-decode: /usr/bin/time is missing (Debian package 'time'; run scripts/setup.sh)" >&2; exit 1; }

swift build -c release --product toytcp-shell >/dev/null
bin=$(swift build -c release --show-bin-path)/toytcp-shell

echo "generating $count segments..."
python3 scripts/gen-tcp-pcap.py "$work/bench.pcap" "$count" --seed 7

# Runs "$@" with output to /dev/null; prints "seconds peak_rss_kb".
measure() {
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null 2>"$work/stderr"
  t1=$(date +%s.%N)
  echo "$(echo "$t1 - $t0" | bc -l) $(cat "$work/rss")"
}

export TZ=UTC
# run_pair FILE PACKETS LABEL [ARGS...]: the same ARGS for both tools (after -nn for tcpdump).
run_pair() {
  local file=$1 n=$2 label=$3
  shift 3
  echo
  echo "== $label: decode $* / tcpdump -nn $* =="
  "$bin" decode -r "$file" "$@" > "$work/ours.txt"
  tcpdump -nn -r "$file" "$@" > "$work/ref.txt" 2>/dev/null
  if ! cmp -s "$work/ours.txt" "$work/ref.txt"; then
    echo "bench-decode: outputs differ ($label):" >&2
    diff "$work/ref.txt" "$work/ours.txt" | head -5 >&2
    exit 1
  fi
  echo "identical: $(wc -l < "$work/ours.txt") lines"
  rm -f "$work/ours.txt" "$work/ref.txt"
  # Warm the page cache, then alternate runs and keep each tool's best of three.
  cat "$file" >/dev/null
  local best_ours=999999 best_ref=999999 rss_ours=0 rss_ref=0
  for _ in 1 2 3; do
    read -r s rss < <(measure "$bin" decode -r "$file" "$@")
    if (( $(echo "$s < $best_ours" | bc -l) )); then best_ours=$s; fi; rss_ours=$rss
    read -r s rss < <(measure tcpdump -nn -r "$file" "$@")
    if (( $(echo "$s < $best_ref" | bc -l) )); then best_ref=$s; fi; rss_ref=$rss
  done
  local rate_ours rate_ref
  rate_ours=$(echo "$n / $best_ours" | bc -l)
  rate_ref=$(echo "$n / $best_ref" | bc -l)
  printf "%-10s %12s %14s %14s\n" "packets" "tool" "packets/s" "peak RSS"
  printf "%-10s %12s %14.0f %11d kB\n" "$n" "toytcp" "$rate_ours" "$rss_ours"
  printf "%-10s %12s %14.0f %11d kB\n" "$n" "tcpdump" "$rate_ref" "$rss_ref"
  printf "ratio toytcp/tcpdump ($label): %.2fx\n" "$(echo "$rate_ours / $rate_ref" | bc -l)"
}

run_pair "$work/bench.pcap" "$count" "one-line"
run_pair "$work/bench.pcap" "$count" "filtered" 'tcp[tcpflags] & tcp-syn != 0'
run_pair "$work/bench.pcap" "$count" "verbose" -v

# IPv6 (issue 15): the same mix of segments between unique-local addresses, raw IPv6 headers.
echo
echo "generating $count IPv6 segments..."
python3 scripts/gen-tcp-pcap.py "$work/bench6.pcap" "$count" --seed 7 --ipv6
run_pair "$work/bench6.pcap" "$count" "IPv6 one-line"
run_pair "$work/bench6.pcap" "$count" "IPv6 verbose" -v
rm -f "$work/bench6.pcap"

# Memory stays flat as the file grows: the same segments four times over.
cat "$work/bench.pcap" > "$work/big.pcap"
for _ in 1 2 3; do tail -c +25 "$work/bench.pcap" >> "$work/big.pcap"; done
echo
cat "$work/big.pcap" >/dev/null  # warm the page cache, as for the 1x runs
echo "4x file ($((count * 4)) packets, $(du -m "$work/big.pcap" | cut -f1) MB):"
read -r s rss < <(measure "$bin" decode "$work/big.pcap" --format line)
printf "toytcp: %.0f packets/s, peak RSS %d kB\n" "$(echo "$count * 4 / $s" | bc -l)" "$rss"
