#!/usr/bin/env bash
# Crafting benchmark (issues 5 and 11): COUNT (default 1,000,000) hand-crafted SYNs sent from host1 into
# the lab, by toytcp-shell (`inject … count=N`, identical copies, then copies varied per copy with
# `sport=1024+i%60000 seq=random`) and by `hping3 --flood` (fixed source port with -k, then varied: hping3
# increments it per packet by default), one after the other in the same run, in namespaces this script
# creates (prefix bench<pid>) and removes. Prints the rates and the ratios.
#
# Both are timed the same way: from start until the sending interface (h1-r) has counted COUNT more
# transmitted packets. hping3 --flood ignores -c, so it is stopped when the counter gets there.
#
# Usage (root): scripts/bench-craft.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-1000000}"
[[ "$count" =~ ^[0-9]+$ ]] && [ "$count" -ge 1000 ] && [ "$count" -le 10000000 ] || { echo "bench-craft: COUNT must be 1000...10000000" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "bench-craft: run as root (it creates network namespaces)" >&2; exit 2; }
command -v hping3 >/dev/null || { echo "bench-craft: hping3 is missing: run scripts/setup.sh" >&2; exit 2; }

prefix="bench$$"
ns="$prefix-host1"
script="$(mktemp --suffix .ttcp)"
cleanup() {
  [ -n "${hping_pid:-}" ] && kill "$hping_pid" 2>/dev/null || true
  rm -f "$script"
  scripts/lab-down.sh --prefix "$prefix" >/dev/null 2>&1 || true
}
trap cleanup EXIT

swift build -c release --product toytcp-shell >/dev/null
scripts/lab-up.sh --prefix "$prefix" >/dev/null
# The receiver's kernel answers each SYN with a RST; keep that work equal for both tools.

tx() { ip netns exec "$ns" cat /sys/class/net/h1-r/statistics/tx_packets; }
now() { date +%s.%N; }

toytcp_run() {  # $1: the inject line's extra fields; prints the rate
  printf '# network: lab\ninject S 10.0.0.1:40000 > 10.0.1.1:9 seq=1 win=1024 count=%s %s\n' "$count" "$1" > "$script"
  local start_tx t0 t1 sent
  start_tx=$(tx); t0=$(now)
  .build/release/toytcp-shell run --netns "$ns" "$script" | grep -v '^#' >&2 || true
  t1=$(now); sent=$(( $(tx) - start_tx ))
  awk -v n="$sent" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }'
}

hping_run() {  # $1: extra hping3 options; stopped when the interface has sent COUNT packets (≤ 120 s)
  local start_tx t0 t1 deadline
  start_tx=$(tx); t0=$(now)
  # shellcheck disable=SC2086
  ip netns exec "$ns" hping3 -q -S -p 9 -s 40000 $1 --flood 10.0.1.1 >/dev/null 2>&1 &
  hping_pid=$!
  deadline=$(( $(date +%s) + 120 ))
  while [ $(( $(tx) - start_tx )) -lt "$count" ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.01; done
  t1=$(now); kill "$hping_pid" 2>/dev/null || true; wait "$hping_pid" 2>/dev/null || true; hping_pid=""
  awk -v n="$count" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }'
}

toytcp_rate=$(toytcp_run "")
hping_rate=$(hping_run "-k")
toytcp_varied=$(toytcp_run "sport=1024+i%60000 seq=random")
hping_varied=$(hping_run "")

echo "crafting $count SYNs into the lab (same run):"
printf "  toytcp-shell inject count=N  %10s segments/s\n" "$toytcp_rate"
printf "  hping3 -k --flood            %10s segments/s\n" "$hping_rate"
awk -v a="$toytcp_rate" -v b="$hping_rate" 'BEGIN { printf "  ratio toytcp/hping3          %10.2f\n", a / b }'
echo "varied per copy (source port; toytcp also seq=random):"
printf "  toytcp-shell sport=1024+i    %10s segments/s\n" "$toytcp_varied"
printf "  hping3 --flood               %10s segments/s\n" "$hping_varied"
awk -v a="$toytcp_varied" -v b="$hping_varied" 'BEGIN { printf "  ratio toytcp/hping3          %10.2f\n", a / b }'
