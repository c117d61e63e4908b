import ToyTCPEngine
import ToyTCPWire

/// One rule for hand-crafted conversations on every network: the answers to a segment crafted from a
/// local port our stack does not use are for the person crafting (`expect` sees them), not for our
/// stack, which would take them for strays and reset them (RFC 9293 §3.10.7.1): a SYN-ACK to a port we
/// crafted a SYN from. Segments crafted on a port the stack does use (`inject … on c`) are part of its
/// conversation, and their answers go to it.
///
/// A stage next to the stack (index 0): it learns the crafted endpoints from outbound crafted packets
/// and drops the inbound packets addressed to them before the stack sees them. Stages nearer the wire
/// (trace, record) have seen them already. `feedsStack` turns the rule off.
final class CraftedConversationStage: PacketStage {
    unowned let stack: Stack
    /// When true, answers to crafted segments go to our stack like any packet.
    var feedsStack = false
    private var endpoints: Set<UInt64> = []

    init(stack: Stack) { self.stack = stack }

    private static func key(_ address: IPv4Address, _ port: UInt16) -> UInt64 {
        UInt64(address.rawValue) << 16 | UInt64(port)
    }

    func process(_ packet: PacketRecord, at now: Instant) -> PacketVerdict {
        guard packet.crafted || !endpoints.isEmpty else { return .pass }
        let parsed: (source: IPv4Address, sourcePort: UInt16, destination: IPv4Address, destinationPort: UInt16)? =
            packet.bytes.withUnsafeBytes { bytes in
                guard let view = try? IPv4PacketView(validating: bytes) else { return nil }
                return (view.ip.source, view.tcp.sourcePort, view.ip.destination, view.tcp.destinationPort)
            }
        guard let p = parsed else { return .pass }
        switch packet.direction {
        case .outbound where packet.crafted:
            if stack.addresses.contains(p.source), !stack.ownsPort(p.sourcePort) {
                endpoints.insert(Self.key(p.source, p.sourcePort))
            }
            return .pass
        case .inbound where !packet.crafted:
            guard !feedsStack, endpoints.contains(Self.key(p.destination, p.destinationPort)),
                  !stack.ownsPort(p.destinationPort) else { return .pass }
            return .drop
        default:
            return .pass
        }
    }
}

