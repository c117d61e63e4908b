// toytcp-lab-bench: the toytcp side of scripts/bench-lab.sh (release build, run inside a lab namespace).
//
//   toytcp-lab-bench handshake ADDR PORT COUNT   connect-to-established latency, COUNT connections
//                                                (each aborted at once, as the C client's SO_LINGER 0
//                                                close): prints "median_us p90_us min_us count";
//                                                TOYTCP_CALLER_WAIT=sleep|adaptive picks how the
//                                                blocked caller waits (EventLoop.CallerWait);
//                                                TOYTCP_BENCH_STATISTICS=1 logs how many calls ran
//                                                inline and how many callers slept
//   toytcp-lab-bench handshake-loop ADDR PORT COUNT  the same, with each connect made and its
//                                                completion run on the loop thread (no thread hand-off)
//   toytcp-lab-bench rawsend DST COUNT           one thread sends COUNT 1500-byte packets through
//                                                RawSocketLink: prints "packets/s Gbit/s dropped"
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import ToyTCPLink

let tool = CommandLineTool(name: "toytcp-lab-bench", usage: "[--netns NS] [--busy-poll | --loop-spin T] [--realtime] handshake|handshake-loop ADDR PORT COUNT | rawsend DST COUNT",
                           positionalCount: CommandLine.arguments.contains("rawsend") ? 3 : 4,
                           help: "The toytcp side of scripts/bench-lab.sh.")

func microseconds(_ d: Duration) -> Double { Double(d.nanosecondsClamped) / 1000 }

func fixed(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(abs(tenths % 10))"
}

switch tool.arguments[0] {
case "handshake":
    let address = tool.address(at: 1)
    let port = tool.port(at: 2)
    guard let count = Int(tool.arguments[3]), count > 0, count <= 100_000 else { tool.fail("COUNT: 1...100000") }
    let loop = tool.startLoop()
    // The bench's A/B of the caller's wait (EventLoop.CallerWait): TOYTCP_CALLER_WAIT=sleep|adaptive.
    if let text = getenv("TOYTCP_CALLER_WAIT") {
        guard let wait = EventLoop.CallerWait(rawValue: String(cString: text)) else {
            tool.fail("TOYTCP_CALLER_WAIT takes sleep or adaptive")
        }
        loop.setCallerWait(wait)
    }
    var samples: [Double] = []
    samples.reserveCapacity(count)
    for _ in 0..<count {
        let start = monotonicNow()
        do {
            let connection = try loop.connect(to: address, port: port, timeout: .seconds(5))
            samples.append(microseconds(monotonicNow() - start))
            connection.abort()  // blocking: its RST is out before the next timer starts, as C's close()
        } catch {
            tool.log("connect: \(error)")
        }
    }
    if getenv("TOYTCP_BENCH_STATISTICS") != nil, let link = try? loop.statistics().link {
        tool.log("inline calls \(link.inlineCalls), caller sleeps \(link.callerSleeps), loop wake-ups \(link.wakeups), "
                 + "deferred wake-ups \(link.deferredWakeups), packets written \(link.packetsWritten), read \(link.packetsRead)")
    }
    loop.stop()
    guard !samples.isEmpty else { tool.fail("no connection succeeded", status: 1) }
    samples.sort()
    print("\(fixed(samples[samples.count / 2])) \(fixed(samples[samples.count * 9 / 10])) \(fixed(samples[0])) \(samples.count)")

case "handshake-loop":
    let address = tool.address(at: 1)
    let port = tool.port(at: 2)
    guard let count = Int(tool.arguments[3]), count > 0, count <= 100_000 else { tool.fail("COUNT: 1...100000") }
    let loop = tool.startLoop()
    /// The chain of connects, touched only on the loop thread (each step runs in the last one's completion).
    final class Chain: @unchecked Sendable {
        var samples: [Double] = []
        var remaining: Int
        var start = monotonicNow()
        let done = DispatchSemaphore(value: 0)
        init(_ count: Int) { remaining = count; samples.reserveCapacity(count) }
    }
    let chain = Chain(count)
    @Sendable func next() {
        chain.start = monotonicNow()
        loop.connect(to: address, port: port, timeout: .seconds(5)) { result in
            switch result {
            case .success(let connection):
                chain.samples.append(microseconds(monotonicNow() - chain.start))
                connection.abortOnLoop()
            case .failure(let error):
                tool.log("connect: \(error)")
            }
            chain.remaining -= 1
            // The next connect starts once this round's RST is out (as the C client's next timer
            // starts after its close()).
            if chain.remaining == 0 { chain.done.signal() } else { loop.schedule { next() } }
        }
    }
    loop.schedule { next() }
    chain.done.wait()
    loop.stop()
    var samples = chain.samples
    guard !samples.isEmpty else { tool.fail("no connection succeeded", status: 1) }
    samples.sort()
    print("\(fixed(samples[samples.count / 2])) \(fixed(samples[samples.count * 9 / 10])) \(fixed(samples[0])) \(samples.count)")

case "rawsend":
    let destination = tool.address(at: 1)
    guard let count = Int(tool.arguments[2]), count > 0 else { tool.fail("COUNT must be a positive number") }
    if let namespace = tool.namespace {
        do { try NetworkNamespace.enter(namespace) } catch { tool.fail(error) }
    }
    let link: RawSocketLink
    do { link = try RawSocketLink() } catch { tool.fail(error) }
    let source = (try? RouteLookup.sourceAddress(toward: destination)) ?? .any
    // A full-size segment to port 9 with a wrong TCP checksum: the receiver drops it silently.
    var packet = IPv4Packet(header: IPv4Header(source: source, destination: destination),
                            segment: TCPSegment(sourcePort: 40_000, destinationPort: 9, flags: .ack,
                                                payload: [UInt8](repeating: 0xab, count: 1460))).bytes()
    packet[36] ^= 0xff
    var sent = 0
    var dropped = 0
    let start = monotonicNow()
    packet.withUnsafeBytes { bytes in
        for _ in 0..<count {
            switch try? link.send(bytes) {
            case .done?: sent += 1
            default: dropped += 1
            }
        }
    }
    let seconds = Double((monotonicNow() - start).nanosecondsClamped) / 1e9
    let rate = Double(sent) / seconds
    print("\(Int(rate)) \(fixed(rate * 1500 * 8 / 1e9)) \(dropped + link.sendDrops)")

default:
    tool.fail("unknown mode '\(tool.arguments[0])': handshake, handshake-loop or rawsend")
}
