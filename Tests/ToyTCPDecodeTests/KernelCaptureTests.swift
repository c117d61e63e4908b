import Foundation
import Testing
import ToyTCPDecode
import ToyTCPTestSupport

/// Real kernel TCP between two network namespaces, captured by tcpdump: our one-line output must be
/// identical to `tcpdump -nn -r` on the same file (issue 2, "Against tcpdump").
///
/// Two namespaces joined by a veth pair (unique names, removed afterwards; `ethtool -K tx off` so the
/// capture holds real checksums and MTU-sized segments, see LAB-NOTES fact 1). Traffic: a handshake with
/// Linux's options (mss, sackOK, TS, nop, wscale), a 300 kB transfer, an orderly close, and a connection
/// to a closed port answered by a RST. Needs root; skips without it unless CI=true.
@Suite("kernel capture against tcpdump", .serialized)
struct KernelCaptureTests {
    @Test("kernel TCP captured by tcpdump: our lines equal tcpdump -nn -r, relative and absolute")
    func kernelTrafficMatchesTcpdump() throws {
        guard TestSupport.isRoot else {
            if TestSupport.isCI { Issue.record("CI=true but not root: the namespace test cannot run") }
            else { print("skipped: needs root to create network namespaces (run as root, or CI=true to require it)") }
            return
        }
        let tools = ["ip", "tcpdump", "nc", "ethtool"]
        for tool in tools where TestSupport.which(tool) == nil {
            Issue.record("\(tool) is not installed (scripts/setup.sh installs it)")
            return
        }
        // The namespaces, veth pair, capture and traffic live in a shell script (below), so that cleanup
        // runs from a shell trap whatever happens to the steps.
        let script = TestSupport.temporaryPath("kernel-capture.sh")
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
        defer { unlink(script) }
        let id = TestEnvironment.uniqueID()
        let pcap = TestSupport.temporaryPath("kernel.pcap")
        defer { unlink(pcap) }
        let setup = try TestSupport.run(["/bin/bash", script, pcap, id], timeout: 90)
        try #require(setup.status == 0, "kernel-capture.sh failed: \(setup.stderr)")

        for absolute in [false, true] {
            let reference = try TestSupport.tcpdumpLines(pcap, absolute: absolute)
            let ours = try TestSupport.decode(pcap, absolute: absolute)
            let lines = reference.split(separator: "\n")
            #expect(lines.count >= 10)
            #expect(reference.contains("Flags [S], seq "))
            #expect(reference.contains("options [mss 1460,sackOK,TS val "))
            #expect(reference.contains("Flags [S.], seq "))
            #expect(reference.contains("Flags [F"))  // [F.] or [FP.] when the FIN rides on the last data
            #expect(reference.contains("40001: Flags [S]"))
            #expect(reference.contains("Flags [R.], seq 0, ack "))
            #expect(reference.contains("length 1448") || reference.contains("length 1460") || reference.contains(", length 2"))
            if let diff = TestSupport.firstDifference(reference, ours) { Issue.record("absolute=\(absolute) \(diff)") }
        }
    }

    /// usage: bash script OUT.pcap ID
    static let script = #"""
#!/usr/bin/env bash
# Used by KernelCaptureTests: real kernel TCP between two fresh network namespaces, captured by tcpdump.
# usage: kernel-capture.sh OUT.pcap ID     (ID makes the namespace and veth names unique; needs root)
# Traffic: a handshake with Linux's options, 300 kB of data, an orderly close (nc -N), and a SYN to a
# closed port that the kernel answers with RST/ACK. Everything it creates is removed on exit.
set -euo pipefail
out=$1 id=$2
\#(NamespacePair.preamble(tag: "dec"))
capture_pid=""
# Signals are stopped with SIGKILL: a test runner may spawn this script with SIGINT/SIGTERM blocked, and
# the mask is inherited; tcpdump -U has written every packet by then, so nothing is lost.
cleanup_more() { [ -n "$capture_pid" ] && kill -KILL "$capture_pid" 2>/dev/null || true; }
# `ip netns exec` execs tcpdump, so $! is tcpdump's own pid. Immediate mode sizes ring frames by the snap
# length: a small snap length (frames are at most 1514 bytes here) and a 16 MB buffer keep the kernel
# from dropping packets of a fast burst.
ip netns exec "$nsb" tcpdump -i "$vb" -n -U --immediate-mode -s 2000 -B 16384 -w "$out" tcp 2>"$out.log" >/dev/null &
capture_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$out.log" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$out.log"
ip netns exec "$nsb" timeout -s KILL 20 nc -l 40000 </dev/null >/dev/null 2>&1 &
server_pid=$!
sleep 0.3
head -c 300000 /dev/zero | ip netns exec "$nsa" timeout -s KILL 20 nc -N -w 5 10.0.0.2 40000 >/dev/null
wait "$server_pid" || true
ip netns exec "$nsa" timeout -s KILL 5 nc -z -w 2 10.0.0.2 40001 </dev/null >/dev/null 2>&1 || true
sleep 1
kill -KILL "$capture_pid" 2>/dev/null || true
wait "$capture_pid" 2>/dev/null || true
capture_pid=""
rm -f "$out.log"
"""#
}
