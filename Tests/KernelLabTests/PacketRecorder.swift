import Foundation
import ToyTCPEngine
import ToyTCPLink

/// Records what an observer stage on the event loop's packet port sees (headers only), for checks on the exchange itself: how fast
/// a SYN-ACK was answered, whether the kernel had to retransmit.
final class PacketRecorder: @unchecked Sendable {
    struct Record {
        var direction: PacketDirection
        var time: Instant
        var flags: TCPFlags
        var sequenceNumber: SequenceNumber
        var payloadLength: Int
        var isIPv6: Bool
    }
    private let lock = NSLock()
    private var records: [Record] = []

    var observe: @Sendable (PacketRecord) -> Void {
        { [self] packet in
            guard let parsed = try? IPPacket.parse(packet.bytes) else { return }
            let record = Record(direction: packet.direction, time: packet.time, flags: parsed.segment.flags,
                                sequenceNumber: parsed.segment.sequenceNumber,
                                payloadLength: parsed.segment.payload.count, isIPv6: parsed.source.isIPv6)
            lock.lock(); records.append(record); lock.unlock()
        }
    }

    var all: [Record] {
        lock.lock(); defer { lock.unlock() }
        return records
    }

    /// The time from the first SYN-ACK received to the first segment we sent after it (our ACK).
    func synAckAnswerLatency() -> Duration? {
        let list = all
        guard let i = list.firstIndex(where: { $0.direction == .inbound && $0.flags == [.syn, .ack] }),
              let answer = list[(i + 1)...].first(where: { $0.direction == .outbound }) else { return nil }
        return answer.time - list[i].time
    }

    /// How many SYN-ACKs arrived (more than one: the peer retransmitted, our ACK was too late or lost).
    func synAckCount() -> Int {
        all.filter { $0.direction == .inbound && $0.flags == [.syn, .ack] }.count
    }
}
