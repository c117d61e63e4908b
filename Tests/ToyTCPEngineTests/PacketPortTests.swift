// The packet path (PacketPort) and its stages' verdicts, in virtual time; the segment reasons the
// engine tags; "answers only for what it owns" (StackConfiguration.resetsUnownedPorts).
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

/// A stage with a fixed verdict that counts what it saw.
final class FixedStage: PacketStage {
    var verdict: PacketVerdict
    var seen: [PacketRecord] = []
    init(_ verdict: PacketVerdict) { self.verdict = verdict }
    func process(_ packet: PacketRecord, at now: Instant) -> PacketVerdict {
        seen.append(packet)
        return verdict
    }
}

@Suite("Packet path: the port and its stages")
struct PacketPortTests {
    /// A port whose stack has just called connect (a SYN is waiting to go out).
    func connecting(_ stages: [any PacketStage]) throws -> PacketPort {
        let port = PacketPort(stack: Stack(addresses: [localAddress], configuration: testConfiguration()))
        for s in stages { port.addStage(s) }
        _ = try port.stack.connect(to: peerAddress, port: 80, at: .zero)
        return port
    }

    func drain(_ port: PacketPort, at t: Instant) -> [TCPSegment] {
        var out: [TCPSegment] = []
        var w = ByteWriter(capacity: 2048)
        for _ in 0..<100 {
            w.bytes.removeAll(keepingCapacity: true)
            guard port.pollTransmit(into: &w, at: t) else { break }
            if let p = try? IPv4Packet.parse(w.bytes, verifyChecksum: true) { out.append(p.segment) }
        }
        return out
    }

    @Test("pass: the stack's SYN goes out once, tagged with its reason")
    func pass() throws {
        let stage = FixedStage(.pass)
        let port = try connecting([stage])
        let out = drain(port, at: .zero)
        #expect(out.count == 1 && out[0].flags == .syn)
        #expect(stage.seen.count == 1 && stage.seen[0].reason == .syn && stage.seen[0].direction == .outbound)
    }

    @Test("drop: nothing goes out")
    func drop() throws {
        let port = try connecting([FixedStage(.drop)])
        #expect(drain(port, at: .zero).isEmpty)
    }

    @Test("hold: nothing goes out until released; the held packet keeps its reason")
    func hold() throws {
        let stage = FixedStage(.hold)
        let port = try connecting([stage])
        #expect(drain(port, at: .zero).isEmpty)
        #expect(port.held.count == 1 && port.held[0].record.reason == .syn)
        stage.verdict = .pass
        #expect(port.release(port.held[0].id, at: .ms(5)))
        #expect(drain(port, at: .ms(5)).map(\.flags) == [.syn])
        #expect(port.held.isEmpty)
    }

    @Test("delay: the packet leaves when the clock reaches the time, and the deadline says when")
    func delay() throws {
        let port = try connecting([FixedStage(.delay(until: .ms(300)))])
        #expect(drain(port, at: .zero).isEmpty)
        #expect(port.nextDeadline == .ms(300))
        port.handleTimeout(at: .ms(300))
        #expect(drain(port, at: .ms(300)).map(\.flags) == [.syn])
    }

    @Test("duplicate: the packet and N copies")
    func duplicate() throws {
        let port = try connecting([FixedStage(.duplicate(2))])
        #expect(drain(port, at: .zero).map(\.flags) == [.syn, .syn, .syn])
    }

    @Test("replace: the edited bytes go out instead")
    func replace() throws {
        let seg = TCPSegment(sourcePort: 1, destinationPort: 2, sequenceNumber: 7, acknowledgmentNumber: 0,
                             flags: .fin, window: 9, options: [], payload: [])
        let bytes = IPv4Packet(header: IPv4Header(source: localAddress, destination: peerAddress), segment: seg).bytes()
        let port = try connecting([FixedStage(.replace(bytes))])
        let out = drain(port, at: .zero)
        #expect(out.count == 1 && out[0].flags == .fin && out[0].window == 9)
    }

    @Test("inbound packets visit the stages from the wire end: a stage next to the stack keeps one from it")
    func inboundOrder() throws {
        let nearStack = FixedStage(.drop)
        let wireEnd = FixedStage(.pass)
        let port = try connecting([nearStack, wireEnd])
        nearStack.verdict = .pass
        let syn = try #require(drain(port, at: .zero).first)
        nearStack.verdict = .drop
        nearStack.seen.removeAll(); wireEnd.seen.removeAll()
        let synAck = TCPSegment(sourcePort: 80, destinationPort: syn.sourcePort, sequenceNumber: 1000,
                                acknowledgmentNumber: syn.sequenceNumber + 1, flags: [.syn, .ack], window: 65535,
                                options: [], payload: [])
        let bytes = IPv4Packet(header: IPv4Header(source: peerAddress, destination: localAddress), segment: synAck).bytes()
        port.receive(bytes, at: .ms(1))
        #expect(wireEnd.seen.count == 1 && wireEnd.seen[0].direction == .inbound && wireEnd.seen[0].time == .ms(1))
        #expect(nearStack.seen.count == 1)
        let id = try #require(port.stack.connectionIDs.first)
        #expect(port.stack.state(of: id) == .synSent, "the dropped SYN-ACK must not reach the stack")
    }

    @Test("a crafted packet passes the stages marked crafted, with no reason")
    func crafted() throws {
        let stage = FixedStage(.pass)
        let port = try connecting([stage])
        _ = drain(port, at: .zero)
        port.transmit(crafted: [0x45] + [UInt8](repeating: 0, count: 39), at: .ms(2))
        #expect(drain(port, at: .ms(2)).isEmpty) // not a valid packet: nothing parses, but it was sent
        #expect(stage.seen.last?.crafted == true && stage.seen.last?.reason == nil)
    }
}

@Suite("Segment reasons and port ownership")
struct SegmentReasonTests {
    @Test("SYN, then SYN retry after the RTO")
    func synRetry() throws {
        let h = Harness()
        _ = try h.stack.connect(to: peerAddress, port: 80, at: .zero)
        #expect(h.transmit()?.flags == .syn)
        #expect(h.stack.lastTransmitReason == .syn)
        h.at(.ms(1000))
        #expect(h.transmit()?.flags == .syn)
        #expect(h.stack.lastTransmitReason == .synRetry)
    }

    @Test("a segment to a port the stack does not use: RST by default, silence when it shares the host")
    func ownership() {
        let alone = Harness()
        alone.deliver(.syn, seq: 1, destinationPort: 9999)
        #expect(alone.transmit()?.flags.contains(.rst) == true)
        #expect(alone.stack.lastTransmitReason == .reset)

        let shared = Harness(testConfiguration { $0.resetsUnownedPorts = false })
        shared.deliver(.syn, seq: 1, destinationPort: 9999)
        #expect(shared.transmit() == nil)
        shared.deliver([.ack], seq: 1, ack: 5, destinationPort: 9999)
        #expect(shared.transmit() == nil)
    }

    @Test("on a shared host the stack still resets what it owns: a stray ACK to its listener's port")
    func ownedPortStillAnswered() throws {
        let h = Harness(testConfiguration { $0.resetsUnownedPorts = false })
        _ = try h.stack.listen(port: 8080)
        h.deliver(.ack, seq: 1, ack: 5, destinationPort: 8080)
        #expect(h.transmit()?.flags.contains(.rst) == true)
    }
}
