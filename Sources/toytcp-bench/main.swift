// toytcp-bench: engine benchmarks, run in release mode by scripts/bench-engine.sh.
//
// Prints, for bulk transfer over a lossless path, bytes per CPU-second and segments per CPU-second
// (one core: the benchmark is single-threaded) beside the issue's goal of well over 1 M segments/s per
// core, with the ratio; and the memory held per idle connection with 10,000 of them.
//
// Also (issue 14): segments per CPU-second with NewReno and CUBIC through a lossy simulated link, and
// SYNs per CPU-second a listener absorbs with SYN cookies on and off, beside a legitimate client's
// connect time during the flood on the simulated network.
//
// Usage: toytcp-bench [--megabytes N] [--connections N] [--only floor|pair|bytes|port|sim|idle|cc|flood]
import ToyTCPEngine
#if canImport(Glibc)
import Glibc
#endif

/// Prints a usage error on standard error and exits with status 2.
func usageError(_ message: String) -> Never {
    let line = "toytcp-bench: " + message.replacingPrefix("toytcp-bench: ") + "\n"
    _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    exit(2)
}

extension String {
    func replacingPrefix(_ prefix: String) -> String { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self }
}

var megabytes = 512
var connections = 10_000
var only: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--megabytes":
        guard let v = arguments.popFirst().flatMap({ Int($0) }), v > 0 else {
            usageError("toytcp-bench: --megabytes needs a positive number")
        }
        megabytes = v
    case "--connections":
        guard let v = arguments.popFirst().flatMap({ Int($0) }), v > 0 else {
            usageError("toytcp-bench: --connections needs a positive number")
        }
        connections = v
    case "--only":
        guard let v = arguments.popFirst(), ["floor", "pair", "bytes", "port", "sim", "idle", "cc", "flood"].contains(v) else {
            usageError("toytcp-bench: --only takes floor, pair, bytes, port, sim, idle, cc or flood")
        }
        only = v
    case "-h", "--help":
        print("usage: toytcp-bench [--megabytes N] [--connections N] [--only floor|pair|bytes|port|sim|idle|cc|flood]")
        exit(0)
    default:
        usageError("toytcp-bench: unknown argument '\(argument)' (try --help)")
    }
}

/// The issue's goal: the engine is never the bottleneck of the raw-socket path, "well over 1 M
/// segments/s per core". The lab's raw socket itself moves ~0.5 M segments/s (LAB-NOTES.md).
let goalSegmentsPerSecond = 1_000_000.0
let labRawSocketSegmentsPerSecond = 500_000.0

func report(_ r: BulkResult, expected: Int) {
    let ratio = r.segmentsPerCPUSecond / goalSegmentsPerSecond
    print("\(pad(r.name, 52))  \(pad(format(r.bytesPerCPUSecond / 1e6, decimals: 1), 10))  \(pad(format(r.bytesPerCPUSecond * 8 / 1e9, decimals: 2), 7))  \(pad(human(r.segmentsPerCPUSecond), 15))  \(pad(format(ratio, decimals: 2) + "x", 8))  \(pad(format(r.cpuSeconds, decimals: 2), 6))")
    if r.reverseSegments > 0 {
        print("\(pad("", 52))  (\(r.segments - r.reverseSegments) data segments, \(r.reverseSegments) from the receiver)")
    }
    if r.bytes < expected {
        print("  !! only \(r.bytes) of \(expected) bytes arrived: the transfer stalled")
    }
}

// Idle connections first, on a fresh heap (after the bulk runs, freed buffers would absorb the TCBs).
if only == nil || only == "idle" {
    let m = benchmarkIdleConnections(count: connections)
    print("toytcp-bench: memory of idle connections")
    print("  \(m.connections) connections opened, \(m.established) established (two TCBs each: client and server)")
    print("  RSS +\(format(Double(m.rssDelta) / 1_048_576, decimals: 1)) MiB = \(Int(m.rssPerConnection)) bytes per connection (\(Int(m.rssPerConnection / 2)) per TCB)")
    print("  reference: Linux holds ~2-3 KiB per idle established socket (struct tcp_sock + inode + file)")
    print("")
}

let total = megabytes * 1_000_000
let bulk = only == nil || ["floor", "pair", "bytes", "sim"].contains(only!)
if bulk {
    print("toytcp-bench: bulk transfer of \(megabytes) MB over a lossless path (release build, one core)")
    print("goal: > \(human(goalSegmentsPerSecond)) segments/s per core (issue 3); the lab's raw socket path moves ~\(human(labRawSocketSegmentsPerSecond)) pkt/s (LAB-NOTES)")
    print("")
    print("\(pad("path", 52))  \(pad("MB/CPU-s", 10))  \(pad("Gbit/s", 7))  \(pad("segments/CPU-s", 15))  \(pad("vs goal", 8))  \(pad("CPU s", 6))")
}
var floor: BulkResult?
if only == nil || only == "floor" {
    let f = benchmarkCopyAndChecksumFloor(total: total)
    report(f, expected: total)
    floor = f
}
if only == nil || only == "pair" { report(benchmarkPair(total: total, path: .parsedPackets), expected: total) }
if only == nil || only == "bytes" {
    let r = benchmarkPair(total: total, path: .wireBytes)
    report(r, expected: total)
    if let floor {
        print("\(pad("", 52))  engine wire path / floor: \(format(r.segmentsPerCPUSecond / floor.segmentsPerCPUSecond, decimals: 2))x (the rest of its CPU goes to TCP logic and copies)")
    }
}
if only == nil || only == "port" {
    // The packet path's cost (issue 10: <= 5% with intercept off), beside the direct wire path in one run.
    // Direct runs before and after (the machine's speed drifts), the port runs between them.
    let before = benchmarkPair(total: total, path: .wireBytes)
    report(before, expected: total)
    let viaPort = [0, 1].map { benchmarkPair(total: total, path: .port(stages: $0)) }
    for r in viaPort { report(r, expected: total) }
    let after = benchmarkPair(total: total, path: .wireBytes)
    report(after, expected: total)
    let direct = (before.segmentsPerCPUSecond + after.segmentsPerCPUSecond) / 2
    for (stages, r) in zip([0, 1], viaPort) {
        let cost = (1 - r.segmentsPerCPUSecond / direct) * 100
        print("packet path, \(stages) stage\(stages == 1 ? "" : "s"): costs \(format(cost, decimals: 1))% of the direct wire path's segments/s (mean of the runs before and after; goal <= 5% with nothing installed)")
    }
}
if only == nil || only == "sim" { report(benchmarkSimulatedNetwork(total: total), expected: total) }

if only == nil || only == "cc" {
    let lossy = min(total, 32_000_000)
    print("")
    print("toytcp-bench: congestion control, \(lossy / 1_000_000) MB through a simulated link with 1% loss and 1 ms delay")
    print("\(pad("path", 52))  \(pad("segments/CPU-s", 15))  \(pad("CPU s", 6))  \(pad("virtual s", 9))  goodput (virtual)")
    var results: [BulkResult] = []
    for algorithm in [CongestionControlAlgorithm.newReno, .cubic] {
        let r = benchmarkSimulatedNetwork(total: lossy, congestionControl: algorithm, lossRate: 0.01)
        results.append(r)
        let v = r.virtualSeconds ?? 0
        print("\(pad(r.name, 52))  \(pad(human(r.segmentsPerCPUSecond), 15))  \(pad(format(r.cpuSeconds, decimals: 2), 6))  \(pad(format(v, decimals: 2), 9))  \(format(Double(r.bytes) * 8 / max(v, 1e-9) / 1e6, decimals: 1)) Mbit/s")
        if r.bytes < lossy { print("  !! only \(r.bytes) of \(lossy) bytes arrived") }
    }
    print("cubic / newreno: segments per CPU-second \(format(results[1].segmentsPerCPUSecond / results[0].segmentsPerCPUSecond, decimals: 2))x, virtual goodput \(format((results[0].virtualSeconds ?? 1) / (results[1].virtualSeconds ?? 1), decimals: 2))x")
}

if only == nil || only == "flood" {
    let count = 200_000
    print("")
    print("toytcp-bench: SYN flood, \(count) SYNs from distinct ports at one listener (backlog 128), wire bytes")
    print("\(pad("defence", 20))  \(pad("SYNs/CPU-s", 12))  \(pad("SYN-ACKs", 9))  legitimate connect during a 20,000-SYN flood (simulated, RTT 2 ms)")
    var rates: [Double] = []
    for defense in [SynFloodDefense.cookies, .drop] {
        let (rate, replies) = benchmarkSynAbsorption(count: count, defense: defense)
        rates.append(rate)
        let connect = benchmarkConnectDuringFlood(defense: defense)
        let connectText = connect.map { "\(format(Double($0.nanosecondsClamped) / 1e6, decimals: 2)) ms" } ?? "not within 10 s"
        print("\(pad(defense == .cookies ? "cookies on" : "cookies off (drop)", 20))  \(pad(human(rate), 12))  \(pad(String(replies), 9))  \(connectText)")
    }
    print("cookies on / off: \(format(rates[0] / rates[1], decimals: 2))x the SYN rate absorbed per CPU-second")
}
