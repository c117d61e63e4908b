#!/usr/bin/env bash
# Kernel-lab benchmark: toytcp against the Linux kernel on the same lab topology
# (host1 -- router -- host2, tx checksum offload off on every veth), in one run, side by side.
#
#   1. bulk transfer host1 -> host2 into `nc -l >/dev/null`: toytcp fileclient vs kernel nc, same file;
#      toytcp twice: the plain path (TOYTCP_GSO=0, a sendto per segment) and the GSO path (the default)
#   2. handshake latency (connect-to-established): toytcp vs a C socket/connect/close loop, against the
#      same C accept loop in host2; toytcp's blocking connect (run inline on the caller's thread), the
#      same handed to the loop's thread (TOYTCP_INLINE=0), with the application on the loop thread; and
#      the floor: a C raw socket that sends the SYN and the ACK with no TCP in it
#      (scripts/bench-lab/handshake_floor.c), what any user-space TCP pays here
#   3. the raw-socket ceiling: how fast one thread can sendto 1500-byte packets from host1 (C), and the
#      same through toytcp's RawSocketLink; and the link-layer alternatives (AF_PACKET sendto and a
#      PACKET_TX_RING, both with PACKET_QDISC_BYPASS, in C) that a stack could use instead
#   4. the shell's REPL sitting idle at its prompt in host1 (its stack on the event loop): the delay from
#      a kernel client's SYN reaching host1 to the SYN-ACK leaving it, and from its data to our ACK
#      (tcpdump timestamps on host1's veth), median and p99, beside the kernel's own listener; the REPL
#      again with its loop busy-polling and on a real-time thread (--repl-modes); and the floor: a C
#      raw-socket responder with no TCP (scripts/bench-lab/floor_responder.c), asleep in epoll_wait and
#      busy-polling, what any user-space answer costs on this machine
#
# At the end it prints issue 16's table (toytcp, kernel, ratio, goal) and the machine's load.
#
# Usage: sudo scripts/bench-lab.sh [--size MB] [--handshakes N] [--repl N] [--repl-only] [--no-repl] [--profile]
#   --repl N         connections per side for the REPL section (default 100; under the listener backlog)
#   --repl-only      run only section 4
#   --repl-before DIR  section 4 also runs DIR/toytcp-shell (e.g. a release build of an older commit),
#                    in the same run, and prints the ratio of the two REPL medians
#   --repl-modes "M …"  section 4 also runs the REPL with its event loop set otherwise, one run per mode, in
#                    order: busy-poll (`set loop busy-poll`), realtime (`set loop-priority realtime`),
#                    spin:DURATION (`set loop spin DURATION`), or several joined by commas
#                    (spin:200us,realtime); default "busy-poll realtime", "" for none
#   --handshake-only run only section 2 (kernel, the C floor, toytcp inline, handed over and on the loop
#                    thread, kernel again): the quick A/B of the connect path
#   --no-repl        skip section 4
#   TOYTCP_SCRATCH=DIR  the release build's scratch path (default .build), e.g. .build-release
#   TOYTCP_BIN=DIR      use the binaries in DIR instead of building (fileclient, toytcp-lab-bench; the
#                       REPL section also needs toytcp-shell and echoserver)
#   --size MB        bulk transfer size (default 1024)
#   --handshakes N   connections per side and round (default 2000)
#   --rounds N       rounds of the handshake section's kernel, floor and toytcp inline runs, alternating
#                    (default 5); each figure is the median of its rounds' medians
#   --profile        also record the toytcp bulk transfer with `perf record -g` and print the top symbols
# Goals (issue 16): toytcp bulk >= kernel nc->nc; median handshake <= 1.5x the kernel's; RawSocketLink
# >= 0.95 of C's sendto; toytcp bulk >= 0.6 of the C ceiling.
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb=1024
handshakes=2000
rounds=5
profile=0
repl_connections=100
repl_only=0
repl_before=""
repl_modes="busy-poll realtime"
handshake_only=0
no_repl=0
while [ $# -gt 0 ]; do
  case "$1" in
    --repl) repl_connections="$2"; shift 2 ;;
    --repl-only) repl_only=1; shift ;;
    --repl-before) repl_before="$2"; shift 2 ;;
    --repl-modes) repl_modes="$2"; shift 2 ;;
    --handshake-only) handshake_only=1; shift ;;
    --no-repl) no_repl=1; shift ;;
    --size) size_mb="$2"; shift 2 ;;
    --handshakes) handshakes="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --profile) profile=1; shift ;;
    -h|--help) sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-lab: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench-lab: must run as root (namespaces, raw sockets): sudo $0" >&2; exit 2; }
for tool in gcc nc ip tmux tcpdump python3 socat; do
  command -v "$tool" >/dev/null || { echo "bench-lab: '$tool' is missing: run scripts/setup.sh as root" >&2; exit 2; }
done

if [ -n "${TOYTCP_BIN:-}" ]; then
  bin="$TOYTCP_BIN"   # binaries built elsewhere (e.g. of an older commit, for a before/after table)
else
  echo "== building (release)"
  scratch=(--scratch-path "${TOYTCP_SCRATCH:-.build}")
  for product in fileclient toytcp-lab-bench toytcp-shell echoserver; do
    swift build -c release "${scratch[@]}" --product "$product" >/dev/null
  done
  bin="$(swift build -c release "${scratch[@]}" --show-bin-path)"
fi
work="$(mktemp -d /tmp/toytcp-bench.XXXXXX)"
prefix="bench$$"
h1="$prefix-host1"; h2="$prefix-host2"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/lab-down.sh --prefix "$prefix" --kill >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
for f in accept_server handshake_client handshake_floor rawsend ringsend floor_responder; do
  gcc -O2 -o "$work/$f" "scripts/bench-lab/$f.c"
done
scripts/lab-up.sh --prefix "$prefix" >/dev/null

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
now() { date +%s.%N; }

# Waits (bounded) until something listens on PORT in namespace NS.
wait_listen() {
  for _ in $(seq 1 500); do
    ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q ":$2" && return 0
    sleep 0.01
  done
  echo "bench-lab: nothing listens on port $2 in $1" >&2; return 1
}

# One bulk transfer: CLIENT-COMMAND... into `nc -l` on host2:PORT; prints Gbit/s.
bulk() {
  local port="$1"; shift
  ip netns exec "$h2" nc -l 10.0.1.1 "$port" >/dev/null </dev/null &
  local server=$!
  wait_listen "$h2" "$port"
  local t0 t1
  t0=$(now)
  "$@" >/dev/null 2>"$work/client.err" || { echo "bench-lab: client failed: $(tail -1 "$work/client.err")" >&2; kill $server; return 1; }
  t1=$(now)
  wait $server || true
  awk -v b="$bytes" -v a="$t0" -v z="$t1" 'BEGIN { printf "%.2f", b * 8 / (z - a) / 1e9 }'
}

# Section 4: the REPL idle. Prints "median p99 count" (microseconds) for SYN->SYN-ACK and data->ACK of
# the listener on PORT, from a capture on host1's veth while a kernel client in host2 makes N short
# connections (SYN, 1 byte, FIN).
answer_delays() {
  local port="$1" n="$2" name="$3"
  ip netns exec "$h1" tcpdump -i h1-r -nn -U --immediate-mode -s 96 -w "$work/$name.pcap" "tcp port $port" 2>"$work/$name.err" &
  local tcpdump_pid=$!
  for _ in $(seq 1 300); do grep -q "listening on" "$work/$name.err" 2>/dev/null && break; sleep 0.01; done
  # socat -u -t0: one byte, then close at once (nc would wait for the listener to close; the REPL never accepts).
  for _ in $(seq 1 "$n"); do printf x | timeout 5 ip netns exec "$h2" socat -t0 -u - TCP:10.0.0.1:"$port" >/dev/null 2>&1 || true; done
  sleep 0.3
  kill -TERM "$tcpdump_pid" 2>/dev/null || true
  wait "$tcpdump_pid" 2>/dev/null || true
  tcpdump -nn -tt -r "$work/$name.pcap" 2>/dev/null | python3 -c '
import sys
syn, data, d_syn, d_ack = {}, {}, [], []
for line in sys.stdin:
    f = line.split()
    if len(f) < 6 or f[1] != "IP": continue
    t, src, dst = float(f[0]), f[2], f[4].rstrip(":")
    flags = line.split("Flags [", 1)[1].split("]", 1)[0]
    length = int(line.rsplit("length ", 1)[1].split()[0]) if "length " in line else 0
    if dst.startswith("10.0.0.1."):
        key = src
        if flags == "S": syn.setdefault(key, t)
        elif length > 0: data.setdefault(key, t)
    else:
        key = dst
        if flags == "S." and key in syn: d_syn.append(t - syn.pop(key))
        elif "." in flags and key in data: d_ack.append(t - data.pop(key))
def stats(v):
    if not v: return "n/a n/a 0"
    v.sort()
    return "%.1f %.1f %d" % (v[len(v) // 2] * 1e6, v[min(len(v) - 1, int(len(v) * 0.99))] * 1e6, len(v))
print(stats(d_syn), stats(d_ack))
'
}

# The shell BIN idle in host1 with a listener on PORT (delayed ACKs off: the kernel's quick-ACK mode
# answers a connection's first data at once too); prints answer_delays' six figures.
# An optional fourth argument is a shell command typed first (e.g. `set loop busy-poll`).
repl_delays() {
  local shell_bin="$1" port="$2" name="$3" setup="${4:-}" session="bench-repl-$$-$2"
  tmux new-session -d -s "$session" -x 200 -y 50 "TOYTCP_HISTORY=$work/history TOYTCP_INLINE=${TOYTCP_INLINE:-1} $shell_bin/toytcp-shell --netns $h1"
  sleep 1
  local command
  IFS=';' read -ra commands <<< "$setup"
  for command in "${commands[@]}"; do tmux send-keys -t "$session" "${command# }" Enter; done
  tmux send-keys -t "$session" "set delack off" Enter "listen $port" Enter
  sleep 0.5
  answer_delays "$port" "$repl_connections" "$name"
  tmux kill-session -t "$session" 2>/dev/null || true
}

repl_section() {
  echo "== the REPL idle in host1 (nothing typed): answer delays, $repl_connections kernel connections from host2 each"
  if [ -n "$repl_before" ]; then
    read -r bs_med bs_p99 bs_n ba_med ba_p99 ba_n < <(repl_delays "$repl_before" 9303 before)
  fi
  read -r ts_med ts_p99 ts_n ta_med ta_p99 ta_n < <(repl_delays "$bin" 9300 repl)
  # The same REPL with its event loop set otherwise (EventLoop.WaitPolicy, real-time thread), in turn.
  local mode_rows=() mode port=9310 setup
  for mode in $repl_modes; do
    setup=""
    local part parts
    IFS=',' read -ra parts <<< "$mode"
    for part in "${parts[@]}"; do
      case "$part" in
        busy-poll) setup+="set loop busy-poll;" ;;
        realtime) setup+="set loop-priority realtime;" ;;
        spin:*) setup+="set loop spin ${part#spin:};" ;;
        *) echo "bench-lab: unknown REPL mode '$part' (busy-poll, realtime, spin:DURATION, joined by commas)" >&2; continue 2 ;;
      esac
    done
    setup="${setup%;}"
    read -r ms_med ms_p99 ms_n ma_med ma_p99 ma_n < <(repl_delays "$bin" "$port" "repl-$mode" "$setup")
    mode_rows+=("$mode|$setup|$ms_med|$ms_p99|$ms_n|$ma_med|$ma_p99|$ma_n")
    port=$((port + 1))
  done
  ip netns exec "$h1" socat TCP-LISTEN:9301,bind=10.0.0.1,reuseaddr,fork SYSTEM:"cat >/dev/null" &
  pids+=($!)
  wait_listen "$h1" 9301
  read -r ks_med ks_p99 ks_n ka_med ka_p99 ka_n < <(answer_delays 9301 "$repl_connections" kernel)
  # The same event loop without the shell (no stages, no second thread): what the REPL adds.
  ip netns exec "$h1" "$bin/echoserver" 10.0.0.1 9302 2>/dev/null &
  pids+=($!)
  sleep 0.5
  read -r es_med es_p99 es_n ea_med ea_p99 ea_n < <(answer_delays 9302 "$repl_connections" echoserver)
  # The floor: a C raw-socket responder with no TCP in it (scripts/bench-lab/floor_responder.c),
  # asleep in epoll_wait like our loop, then busy-polling: what any user-space answer costs here.
  ip netns exec "$h1" "$work/floor_responder" 9304 sleep 600 2>/dev/null &
  local floor_pid=$!
  pids+=($floor_pid)
  sleep 0.3
  read -r fs_med fs_p99 fs_n fa_med fa_p99 fa_n < <(answer_delays 9304 "$repl_connections" floor-sleep)
  kill "$floor_pid" 2>/dev/null || true
  ip netns exec "$h1" "$work/floor_responder" 9305 busy 600 2>/dev/null &
  floor_pid=$!
  pids+=($floor_pid)
  sleep 0.3
  read -r fb_med fb_p99 fb_n fba_med fba_p99 fba_n < <(answer_delays 9305 "$repl_connections" floor-busy)
  kill "$floor_pid" 2>/dev/null || true
  echo "SYN -> SYN-ACK   toytcp REPL median ${ts_med} us, p99 ${ts_p99} us ($ts_n)   kernel median ${ks_med} us, p99 ${ks_p99} us ($ks_n)   ratio $(ratio "$ts_med" "$ks_med")"
  echo "data -> ACK      toytcp REPL median ${ta_med} us, p99 ${ta_p99} us ($ta_n)   kernel median ${ka_med} us, p99 ${ka_p99} us ($ka_n)   ratio $(ratio "$ta_med" "$ka_med")"
  echo "echoserver       SYN -> SYN-ACK median ${es_med} us, p99 ${es_p99} us ($es_n); data -> ACK (delayed ACK on) median ${ea_med} us, p99 ${ea_p99} us ($ea_n)"
  local row
  for row in "${mode_rows[@]}"; do
    IFS='|' read -r mode setup ms_med ms_p99 ms_n ma_med ma_p99 ma_n <<< "$row"
    printf '%-16s SYN -> SYN-ACK median %s us, p99 %s us (%s); data -> ACK median %s us, p99 %s us (%s)   (`%s`; SYN /kernel %s, /sleeping REPL %s)\n' \
      "REPL $mode" "$ms_med" "$ms_p99" "$ms_n" "$ma_med" "$ma_p99" "$ma_n" "$setup" "$(ratio "$ms_med" "$ks_med")" "$(ratio "$ms_med" "$ts_med")"
  done
  echo "floor, sleeping  SYN -> SYN-ACK median ${fs_med} us, p99 ${fs_p99} us ($fs_n); data -> ACK median ${fa_med} us, p99 ${fa_p99} us ($fa_n)   (C raw socket asleep in epoll_wait, no TCP; REPL/floor $(ratio "$ts_med" "$fs_med"))"
  echo "floor, busy-poll SYN -> SYN-ACK median ${fb_med} us, p99 ${fb_p99} us ($fb_n); data -> ACK median ${fba_med} us, p99 ${fba_p99} us ($fba_n)   (the same, epoll_wait(..., 0) in a loop)"
  if [ -n "$repl_before" ]; then
    echo "REPL before      SYN -> SYN-ACK median ${bs_med} us, p99 ${bs_p99} us ($bs_n); data -> ACK median ${ba_med} us, p99 ${ba_p99} us ($ba_n)   ($repl_before)"
    echo "REPL after/before  SYN -> SYN-ACK $(ratio "$ts_med" "$bs_med"), data -> ACK $(ratio "$ta_med" "$ba_med")"
  fi
  echo "                 (goal: toytcp median <= 50 us; tcpdump timestamps on host1's veth)"
}

if [ "$repl_only" = 1 ]; then
  repl_section
  exit 0
fi

if [ "$handshake_only" = 0 ]; then
bytes=$((size_mb * 1000000))
file="/dev/shm/toytcp-bench-$$"
head -c "$bytes" /dev/urandom > "$file"
trap 'rm -f "$file"; cleanup' EXIT

echo "== bulk transfer host1 -> host2, $size_mb MB from tmpfs into nc -l >/dev/null"
kernel_gbps=$(bulk 9001 ip netns exec "$h1" nc -N 10.0.1.1 9001 < "$file")
echo "kernel nc -> nc        $kernel_gbps Gbit/s"
# The plain path first (every segment its own sendto on the raw IP socket: TOYTCP_GSO=0), then the
# default: runs of segments as one GSO frame each on an AF_PACKET socket (issue 16).
plain_gbps=$(bulk 9005 env TOYTCP_GSO=0 ip netns exec "$h1" "$bin/fileclient" 10.0.1.1 9005 "$file")
echo "toytcp, plain path      $plain_gbps Gbit/s (TOYTCP_GSO=0: one sendto per segment)"
toytcp_gbps=$(bulk 9002 ip netns exec "$h1" "$bin/fileclient" 10.0.1.1 9002 "$file")
echo "toytcp fileclient -> nc $toytcp_gbps Gbit/s (GSO runs on AF_PACKET)"
kernel2_gbps=$(bulk 9003 ip netns exec "$h1" nc -N 10.0.1.1 9003 < "$file")
echo "kernel nc -> nc (again) $kernel2_gbps Gbit/s"
kernel_avg=$(awk -v a="$kernel_gbps" -v b="$kernel2_gbps" 'BEGIN { printf "%.2f", (a + b) / 2 }')
echo "ratio toytcp / kernel   $(ratio "$toytcp_gbps" "$kernel_avg")   (goal >= 1.0; kernel = mean of the runs before and after; plain path $(ratio "$plain_gbps" "$kernel_avg"))"

fi

echo "== handshake latency (connect-to-established), $handshakes connections each, C accept loop in host2"
ip netns exec "$h2" "$work/accept_server" 10.0.1.1 9100 2>/dev/null &
pids+=($!)
wait_listen "$h2" 9100
# The kernel, the floor and toytcp's inline connect alternate, $rounds rounds of $handshakes each: this
# machine's medians drift by several µs between minutes, so each figure is the median of its rounds'
# medians, all taken in the same minutes (the rounds' medians are printed too).
k_meds=(); f_meds=(); t_meds=()
for round in $(seq 1 "$rounds"); do
  read -r m _ < <(ip netns exec "$h1" "$work/handshake_client" 10.0.1.1 9100 "$handshakes") || true
  k_meds+=("${m:-}")
  read -r m _ < <(ip netns exec "$h1" "$work/handshake_floor" 10.0.1.1 9100 "$handshakes") || true
  f_meds+=("${m:-}")
  read -r m _ < <(ip netns exec "$h1" "$bin/toytcp-lab-bench" handshake 10.0.1.1 9100 "$handshakes") || true
  t_meds+=("${m:-}")
done
median_of() { printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -n | awk '{ a[NR] = $1 } END { if (NR) printf "%.1f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
k_med=$(median_of "${k_meds[@]}"); f_med=$(median_of "${f_meds[@]}"); t_med=$(median_of "${t_meds[@]}")
echo "kernel connect()        median ${k_med:-n/a} us   (rounds: ${k_meds[*]})"
echo "C raw-socket floor      median ${f_med:-n/a} us   (rounds: ${f_meds[*]}; SYN, read the SYN-ACK, ACK: no TCP state)"
echo "toytcp connect()        median ${t_med:-n/a} us   (rounds: ${t_meds[*]}; blocking, run inline on the caller's thread while the loop is idle: EventLoop.runInline)"
# A/B: the same binary with every call handed to the loop's thread and the caller woken after.
read -r th_med th_p90 th_min th_n < <(TOYTCP_INLINE=0 ip netns exec "$h1" "$bin/toytcp-lab-bench" handshake 10.0.1.1 9100 "$handshakes") || true
echo "toytcp connect(), handed to the loop  median ${th_med:-n/a} us, p90 ${th_p90:-n/a} us, min ${th_min:-n/a} us (${th_n:-0})   (TOYTCP_INLINE=0; inline/handed $(ratio "$t_med" "${th_med:-0}"))"
# The application on the loop thread (connect(…onLoop:)): no hand-off and no lock between threads.
read -r l_med l_p90 l_min l_n < <(ip netns exec "$h1" "$bin/toytcp-lab-bench" handshake-loop 10.0.1.1 9100 "$handshakes" 2>/dev/null) || true
echo "toytcp connect, on loop median ${l_med:-n/a} us, p90 ${l_p90:-n/a} us, min ${l_min:-n/a} us (${l_n:-0})"
k_avg=$k_med
echo "ratio toytcp / kernel   $(ratio "$t_med" "$k_avg")   (medians of $rounds alternating rounds; goal <= 1.5); floor / kernel $(ratio "${f_med:-0}" "$k_avg"), toytcp / floor $(ratio "$t_med" "${f_med:-0}")"
if [ "$handshake_only" = 1 ]; then
  echo "(load$(uptime | sed 's/.*load average//'))"
  exit 0
fi
# A separate, captured run (tcpdump competes for the CPUs, so the timed runs above are not captured):
# the capture timestamps on host1's veth give how fast toytcp answers each SYN-ACK (the seed's
# toytcp took ~1 s, and Linux retransmitted the SYN-ACK).
ip netns exec "$h1" tcpdump -i h1-r -nn -U -s 96 -w "$work/handshakes.pcap" 'tcp port 9100' 2>"$work/tcpdump.err" &
tcpdump_pid=$!
pids+=($tcpdump_pid)
for _ in $(seq 1 300); do grep -q "listening on" "$work/tcpdump.err" 2>/dev/null && break; sleep 0.01; done
ip netns exec "$h1" "$bin/toytcp-lab-bench" handshake 10.0.1.1 9100 500 >/dev/null
sleep 0.2
kill -TERM "$tcpdump_pid" 2>/dev/null || true
wait "$tcpdump_pid" 2>/dev/null || true
# SYN-ACK in -> our ACK out, per connection (keyed by our port), from the capture's timestamps.
tcpdump -nn -tt -r "$work/handshakes.pcap" 2>/dev/null | awk '
  $3 ~ /^10\.0\.1\.1\.9100$/ && $0 ~ /Flags \[S\.\]/ { split($5, d, "."); port = d[5]; sub(":", "", port); synack[port] = $1; next }
  $3 ~ /^10\.0\.0\.1\./ && $0 ~ /Flags \[\.\]/ { split($3, s, "."); port = s[5]; if (port in synack) { print ($1 - synack[port]) * 1e6; delete synack[port] } }
' | sort -n > "$work/synack.txt"
answered=$(wc -l < "$work/synack.txt")
if [ "$answered" -gt 0 ]; then
  syn_med=$(awk -v n="$answered" 'NR == int(n / 2) + 1 { printf "%.1f", $1 }' "$work/synack.txt")
  syn_p99=$(awk -v n="$answered" 'NR == int(n * 0.99) + 1 { printf "%.1f", $1 }' "$work/synack.txt")
  syn_max=$(tail -1 "$work/synack.txt" | awk '{ printf "%.1f", $1 }')
  echo "toytcp SYN-ACK answer   median ${syn_med} us, p99 ${syn_p99} us, max ${syn_max} us ($answered handshakes, tcpdump timestamps on host1's veth)"
fi

echo "== raw-socket ceiling: one thread, sendto of 1500-byte packets from host1 towards host2"
read -r c_pps c_gbps c_drop < <(ip netns exec "$h1" "$work/rawsend" 10.0.1.1 500000) || true
echo "C sendto                $c_pps pkt/s = $c_gbps Gbit/s (dropped $c_drop)"
read -r s_pps s_gbps s_drop < <(ip netns exec "$h1" "$bin/toytcp-lab-bench" rawsend 10.0.1.1 500000) || true
echo "RawSocketLink.send      $s_pps pkt/s = $s_gbps Gbit/s (dropped $s_drop)"
echo "toytcp bulk / ceiling   $(ratio "$toytcp_gbps" "$c_gbps")"
# The link-layer alternatives, in C: one sendto per packet on an AF_PACKET socket, and a TX ring sent
# 64 frames per send(), both past the qdisc. Same packets; the router's MAC as the destination.
router_mac=$(ip netns exec "$prefix-router" cat /sys/class/net/r-h1/address)
read -r p_pps p_gbps _ < <(ip netns exec "$h1" "$work/ringsend" sendto h1-r "$router_mac" 10.0.1.1 500000) || true
read -r r_pps r_gbps _ < <(ip netns exec "$h1" "$work/ringsend" ring h1-r "$router_mac" 10.0.1.1 500000) || true
echo "C AF_PACKET sendto      $p_pps pkt/s = $p_gbps Gbit/s (PACKET_QDISC_BYPASS)"
echo "C AF_PACKET TX ring     $r_pps pkt/s = $r_gbps Gbit/s (64 frames per send, PACKET_QDISC_BYPASS)"

[ "$no_repl" = 1 ] || repl_section

echo
echo "== issue 16's table ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load$(uptime | sed 's/.*load average//'))"
echo "| what | toytcp | kernel | ratio | goal |"
echo "| --- | --- | --- | --- | --- |"
echo "| bulk host1 → host2 into \`nc -l\`, $size_mb MB | $toytcp_gbps Gbit/s (fileclient) | $kernel_avg Gbit/s (nc → nc, mean of before/after) | $(ratio "$toytcp_gbps" "$kernel_avg") | ≥ 1.0 |"
echo "| the same, plain path (\`TOYTCP_GSO=0\`: a sendto per segment) | $plain_gbps Gbit/s | $kernel_avg Gbit/s | $(ratio "$plain_gbps" "$kernel_avg") | |"
echo "| connect-to-established, median of $rounds rounds of $handshakes | $t_med µs | $k_avg µs | $(ratio "$t_med" "$k_avg")× | ≤ 1.5× |"
echo "| the same, handed to the loop's thread (\`TOYTCP_INLINE=0\`) | ${th_med:-n/a} µs | $k_avg µs | $(ratio "${th_med:-0}" "$k_avg")× | |"
echo "| the same, application on the loop thread (\`connect(…onLoop:)\`) | ${l_med:-n/a} µs | $k_avg µs | $(ratio "${l_med:-0}" "$k_avg")× | ≤ 1.5× |"
echo "| C raw-socket floor: SYN, SYN-ACK, ACK, no TCP state | ${f_med:-n/a} µs | $k_avg µs | $(ratio "${f_med:-0}" "$k_avg")× | |"
echo "| raw-socket ceiling, one thread of sendto, 1500 B | $s_pps pkt/s (RawSocketLink) | $c_pps pkt/s (C) | $(ratio "$s_pps" "$c_pps") | ≥ 0.95 |"
echo "| toytcp bulk / C ceiling ($c_gbps Gbit/s) | | | $(ratio "$toytcp_gbps" "$c_gbps") | ≥ 0.6 |"

if [ "$profile" = 1 ]; then
  command -v perf >/dev/null || { echo "bench-lab: perf is missing (apt-get install linux-perf)" >&2; exit 2; }
  echo "== profile of the toytcp bulk transfer (perf record -g, both threads)"
  ip netns exec "$h2" nc -l 10.0.1.1 9004 >/dev/null </dev/null &
  server=$!
  wait_listen "$h2" 9004
  perf record -q -g -o "$work/perf.data" -- ip netns exec "$h1" "$bin/fileclient" 10.0.1.1 9004 "$file" 2>/dev/null
  wait $server || true
  { perf report -i "$work/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E "^ +[0-9]" | head -6; echo; perf report -i "$work/perf.data" --no-children --sort symbol --stdio 2>/dev/null | grep -E "^ +[0-9]" | head -25 | cut -c1-110; } || true
  # Where the time of a bulk segment goes, inclusive: the sendto (and, inside it, the router's and
  # host2's processing, run as softirq on our CPU), the engine, the receive of ACKs, the futex.
  profile_split() {
    perf report -i "$1" --children --sort symbol --stdio 2>/dev/null | grep -E "^ +[0-9]" | sed 's/[ -]*$//' \
      | grep -E "\] (__sys_sendto|__sys_connect|net_rx_action|tcp_v4_rcv|ip_forward|__sys_recvfrom|do_recvmmsg|tcp_gso_segment|skb_segment|do_epoll_wait|__x64_sys_futex|__schedule|.*pollTransmit.*|.*PacketPort.*receive.*|.*runCommands.*|.*sendSegmentRun.*)\$" \
      | head -14 | cut -c1-110 || true
  }
  echo "-- inclusive (children) share of the bulk transfer's samples"
  profile_split "$work/perf.data"
  echo "== profile of $handshakes toytcp connects (perf record -g)"
  perf record -q -g -o "$work/perf-hs.data" -- ip netns exec "$h1" "$bin/toytcp-lab-bench" handshake 10.0.1.1 9100 "$handshakes" >/dev/null 2>&1 || true
  profile_split "$work/perf-hs.data"
fi
