/// A TCP sequence or acknowledgment number: a point on the circle of integers modulo 2^32.
///
/// RFC 9293 §3.4: "all arithmetic dealing with sequence numbers must be performed modulo 2**32".
/// Comparison is by the sign of the wrapped 32-bit difference (RFC 1982 serial-number style), which is
/// meaningful only for numbers less than 2^31 apart; that is why this type is deliberately *not*
/// `Comparable`: the relation is not a total order, and sorting sequence numbers would be a bug.
///
/// Every comparison of sequence or acknowledgment numbers in toytcp goes through this type.
@frozen
public struct SequenceNumber: Hashable, Sendable, CustomStringConvertible {
    /// The value as carried on the wire.
    public var rawValue: UInt32

    @inlinable
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    @inlinable
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public var description: String { String(rawValue) }

    /// Advance by `n` octets, wrapping modulo 2^32.
    @inlinable
    public static func + (lhs: SequenceNumber, rhs: UInt32) -> SequenceNumber {
        SequenceNumber(lhs.rawValue &+ rhs)
    }

    /// Advance by a signed number of octets, wrapping modulo 2^32.
    @inlinable
    public static func + (lhs: SequenceNumber, rhs: Int) -> SequenceNumber {
        SequenceNumber(lhs.rawValue &+ UInt32(truncatingIfNeeded: rhs))
    }

    @inlinable
    public static func - (lhs: SequenceNumber, rhs: Int) -> SequenceNumber {
        SequenceNumber(lhs.rawValue &- UInt32(truncatingIfNeeded: rhs))
    }

    @inlinable
    public static func += (lhs: inout SequenceNumber, rhs: Int) { lhs = lhs + rhs }

    @inlinable
    public static func += (lhs: inout SequenceNumber, rhs: UInt32) { lhs = lhs + rhs }

    /// The signed distance `lhs - rhs`, in the range -2^31 ..< 2^31.
    @inlinable
    public static func - (lhs: SequenceNumber, rhs: SequenceNumber) -> Int {
        Int(Int32(bitPattern: lhs.rawValue &- rhs.rawValue))
    }

    /// The signed distance from `self` to `other` (`other - self`).
    @inlinable
    public func distance(to other: SequenceNumber) -> Int { other - self }

    @inlinable
    public static func < (lhs: SequenceNumber, rhs: SequenceNumber) -> Bool {
        Int32(bitPattern: lhs.rawValue &- rhs.rawValue) < 0
    }

    @inlinable
    public static func <= (lhs: SequenceNumber, rhs: SequenceNumber) -> Bool {
        Int32(bitPattern: lhs.rawValue &- rhs.rawValue) <= 0
    }

    @inlinable
    public static func > (lhs: SequenceNumber, rhs: SequenceNumber) -> Bool { rhs < lhs }

    @inlinable
    public static func >= (lhs: SequenceNumber, rhs: SequenceNumber) -> Bool { rhs <= lhs }

    /// The later of two sequence numbers (in modular order).
    @inlinable
    public static func max(_ a: SequenceNumber, _ b: SequenceNumber) -> SequenceNumber { a < b ? b : a }

    /// The earlier of two sequence numbers (in modular order).
    @inlinable
    public static func min(_ a: SequenceNumber, _ b: SequenceNumber) -> SequenceNumber { a < b ? a : b }

    /// Whether `start <= self < start + length` modulo 2^32 (RFC 9293 §3.4 window tests).
    /// An empty window contains nothing.
    @inlinable
    public func isInWindow(start: SequenceNumber, length: UInt32) -> Bool {
        (rawValue &- start.rawValue) < length
    }
}

extension SequenceNumber: ExpressibleByIntegerLiteral {
    @inlinable
    public init(integerLiteral value: UInt32) { self.rawValue = value }
}
