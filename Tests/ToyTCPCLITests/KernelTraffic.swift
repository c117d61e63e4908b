import Foundation
import Testing
import ToyTCPTestSupport

/// Real kernel TCP made by the tests in network namespaces they create (unique names, removed on exit):
/// the capture the tcpdump-flag tests decode, and the live-capture run. Needs root, ip, tcpdump,
/// ethtool, iptables, python3, nc; under CI=true a missing piece is a failure, never a skip.
enum KernelTraffic {
    /// Whether the kernel tests can run here; records an issue under CI=true when they cannot.
    static func available() -> Bool {
        guard TestEnvironment.isRoot else {
            if TestEnvironment.isCI { Issue.record("CI=true but not root: the namespace tests cannot run") }
            else { print("skipped: needs root to create network namespaces (CI=true requires it)") }
            return false
        }
        for tool in ["ip", "tcpdump", "ethtool", "iptables", "python3", "nc"] where TestEnvironment.which(tool) == nil {
            Issue.record("\(tool) is not installed (scripts/setup.sh installs it)")
            return false
        }
        return true
    }

    /// The capture of `captureScript`, made once per test run and shared by the tests that decode it.
    static let capture: Result<String, any Error> = Result {
        let script = TestEnvironment.temporaryPath("kernel-traffic.sh")
        try captureScript.write(toFile: script, atomically: true, encoding: .utf8)
        defer { unlink(script) }
        let pcap = TestEnvironment.temporaryPath("kernel-traffic.pcap")
        let r = try Subprocess.run(["/bin/bash", script, pcap, TestEnvironment.uniqueID()], timeout: .seconds(120))
        guard r.status == 0, !r.timedOut else {
            throw SubprocessError.failed("kernel-traffic.sh failed (status \(r.status)): \(r.stderr)")
        }
        return pcap
    }

    /// usage: bash script OUT.pcap ID
    static let captureScript = captureScript(tag: "dect", addresses: ("10.0.0.1/24", "10.0.0.2/24"))

    /// The capture script between namespaces `toytcp-TAG-a/b-ID` with these addresses.
    static func captureScript(tag: String, addresses: (a: String, b: String)) -> String { #"""
# Real kernel TCP between two fresh namespaces, captured by tcpdump (Ethernet, veth): a handshake with
# Linux's options and ECN negotiated (tcp_ecn=1 on the client), a 300 kB transfer with every 25th data
# segment dropped at the receiver (retransmissions and SACK blocks), urgent data (URG), a receiver that
# does not read (zero window and window probes), a RST from an abortive close (SO_LINGER 0) and one from
# a closed port. usage: kernel-traffic.sh OUT.pcap ID   (needs root; everything is removed on exit)
set -euo pipefail
out=$1 id=$2
\#(NamespacePair.preamble(tag: tag, addresses: addresses))
capture_pid=""
cleanup_more() { [ -n "$capture_pid" ] && kill -KILL "$capture_pid" 2>/dev/null || true; }
ip netns exec "$nsa" sysctl -qw net.ipv4.tcp_ecn=1
# Loss: the receiver drops every 25th data segment of the bulk transfer (port 40000).
ip netns exec "$nsb" iptables -A INPUT -p tcp --dport 40000 -m length --length 1000:65535 \
  -m statistic --mode nth --every 25 --packet 10 -j DROP
ip netns exec "$nsb" tcpdump -i "$vb" -n -U --immediate-mode -s 2000 -B 16384 -w "$out" tcp 2>"$out.log" >/dev/null &
capture_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$out.log" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$out.log"
py=$(command -v python3)
ip netns exec "$nsb" timeout -s KILL 30 "$py" - <<'PY' &
import socket, time
def listener(port, rcvbuf=None):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf: s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind(("10.0.0.2", port)); s.listen(4); return s
bulk, urg, zero, abort = listener(40000), listener(40001), listener(40002, 4096), listener(40003)
c, _ = bulk.accept()
while c.recv(65536): pass
c.close()
c, _ = urg.accept()
c.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
while c.recv(100): pass
c.close()
c, _ = zero.accept()
time.sleep(2.5)          # do not read: the window closes, the sender probes
while c.recv(65536): pass
c.close()
c, _ = abort.accept()
c.recv(100)
time.sleep(0.5)
c.close()
PY
server_pid=$!
sleep 0.5
ip netns exec "$nsa" timeout -s KILL 30 "$py" - <<'PY'
import socket, struct, time
def connect(port):
    s = socket.create_connection(("10.0.0.2", port), timeout=10); return s
s = connect(40000); s.sendall(b"\0" * 300000); s.shutdown(socket.SHUT_WR); s.recv(1); s.close()
s = connect(40001); s.sendall(b"hello "); s.send(b"!", socket.MSG_OOB); time.sleep(0.2); s.sendall(b"world\n"); s.close()
s = connect(40002); s.setblocking(False)
sent, deadline = 0, time.time() + 2
while time.time() < deadline and sent < 400000:
    try: sent += s.send(b"z" * 16384)
    except BlockingIOError: time.sleep(0.05)
s.setblocking(True); s.settimeout(10); s.sendall(b"z" * 1000); s.shutdown(socket.SHUT_WR); s.recv(1); s.close()
s = connect(40003); s.sendall(b"bye")
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); time.sleep(0.2); s.close()
try: connect(40009)
except OSError: pass
PY
wait "$server_pid" || true
sleep 1
kill -KILL "$capture_pid" 2>/dev/null || true
wait "$capture_pid" 2>/dev/null || true
capture_pid=""
rm -f "$out.log"
"""# }

    /// usage: bash script TOYTCP-SHELL WORKDIR ID
    /// Four live captures of ours on one veth inside a namespace, all entering it with --netns: one
    /// with -w and --print stopped by SIGINT, one in a tmux terminal stopped by typing Ctrl-C there, one
    /// with -c 10, one printing the RFC diagram with -c 3; beside them tcpdump's own capture.
    /// Traffic: a handshake, 100 kB, a close, two RSTs. All capture with `-s 2000`, as the reference
    /// does: in immediate mode libpcap gives each packet a ring slot of the snapshot length (256 KiB by
    /// default on a veth with offloads), so a burst on a loaded machine would overrun the default ring.
    static let liveScript = #"""
#!/usr/bin/env bash
set -euo pipefail
bin=$1 work=$2 id=$3
\#(NamespacePair.preamble(tag: "decl"))
pids=()
session="toytcp-decl-$id"
cleanup_more() {
  tmux -L "$session" kill-server 2>/dev/null || true
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
}
export TZ=UTC
ip netns exec "$nsb" tcpdump -i "$vb" -n -U --immediate-mode -s 2000 -B 16384 -w "$work/ref.pcap" tcp 2>"$work/ref.err" >/dev/null &
pids+=($!)
"$bin" decode -i "$vb" --netns "$nsb" -s 2000 -w "$work/ours.pcap" --print tcp >"$work/ours.txt" 2>"$work/ours.err" &
ours=$!; pids+=($ours)
"$bin" decode -i "$vb" --netns "$nsb" -s 2000 -c 10 --duration 20 tcp >"$work/count.txt" 2>"$work/count.err" &
count=$!; pids+=($count)
"$bin" decode -i "$vb" --netns "$nsb" -s 2000 --format diagram -c 3 --duration 20 'tcp[tcpflags] & tcp-syn != 0' >"$work/diagram.txt" 2>"$work/diagram.err" &
diagram=$!; pids+=($diagram)
# A private tmux server (-L): the shared default one belongs to whoever else uses tmux on this machine.
tmux -L "$session" new-session -d -s "$session" -x 200 -y 50 \
  "TZ=UTC '$bin' decode -i '$vb' --netns '$nsb' -s 2000 tcp >'$work/tmux.txt' 2>'$work/tmux.err'; echo \$? >'$work/tmux.rc'; sleep 30"
for f in ref ours count diagram tmux; do
  for _ in $(seq 100); do grep -q "listening on" "$work/$f.err" 2>/dev/null && break; sleep 0.1; done
  grep -q "listening on" "$work/$f.err" || { echo "$f did not start:"; cat "$work/$f.err"; exit 1; } >&2
done
ip netns exec "$nsb" timeout -s KILL 20 nc -l 40000 </dev/null >/dev/null 2>&1 &
server=$!; pids+=($server)
sleep 0.3
head -c 100000 /dev/zero | ip netns exec "$nsa" timeout -s KILL 20 nc -N -w 5 10.0.0.2 40000 >/dev/null
wait "$server" || true
ip netns exec "$nsa" timeout -s KILL 5 nc -z -w 2 10.0.0.2 40001 </dev/null >/dev/null 2>&1 || true
ip netns exec "$nsa" timeout -s KILL 5 nc -z -w 2 10.0.0.2 40002 </dev/null >/dev/null 2>&1 || true
rc=0; wait "$count" || rc=$?; echo "$rc" > "$work/count.rc"
rc=0; wait "$diagram" || rc=$?; echo "$rc" > "$work/diagram.rc"
sleep 1
kill -INT "$ours"
rc=0; wait "$ours" || rc=$?; echo "$rc" > "$work/ours.rc"
tmux -L "$session" send-keys -t "$session" C-c
for _ in $(seq 100); do [ -s "$work/tmux.rc" ] && break; sleep 0.1; done
"""#
}
