#!/usr/bin/env bash
# Crafting benchmark (issue 5): COUNT (default 1,000,000) hand-crafted SYNs sent from host1 into the lab,
# by toytcp-shell (`inject … count=N`) and by `hping3 --flood`, one after the other in the same run, in
# namespaces this script creates (prefix bench<pid>) and removes. Prints both rates and the ratio.
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

cat > "$script" <<TTCP
# network: lab
inject S 10.0.0.1:40000 > 10.0.1.1:9 seq=1 win=1024 count=$count
TTCP

# toytcp-shell: stops by itself after COUNT.
start_tx=$(tx); t0=$(now)
.build/release/toytcp-shell run --netns "$ns" "$script" | grep -v '^#' || true
t1=$(now); sent=$(( $(tx) - start_tx ))
toytcp_rate=$(awk -v n="$sent" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')

# hping3 --flood: stopped when the interface has sent COUNT packets (bounded to 120 s).
start_tx=$(tx); t0=$(now)
ip netns exec "$ns" hping3 -q -S -p 9 -s 40000 -k --flood 10.0.1.1 >/dev/null 2>&1 &
hping_pid=$!
deadline=$(( $(date +%s) + 120 ))
while [ $(( $(tx) - start_tx )) -lt "$count" ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.01; done
t1=$(now); kill "$hping_pid" 2>/dev/null || true; wait "$hping_pid" 2>/dev/null || true; hping_pid=""
hsent=$(( $(tx) - start_tx ))
hping_rate=$(awk -v n="$count" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')

echo "crafting $count SYNs into the lab (same run):"
printf "  toytcp-shell inject count=N  %10s segments/s  (%s sent)\n" "$toytcp_rate" "$sent"
printf "  hping3 --flood               %10s segments/s\n" "$hping_rate"
awk -v a="$toytcp_rate" -v b="$hping_rate" 'BEGIN { printf "  ratio toytcp/hping3          %10.2f\n", a / b }'
