import Foundation
import Testing
import ToyTCPLink

extension KernelLab {
    @Suite("Raw IPv4 link (LAB-NOTES facts 1-3)")
    struct RawLink {
        @Test("A crafted SYN reaches a kernel listener through the router; its SYN-ACK comes back with a valid checksum (RFC 9293 §3.5)")
        func craftedSYNGetsSYNACK() throws {
            Lab.run("raw-syn") { lab in
                let server = try lab.spawn(in: lab.host2, ["nc", "-l", "10.0.1.1", "5555"])
                try lab.waitForKernelListener(in: lab.host2, port: 5555)
                let link = try NetworkNamespace.perform(in: lab.host1) { try RawSocketLink() }
                defer { link.close() }

                let syn = IPv4Packet(
                    header: IPv4Header(source: Lab.host1Address, destination: Lab.host2Address),
                    segment: TCPSegment(sourcePort: 40_000, destinationPort: 5555, sequenceNumber: 1000,
                                        flags: .syn, window: 65_535, options: [.mss(1460)]))
                let sent = try syn.bytes().withUnsafeBytes { try link.send($0) }
                guard case .done = sent else { try lab.require(false, "sendto would block on an idle socket"); return }

                var buffer = [UInt8](repeating: 0, count: 65_536)
                var synAck: IPv4Packet? = nil
                let deadline = ContinuousClock.now + .seconds(3)
                while synAck == nil, ContinuousClock.now < deadline {
                    let received = try buffer.withUnsafeMutableBytes { try link.receive(into: $0) }
                    guard case .done(let length) = received else { usleep(1000); continue }
                    // verifyChecksum: a partial (offloaded) checksum would throw here (LAB-NOTES fact 1).
                    guard let packet = try? buffer.withUnsafeBytes({ buf in
                        try IPv4Packet.parse(UnsafeRawBufferPointer(rebasing: buf[0..<length]), verifyChecksum: true)
                    }) else { continue }
                    if packet.segment.destinationPort == 40_000 { synAck = packet }
                }
                guard let synAck else {
                    try lab.require(false, "no SYN-ACK from the kernel within 3 s (is tx offload on? a checksum wrong?)")
                    return
                }
                lab.expect(synAck.segment.flags == [.syn, .ack], "flags \(synAck.segment.flags), expected S.")
                lab.expect(synAck.segment.acknowledgmentNumber == SequenceNumber(1001),
                           "ack \(synAck.segment.acknowledgmentNumber), expected 1001")
                lab.expect(synAck.header.source == Lab.host2Address, "from \(synAck.header.source)")
                // Clean up the kernel's half-open connection with a RST of ours (marked: it passes the filter).
                let rst = IPv4Packet(
                    header: IPv4Header(source: Lab.host1Address, destination: Lab.host2Address),
                    segment: TCPSegment(sourcePort: 40_000, destinationPort: 5555, sequenceNumber: 1001, flags: .rst))
                _ = try rst.bytes().withUnsafeBytes { try link.send($0) }
                server.kill()
            }
        }

        @Test("Source address selection follows the routing table; an unroutable destination is a clear error")
        func routeLookup() throws {
            Lab.run("route-lookup") { lab in
                let source = try NetworkNamespace.perform(in: lab.host1) {
                    try RouteLookup.sourceAddress(toward: Lab.host2Address)
                }
                lab.expect(source == Lab.host1Address, "source for 10.0.1.1 from host1: \(source)")
                let addresses = try NetworkNamespace.perform(in: lab.host1) { try InterfaceAddress.usable() }
                lab.expect(addresses == [Lab.host1Address], "host1's usable addresses: \(addresses)")
                let routerAddresses = try NetworkNamespace.perform(in: lab.router) { try InterfaceAddress.usable() }
                lab.expect(Set(routerAddresses) == [IPv4Address(10, 0, 0, 254), IPv4Address(10, 0, 1, 254)],
                           "router's usable addresses: \(routerAddresses)")
                // The router has no default route: 192.0.2.1 (TEST-NET-1) is unreachable from it.
                do {
                    _ = try NetworkNamespace.perform(in: lab.router) {
                        try RouteLookup.sourceAddress(toward: IPv4Address(192, 0, 2, 1))
                    }
                    lab.fail("expected LinkError.noRoute")
                } catch let error as LinkError {
                    lab.expect(error == .noRoute(IPv4Address(192, 0, 2, 1)), "got \(error)")
                }
                do {
                    try NetworkNamespace.perform(in: "\(lab.prefix)-nosuch") {}
                    lab.fail("expected LinkError.noSuchNamespace")
                } catch let error as LinkError {
                    lab.expect(error == .noSuchNamespace("\(lab.prefix)-nosuch"), "got \(error)")
                }
            }
        }

        @Test("The receive filter: a kernel connection to a port of our address that toytcp does not own never reaches the loop; our listener's still does")
        func receiveFilterKeepsOthersOut() throws {
            Lab.run("recv-filter") { lab in
                let loop = try lab.stack(in: lab.host1)
                let before = try loop.statistics().link
                // A kernel transfer to host1:5557 (our address, a port toytcp does not own): ~70 segments
                // into host1, each of which a raw TCP socket without a filter receives a copy of.
                let sink = try lab.spawn(in: lab.host1, ["nc", "-l", "10.0.0.1", "5557"], stdout: lab.temporaryPath("sink"))
                try lab.waitForKernelListener(in: lab.host1, port: 5557)
                let (input, _) = try lab.randomFile(size: 100_000)
                let client = try lab.run(in: lab.host2, ["nc", "-N", "10.0.0.1", "5557"], stdin: input, timeout: .seconds(20))
                lab.expect(client.status == 0, "kernel nc exited \(client.status): \(client.stderr)")
                _ = sink.wait(timeout: .seconds(5))
                let after = try loop.statistics().link
                lab.expect(after.packetsRead == before.packetsRead,
                           "the loop read \(after.packetsRead - before.packetsRead) packets of a kernel connection it does not own")
                // Our own listener's port passes: a kernel client's data arrives.
                let listener = try loop.listen(port: 5558)
                let greeter = try lab.spawn(in: lab.host2, ["sh", "-c", "printf hello | nc -N 10.0.0.1 5558"])
                let connection = try listener.accept(timeout: .seconds(5))
                let received = try connection.receiveAll(limit: 100, timeout: .seconds(5))
                lab.expect(received == Array("hello".utf8), "our listener received \(received)")
                lab.expect(after.filterFailures == 0, "filter replacements failed: \(after.filterFailures)")
                greeter.kill()
            }
        }

        @Test("The IPv6 receive filter: a kernel connection to an IPv6 port of our address that toytcp does not own never reaches the loop; our IPv6 listener's still does")
        func ipv6ReceiveFilterKeepsOthersOut() throws {
            Lab.run("recv-filter6") { lab in
                let ours = IPv6Address("fd00:0:0:1::1")!
                let loop = try lab.stack(in: lab.host1, ipv6Addresses: [ours])
                let before = try loop.statistics().link
                // A kernel transfer to [fd00:0:0:1::1]:5567, a port toytcp does not own: ~70 segments,
                // each copied to a raw IPv6 TCP socket without a filter.
                let sink = try lab.spawn(in: lab.host1, ["nc", "-6", "-l", "fd00:0:0:1::1", "5567"], stdout: lab.temporaryPath("sink6"))
                try lab.waitForKernelListener(in: lab.host1, port: 5567)
                let (input, _) = try lab.randomFile(size: 100_000)
                let client = try lab.run(in: lab.host2, ["nc", "-6", "-N", "fd00:0:0:1::1", "5567"], stdin: input, timeout: .seconds(20))
                lab.expect(client.status == 0, "kernel nc exited \(client.status): \(client.stderr)")
                _ = sink.wait(timeout: .seconds(5))
                let after = try loop.statistics().link
                lab.expect(after.packetsRead == before.packetsRead,
                           "the loop read \(after.packetsRead - before.packetsRead) IPv6 packets of a kernel connection it does not own")
                // Our own IPv6 listener's port passes: a kernel client's data arrives.
                let listener = try loop.listen(on: .v6(ours), port: 5568)
                let greeter = try lab.spawn(in: lab.host2, ["sh", "-c", "printf hello | nc -6 -N fd00:0:0:1::1 5568"])
                let connection = try listener.accept(timeout: .seconds(5))
                let received = try connection.receiveAll(limit: 100, timeout: .seconds(5))
                lab.expect(received == Array("hello".utf8), "our IPv6 listener received \(received)")
                lab.expect(after.filterFailures == 0, "filter replacements failed: \(after.filterFailures)")
                greeter.kill()
            }
        }
    }
}
