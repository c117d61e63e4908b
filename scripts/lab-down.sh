#!/usr/bin/env bash
# Removes the kernel lab that lab-up.sh built (idempotent): its three namespaces, and with them the veths,
# addresses, routes and iptables rules inside them. Nothing outside those namespaces is touched.
#
# Usage: scripts/lab-down.sh [--prefix P] [--kill]
#   --prefix P   the prefix given to lab-up.sh
#   --kill       first end the processes still running inside the lab's namespaces (SIGTERM, then SIGKILL);
#                without it such processes are listed and the namespace is still unlinked (it then lives on
#                until they exit)
set -euo pipefail
. "$(dirname "$0")/lab-common.sh"

kill_procs=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || lab_die "--prefix needs a value"; lab_prefix="$2"; shift 2 ;;
    --kill) kill_procs=1; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) lab_die "unknown argument '$1' (see --help)" ;;
  esac
done
lab_validate_prefix
lab_require_root
lab_names

for ns in "$lab_host1" "$lab_router" "$lab_host2"; do
  lab_netns_exists "$ns" || continue
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  if [ -n "$pids" ]; then
    if [ "$kill_procs" = 1 ]; then
      kill -TERM $pids 2>/dev/null || true
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [ -z "$pids" ] && break
        sleep 0.1
      done
      [ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
    else
      echo "lab-down: processes still in $ns: $(echo $pids) (use --kill to end them)" >&2
    fi
  fi
  ip netns delete "$ns"
done
echo "lab down: ${lab_prefix:+$lab_prefix-}{host1,router,host2}"
