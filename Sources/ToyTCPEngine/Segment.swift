// Read first: RFC 9293 §3.1 (header format), §3.2 (options), RFC 7323 §2.2 and §3.2 (window scale and
// timestamps options), RFC 2018 §2–§3 (SACK-permitted and SACK options).
import ToyTCPWire

/// A received segment as the connection sees it: header fields, the options it understands, and the
/// payload as a borrowed view (valid only during `handle`), so arrival allocates nothing.
struct IncomingSegment {
    var seq: SequenceNumber
    var ack: SequenceNumber
    var flags: TCPFlags
    var window: UInt16
    var urgentPointer: UInt16
    var payload: UnsafeRawBufferPointer
    var mss: UInt16? = nil
    var windowScale: UInt8? = nil
    var sackPermitted = false
    var timestamp: (value: UInt32, echoReply: UInt32)? = nil
    var sackBlocks = SACKList()
    /// The IP header's ECN codepoint (RFC 3168 §5).
    var ipECN: UInt8 = 0

    /// SEG.LEN (RFC 9293 §3.4): payload plus one for SYN and one for FIN.
    var len: Int {
        payload.count + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
    }

    init(seq: SequenceNumber, ack: SequenceNumber, flags: TCPFlags, window: UInt16, urgentPointer: UInt16,
         payload: UnsafeRawBufferPointer) {
        self.seq = seq; self.ack = ack; self.flags = flags; self.window = window
        self.urgentPointer = urgentPointer; self.payload = payload
    }

    /// Takes the header fields and options of a parsed segment; `payload` must be its payload's bytes.
    init(_ s: TCPSegment, payload: UnsafeRawBufferPointer) {
        self.init(seq: s.sequenceNumber, ack: s.acknowledgmentNumber, flags: s.flags, window: s.window,
                  urgentPointer: s.urgentPointer, payload: payload)
        for o in s.options {
            switch o {
            case .mss(let v): mss = v
            case .windowScale(let v): windowScale = v
            case .sackPermitted: sackPermitted = true
            case .timestamps(let v, let e): timestamp = (v, e)
            case .sack(let blocks): for b in blocks.prefix(SACKList.capacity) { sackBlocks.append(b) }
            case .eol: break
            default: continue
            }
        }
    }

    /// Takes the options it understands from `options` (RFC 9293 §3.2), in place and without allocating.
    /// Returns `false` if the list is malformed (ToyTCPWire's `TCPOptionsIterator` checks, the same as
    /// `TCPOption.parseList`): the stack counts and drops such a segment. Unknown options, and known kinds
    /// with a length that does not fit them, are skipped (RFC 9293 §3.1 MUST-6/MUST-7).
    mutating func takeOptions(_ options: TCPOptionsIterator) -> Bool {
        for option in options {
            switch option {
            case .mss(let v): mss = v
            case .windowScale(let v): windowScale = v
            case .sackPermitted: sackPermitted = true
            case .timestamps(let v, let e): timestamp = (v, e)
            case .sack(let blocks):
                for b in blocks where sackBlocks.count < SACKList.capacity { sackBlocks.append(b) }
            case .malformed: return false
            case .eol, .nop, .unknown: continue
            }
        }
        return true
    }
}

/// A segment the connection wants sent: header fields and options, with the payload described as a
/// range of the send buffer, so the stack can copy it straight to wherever the packet is built.
struct OutgoingSegment {
    var seq: SequenceNumber
    var ack: SequenceNumber
    var flags: TCPFlags
    var window: UInt16
    var mss: UInt16? = nil
    var windowScale: UInt8? = nil
    var sackPermitted = false
    var timestamp: (value: UInt32, echoReply: UInt32)? = nil
    var sackBlocks = SACKList()
    /// RFC 9293 §3.1 urgent pointer (meaningful with URG; RFC 6093: one past the last urgent byte).
    var urgentPointer: UInt16 = 0
    /// The IPv4 ECN codepoint (RFC 3168 §5: 0 not-ECT, 2 ECT(0)).
    var ipECN: UInt8 = 0
    /// Offset of the payload from the start of the send buffer, and its length.
    var payloadOffset = 0
    var payloadLength = 0
    /// Why the connection (or the stack) sends it.
    var reason: SegmentReason = .newData

    init(seq: SequenceNumber, ack: SequenceNumber, flags: TCPFlags, window: UInt16) {
        self.seq = seq; self.ack = ack; self.flags = flags; self.window = window
    }

    /// The options in the order Linux writes them, padded with NOPs to whole words: on a SYN
    /// `mss, sackOK, TS, nop, wscale` (or `mss, nop, nop, sackOK, nop, wscale` without timestamps);
    /// otherwise `nop, nop, TS` then `nop, nop, sack`.
    var options: [TCPOption] {
        var o: [TCPOption] = []
        if let mss { o.append(.mss(mss)) }
        if flags.contains(.syn) {
            if let ts = timestamp {
                if sackPermitted { o.append(.sackPermitted) } else { o += [.nop, .nop] }
                o.append(.timestamps(value: ts.value, echoReply: ts.echoReply))
            } else if sackPermitted {
                o += [.nop, .nop, .sackPermitted]
            }
            if let ws = windowScale { o += [.nop, .windowScale(ws)] }
        } else {
            if let ts = timestamp { o += [.nop, .nop, .timestamps(value: ts.value, echoReply: ts.echoReply)] }
            if sackBlocks.count > 0 { o += [.nop, .nop, .sack(sackBlocks.array)] }
        }
        return o
    }

    /// Bytes of options (always a multiple of 4 given the layout above).
    var optionsLength: Int {
        var n = 0
        if mss != nil { n += 4 }
        if flags.contains(.syn) {
            if timestamp != nil { n += 12 } else if sackPermitted { n += 4 }
            if windowScale != nil { n += 4 }
        } else {
            if timestamp != nil { n += 12 }
            if sackBlocks.count > 0 { n += 4 + 8 * sackBlocks.count }
        }
        return n
    }

    /// Writes the options exactly as `options` lists them, without building the array.
    func emitOptions(into w: inout ByteWriter) {
        if let mss { w.write(UInt8(2)); w.write(UInt8(4)); w.write(mss) }
        if flags.contains(.syn) {
            if let ts = timestamp {
                if sackPermitted { w.write(UInt8(4)); w.write(UInt8(2)) } else { w.write(UInt16(0x0101)) }
                w.write(UInt8(8)); w.write(UInt8(10)); w.write(ts.value); w.write(ts.echoReply)
            } else if sackPermitted {
                w.write(UInt16(0x0101)); w.write(UInt8(4)); w.write(UInt8(2))
            }
            if let ws = windowScale { w.write(UInt8(1)); w.write(UInt8(3)); w.write(UInt8(3)); w.write(ws) }
        } else {
            if let ts = timestamp {
                w.write(UInt16(0x0101)); w.write(UInt8(8)); w.write(UInt8(10)); w.write(ts.value); w.write(ts.echoReply)
            }
            if sackBlocks.count > 0 {
                w.write(UInt16(0x0101)); w.write(UInt8(5)); w.write(UInt8(truncatingIfNeeded: 2 + 8 * sackBlocks.count))
                for i in 0..<sackBlocks.count {
                    w.write(sackBlocks[i].left.rawValue); w.write(sackBlocks[i].right.rawValue)
                }
            }
        }
    }
}
