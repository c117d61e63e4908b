#!/usr/bin/env bash
# Builds the kernel lab (idempotent: creates only what is missing, fixes what differs).
#
#   host1 10.0.0.1/24 ── router 10.0.0.254 | 10.0.1.254 (forwarding) ── host2 10.0.1.1/24
#         fd00:0:0:1::1/64        fd00:0:0:1::fe | fd00:0:0:2::fe         fd00:0:0:2::1/64
#
# IPv6 beside IPv4 on every namespace: unique-local addresses (RFC 4193, fd00::/8) without duplicate
# address detection (usable at once), default routes via the router, which forwards both families.
# In each host: loopback up, default route via the router. Only where toytcp runs (host1 by default) an
# iptables (and ip6tables) rule drops the kernel's own outgoing RSTs: the kernel resets segments for ports
# it has no socket on, which would kill toytcp's connections (shared/LAB-NOTES.md fact 3). toytcp marks
# its raw-socket packets with SO_MARK 0x7474, so its own RSTs pass; so do the RSTs of the kernel's own
# sockets (a process's socket, `-m owner`): only the RSTs the kernel sends for no socket are dropped. host2's kernel keeps its RSTs, so a
# kernel peer can refuse a connection (closed port) or reset one, as it would on a real network.
# Checksum offload is turned off on every veth (LAB-NOTES fact 1).
#
# Usage: scripts/lab-up.sh [--prefix P] [--loss PCT] [--rst-filter host1,host2|host1|host2|none]
#   --prefix P      namespaces P-host1, P-router, P-host2 (default: host1, router, host2)
#   --loss PCT      drop PCT percent of forwarded packets at random on the router (0 removes the rule)
#   --rst-filter    hosts that get the RST-dropping rule (default host1, where toytcp runs). Add host2
#                   only to run toytcp there too; a kernel peer there can then no longer refuse or reset.
set -euo pipefail
. "$(dirname "$0")/lab-common.sh"

loss=""
rst_filter="host1"
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || lab_die "--prefix needs a value"; lab_prefix="$2"; shift 2 ;;
    --loss) [ $# -ge 2 ] || lab_die "--loss needs a percentage"; loss="$2"; shift 2 ;;
    --rst-filter) [ $# -ge 2 ] || lab_die "--rst-filter needs host1,host2, host1, host2 or none"; rst_filter="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) lab_die "unknown argument '$1' (see --help)" ;;
  esac
done
lab_validate_prefix
lab_require_root
if [ -n "$loss" ]; then
  [[ "$loss" =~ ^([0-9]{1,2}(\.[0-9]+)?|100)$ ]] || lab_die "--loss '$loss': give a percentage from 0 to 100, e.g. 2 or 0.5"
fi
case "$rst_filter" in
  host1,host2|host2,host1|host1|host2|none) ;;
  *) lab_die "--rst-filter '$rst_filter': use host1,host2, host1, host2 or none" ;;
esac
lab_names

ensure_netns() {
  lab_netns_exists "$1" || ip netns add "$1"
  ip -n "$1" link set lo up
  # No duplicate address detection for the veths' link-local addresses either (the ULAs get nodad):
  # neighbor discovery needs them, and while they are tentative (about 2 s) IPv6 packets wait in the
  # neighbor queues, so the first exchange after lab-up would stall and retransmit.
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# ensure_veth NS_A DEV_A NS_B DEV_B: a veth pair with its ends directly inside the namespaces.
ensure_veth() {
  if ! ip -n "$1" link show dev "$2" >/dev/null 2>&1; then
    # A stale half (its peer namespace was deleted) cannot exist: deleting one end deletes both.
    ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
  fi
}

ensure_addr() { # NS DEV CIDR
  ip -n "$1" addr replace "$3" dev "$2"
  ip -n "$1" link set "$2" up
  # LAB-NOTES fact 1: without this the kernel sends TCP with partial checksums and GSO super-segments.
  ip netns exec "$1" ethtool -K "$2" tx off >/dev/null
}

ensure_rule() { # NS TABLE-ARGS... (appends the rule to iptables and ip6tables, only where it is not there yet)
  local ns="$1" tool; shift
  for tool in iptables ip6tables; do
    ip netns exec "$ns" "$tool" -C "$@" 2>/dev/null || ip netns exec "$ns" "$tool" -A "$@"
  done
}

remove_rule() { # NS TABLE-ARGS... (removes every copy, both families)
  local ns="$1" tool; shift
  for tool in iptables ip6tables; do
    while ip netns exec "$ns" "$tool" -C "$@" 2>/dev/null; do ip netns exec "$ns" "$tool" -D "$@"; done
  done
}

ensure_addr6() { # NS DEV CIDR (after ensure_addr: the link is up, offload off)
  ip -n "$1" -6 addr replace "$3" dev "$2" nodad
}

ensure_netns "$lab_host1"
ensure_netns "$lab_router"
ensure_netns "$lab_host2"
ensure_veth "$lab_host1" h1-r "$lab_router" r-h1
ensure_veth "$lab_host2" h2-r "$lab_router" r-h2
ensure_addr "$lab_host1" h1-r 10.0.0.1/24
ensure_addr "$lab_router" r-h1 10.0.0.254/24
ensure_addr "$lab_router" r-h2 10.0.1.254/24
ensure_addr "$lab_host2" h2-r 10.0.1.1/24
ip -n "$lab_host1" route replace default via 10.0.0.254
ip -n "$lab_host2" route replace default via 10.0.1.254
ip netns exec "$lab_router" sysctl -qw net.ipv4.ip_forward=1
ensure_addr6 "$lab_host1" h1-r fd00:0:0:1::1/64
ensure_addr6 "$lab_router" r-h1 fd00:0:0:1::fe/64
ensure_addr6 "$lab_router" r-h2 fd00:0:0:2::fe/64
ensure_addr6 "$lab_host2" h2-r fd00:0:0:2::1/64
ip -n "$lab_host1" -6 route replace default via fd00:0:0:1::fe
ip -n "$lab_host2" -6 route replace default via fd00:0:0:2::fe
ip netns exec "$lab_router" sysctl -qw net.ipv6.conf.all.forwarding=1

# The RSTs the kernel sends for no socket (its answer to toytcp's segments) are dropped; toytcp's
# (SO_MARK 0x7474) pass, and so do those of a process's kernel socket (an abortive close, SO_LINGER 0):
# dropping them too left the peer's side of every such connection in FIN-WAIT-1, and a later connect
# from the same port then retried its SYN for two minutes.
rst_rule=(OUTPUT -p tcp --tcp-flags RST RST -m mark ! --mark 0x7474 -m owner ! --uid-owner 0-4294967294 -j DROP)
# The rule of earlier versions (every unmarked RST), replaced where a lab still has it.
old_rst_rule=(OUTPUT -p tcp --tcp-flags RST RST -m mark ! --mark 0x7474 -j DROP)
for h in host1 host2; do
  ns="$lab_host1"; [ "$h" = host2 ] && ns="$lab_host2"
  remove_rule "$ns" "${old_rst_rule[@]}"
  if [[ "$rst_filter" == *"$h"* ]]; then ensure_rule "$ns" "${rst_rule[@]}"; else remove_rule "$ns" "${rst_rule[@]}"; fi
done

# Random loss on the router (LAB-NOTES fact 4: no netem in this kernel). One rule at most.
if [ -n "$loss" ]; then
  for tool in iptables ip6tables; do
    while read -r rule; do
      [ -n "$rule" ] || continue
      eval "ip netns exec \"$lab_router\" $tool ${rule/-A /-D }"
    done < <(ip netns exec "$lab_router" "$tool" -S FORWARD | grep -- '--mode random' || true)
    if [ "$loss" != 0 ] && [ "$loss" != 0.0 ]; then
      probability=$(awk -v p="$loss" 'BEGIN { printf "%.6f", p / 100 }')
      ip netns exec "$lab_router" "$tool" -A FORWARD -m statistic --mode random --probability "$probability" -j DROP
    fi
  done
fi

echo "lab up: $lab_host1 (10.0.0.1, fd00:0:0:1::1) -- $lab_router (10.0.0.254, 10.0.1.254, fd00:0:0:1::fe, fd00:0:0:2::fe) -- $lab_host2 (10.0.1.1, fd00:0:0:2::1)${loss:+, loss $loss%}"
