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
    /// The crafted local endpoints (either family).
    private var endpoints: Set<IPEndpoint> = []

    init(stack: Stack) { self.stack = stack }

    func process(_ packet: PacketRecord, at now: Instant) -> PacketVerdict {
        guard packet.crafted || !endpoints.isEmpty else { return .pass }
        let parsed: TCPFlowKey? = packet.bytes.withUnsafeBytes { bytes in
            (try? IPPacketView(validating: bytes))?.flowKey
        }
        guard let p = parsed else { return .pass }
        switch packet.direction {
        case .outbound where packet.crafted:
            if stack.localAddresses.contains(p.source.address), !stack.ownsPort(p.source.port) {
                endpoints.insert(p.source)
            }
            return .pass
        case .inbound where !packet.crafted:
            guard !feedsStack, endpoints.contains(p.destination),
                  !stack.ownsPort(p.destination.port) else { return .pass }
            return .drop
        default:
            return .pass
        }
    }
}

