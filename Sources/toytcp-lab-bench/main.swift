// toytcp-lab-bench: the toytcp side of scripts/bench-lab.sh (release build, run inside a lab namespace).
//
//   toytcp-lab-bench handshake ADDR PORT COUNT   connect-to-established latency, COUNT connections
//                                                (each aborted at once, as the C client's SO_LINGER 0
//                                                close): prints "median_us p90_us min_us count"
//   toytcp-lab-bench rawsend DST COUNT           one thread sends COUNT 1500-byte packets through
//                                                RawSocketLink: prints "packets/s Gbit/s dropped"
#if canImport(Glibc)
import Glibc
#endif
import ToyTCPLink

let tool = CommandLineTool(name: "toytcp-lab-bench", usage: "[--netns NS] handshake ADDR PORT COUNT | rawsend DST COUNT",
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
    var samples: [Double] = []
    samples.reserveCapacity(count)
    for _ in 0..<count {
        let start = monotonicNow()
        do {
            let connection = try loop.connect(to: address, port: port, timeout: .seconds(5))
            samples.append(microseconds(monotonicNow() - start))
            connection.abort()
            // The abort is queued to the loop and its RST is sent there; the C client's close() sends
            // its RST before that client starts its next timer, so wait for ours too (a round trip
            // to the loop, which runs calls in order): otherwise the next connect waits for it.
            _ = try? loop.statistics()
        } catch {
            tool.log("connect: \(error)")
        }
    }
    loop.stop()
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
    tool.fail("unknown mode '\(tool.arguments[0])': handshake or rawsend")
}
