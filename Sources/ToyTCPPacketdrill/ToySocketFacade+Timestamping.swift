import CToyTCPPacketdrill
import ToyTCPEngine
import ToyTCPWire

/// Transmit timestamps (SO_TIMESTAMPING, Documentation/networking/timestamping.rst) in virtual time:
/// the last byte of each `send` is stamped when it is first sent (SCM_TSTAMP_SCHED with
/// SOF_TIMESTAMPING_TX_SCHED, SCM_TSTAMP_SND with TX_SOFTWARE: our stack has no qdisc or driver in
/// between, so both are the moment the segment leaves) and when it is acknowledged (SCM_TSTAMP_ACK with
/// TX_ACK). Each stamp is an error-queue entry: an SCM_TIMESTAMPING control message (the software time)
/// and an IP_RECVERR one with ee_errno ENOMSG, SO_EE_ORIGIN_TIMESTAMPING and, with OPT_ID, the last
/// byte's number counted from the first byte written after the option was set (`sk_tskey`).
extension ToySocketFacade {
    /// A send whose last byte still waits to be sent or acknowledged.
    struct StampedSend {
        var lastByte: SequenceNumber
        var sent = false
    }

    static let timestampingSupported: Int64 = 0x2 | 0x10 | 0x80 | 0x100 | 0x200 // TX_SOFTWARE SOFTWARE OPT_ID TX_SCHED TX_ACK

    /// SO_TIMESTAMPING on a connected socket (Linux refuses it in CLOSE and LISTEN when OPT_ID is set).
    func setTimestamping(_ fd: Int32, _ value: Int64) throws(SyscallError) -> Bool {
        guard value & ~ToySocketFacade.timestampingSupported == 0 else {
            throw unsupported("SO_TIMESTAMPING flags \(value) (software transmit stamps only: TX_SCHED, TX_SOFTWARE, TX_ACK, SOFTWARE, OPT_ID)")
        }
        guard let s = sockets[fd] else { return false }
        if value & 0x80 != 0 {
            guard let c = s.connection, let snap = stack.snapshot(c) else { return false }
            sockets[fd]?.timestampKeyBase = snap.snd.una + snap.sendQueued // write_seq
        }
        sockets[fd]?.timestamping = value
        return true
    }

    /// Records the last byte of a send that queued data, when transmit stamps are asked for.
    func noteStampedSend(_ fd: Int32) {
        guard let s = sockets[fd], s.timestamping & (0x2 | 0x100 | 0x200) != 0, let c = s.connection,
              let snap = stack.snapshot(c), snap.sendQueued > 0 else { return }
        sockets[fd]?.stampedSends.append(StampedSend(lastByte: snap.snd.una + snap.sendQueued - 1))
    }

    /// Stamps what was sent or acknowledged since the last look, at `now` (called after every input,
    /// timer and call, so a stamp's time is the virtual time it happened at).
    func observeTransmissions(at now: Instant) {
        for (fd, s) in sockets where !s.stampedSends.isEmpty {
            guard let c = s.connection, let snap = stack.snapshot(c) else { continue }
            var sends = s.stampedSends
            var queue = s.errorQueue
            let key = { (b: SequenceNumber) -> UInt32 in UInt32(truncatingIfNeeded: s.timestampKeyBase.map { b - $0 } ?? 0) }
            for i in sends.indices where !sends[i].sent && snap.snd.nxt > sends[i].lastByte {
                sends[i].sent = true
                if s.timestamping & 0x100 != 0 { queue.append(.timestamp(info: 1, key: key(sends[i].lastByte), at: now)) }
                if s.timestamping & 0x2 != 0 { queue.append(.timestamp(info: 0, key: key(sends[i].lastByte), at: now)) }
            }
            while let first = sends.first, first.sent, snap.snd.una > first.lastByte {
                sends.removeFirst()
                if s.timestamping & 0x200 != 0 { queue.append(.timestamp(info: 2, key: key(first.lastByte), at: now)) }
            }
            if queue.count != s.errorQueue.count { sockets[fd]?.wakeups += 1 }
            sockets[fd]?.stampedSends = sends
            sockets[fd]?.errorQueue = queue
        }
    }

    /// SOL_SOCKET / SCM_TIMESTAMPING: three timespecs (software, deprecated, hardware), 64-bit fields.
    static func timestampingMessage(_ t: Instant) -> pktd_cmsg {
        var c = pktd_cmsg()
        c.level = 1
        c.type = 37
        c.length = 48
        withUnsafeMutableBytes(of: &c.data) { b in
            b.storeBytes(of: (t.nanoseconds / 1_000_000_000).littleEndian, toByteOffset: 0, as: Int64.self)
            b.storeBytes(of: (t.nanoseconds % 1_000_000_000).littleEndian, toByteOffset: 8, as: Int64.self)
        }
        return c
    }

    /// SOL_IP / IP_RECVERR for a stamp: ee_errno ENOMSG, SO_EE_ORIGIN_TIMESTAMPING, ee_info the
    /// SCM_TSTAMP_* kind, ee_data the key.
    func timestampNotification(info: UInt32, key: UInt32) -> pktd_cmsg {
        var c = pktd_cmsg()
        (c.level, c.type) = recvErrLevelAndType
        c.length = 16
        withUnsafeMutableBytes(of: &c.data) { b in
            b.storeBytes(of: UInt32(42).littleEndian, toByteOffset: 0, as: UInt32.self) // ENOMSG
            b[4] = 4 // SO_EE_ORIGIN_TIMESTAMPING
            b.storeBytes(of: info.littleEndian, toByteOffset: 8, as: UInt32.self)
            b.storeBytes(of: key.littleEndian, toByteOffset: 12, as: UInt32.self)
        }
        return c
    }
}
