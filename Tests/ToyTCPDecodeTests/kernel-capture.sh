#!/usr/bin/env bash
# Used by KernelCaptureTests: real kernel TCP between two fresh network namespaces, captured by tcpdump.
# usage: kernel-capture.sh OUT.pcap ID     (ID makes the namespace and veth names unique; needs root)
# Traffic: a handshake with Linux's options, 300 kB of data, an orderly close (nc -N), and a SYN to a
# closed port that the kernel answers with RST/ACK. Everything it creates is removed on exit.
set -euo pipefail
out=$1 id=$2
nsa="toytcp-dec-a-$id" nsb="toytcp-dec-b-$id" va="tdca$id" vb="tdcb$id"
capture_pid=""
# Signals are stopped with SIGKILL: a test runner may spawn this script with SIGINT/SIGTERM blocked, and
# the mask is inherited; tcpdump -U has written every packet by then, so nothing is lost.
cleanup() {
  [ -n "$capture_pid" ] && kill -KILL "$capture_pid" 2>/dev/null || true
  ip netns del "$nsa" 2>/dev/null || true
  ip netns del "$nsb" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$nsa"
ip netns add "$nsb"
ip link add "$va" type veth peer name "$vb"
ip link set "$va" netns "$nsa"
ip link set "$vb" netns "$nsb"
ip -n "$nsa" addr add 10.0.0.1/24 dev "$va"
ip -n "$nsb" addr add 10.0.0.2/24 dev "$vb"
for pair in "$nsa:$va" "$nsb:$vb"; do
  ns=${pair%%:*} dev=${pair#*:}
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$dev" up
  # LAB-NOTES fact 1: without this the capture holds partial checksums and GSO super-segments.
  ip netns exec "$ns" ethtool -K "$dev" tx off >/dev/null
done
# `ip netns exec` execs tcpdump, so $! is tcpdump's own pid.
ip netns exec "$nsb" tcpdump -i "$vb" -n -U --immediate-mode -w "$out" tcp 2>"$out.log" >/dev/null &
capture_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$out.log" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$out.log"
ip netns exec "$nsb" timeout -s KILL 20 nc -l 40000 >/dev/null 2>&1 &
server_pid=$!
sleep 0.3
head -c 300000 /dev/zero | ip netns exec "$nsa" timeout -s KILL 20 nc -N -w 5 10.0.0.2 40000
wait "$server_pid" || true
ip netns exec "$nsa" timeout -s KILL 5 nc -z -w 2 10.0.0.2 40001 || true
sleep 1
kill -KILL "$capture_pid" 2>/dev/null || true
wait "$capture_pid" 2>/dev/null || true
capture_pid=""
rm -f "$out.log"
