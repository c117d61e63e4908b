import ToyTCPEngine
import ToyTCPWire

/// What an expression evaluates to.
///
/// Numbers are 64-bit signed integers. Sequence and acknowledgment numbers are a type of their own
/// (`sequence`): `+` and `-` with a number wrap modulo 2^32 and comparisons follow RFC 1982 (serial
/// number arithmetic), as RFC 9293 §3.4 requires, so `synack.seq + 1` is right when the peer's ISN is
/// 0xffffffff. The difference of two sequence numbers is a (signed) number of octets.
public enum Value: Hashable, Sendable, CustomStringConvertible {
    case integer(Int64)
    case sequence(SequenceNumber)
    case bytes([UInt8])
    case state(TCPState)
    case boolean(Bool)
    case flags(TCPFlags)

    public var typeName: String {
        switch self {
        case .integer: return "number"
        case .sequence: return "sequence number"
        case .bytes: return "data"
        case .state: return "state"
        case .boolean: return "boolean"
        case .flags: return "flags"
        }
    }

    public var description: String {
        switch self {
        case .integer(let n): return String(n)
        case .sequence(let s): return String(s.rawValue)
        case .bytes(let b): return Value.quote(b)
        case .state(let s): return s.rawValue
        case .boolean(let b): return b ? "true" : "false"
        case .flags(let f): return f.description
        }
    }

    /// Bytes as a quoted string with C escapes, for messages (long data is cut with `…`).
    public static func quote(_ bytes: [UInt8], limit: Int = 64) -> String {
        var s = "\""
        for b in bytes.prefix(limit) {
            switch b {
            case 0x0A: s += "\\n"
            case 0x0D: s += "\\r"
            case 0x09: s += "\\t"
            case 0x22: s += "\\\""
            case 0x5C: s += "\\\\"
            case 0x20..<0x7F: s.append(Character(Unicode.Scalar(b)))
            default:
                let hex = Array("0123456789abcdef")
                s += "\\x" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)])
            }
        }
        s += "\""
        if bytes.count > limit { s += "… (\(bytes.count) bytes)" }
        return s
    }
}
