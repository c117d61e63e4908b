#if canImport(Glibc)
import Glibc
#endif
import CToyTCPLinux
import ToyTCPEngine
import ToyTCPWire

/// Where a frame to one destination goes on the AF_PACKET path: the interface, and the Ethernet header
/// (the next hop's address, then ours, then type IPv4).
struct NextHop: Equatable {
    var interfaceIndex: CInt
    /// The 14 bytes of the Ethernet header (IEEE 802.3: destination, source, EtherType 0x0800).
    var ethernetHeader: [UInt8]
}

/// The kernel's routing and neighbour tables, asked per destination and cached, for the AF_PACKET send
/// path (which skips the kernel's own IP output, so it must address frames itself).
///
/// - Route: the longest matching prefix of the main table in `/proc/thread-self/net/route` (the loop
///   thread's namespace: `/proc/self` would be the process's first thread's), gateway or on-link.
/// - Next hop's Ethernet address: the neighbour table (`SIOCGARP`, RFC 826). When it is missing, the
///   answer is nil and the caller sends through the raw IP socket, whose IP output resolves it; the
///   next look-up after `retryAfterMiss` finds it.
/// - Only Ethernet interfaces (veth, physical NICs); anything else (tun, loopback) is nil.
///
/// Not thread-safe: the event loop's thread asks.
final class NextHopTable {
    private var cache: [IPv4Address: (hop: NextHop?, expiry: Instant)] = [:]
    private let ioctlDescriptor: CInt
    /// How long a resolved next hop is trusted before the tables are read again.
    static let lifetime = Duration.seconds(5)
    /// How long a destination without a resolved neighbour goes the IP way before asking again.
    static let retryAfterMiss = Duration.milliseconds(20)

    init() throws(LinkError) {
        ioctlDescriptor = try syscallOrThrow("socket(AF_INET, SOCK_DGRAM)") {
            socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
    }

    deinit { close(ioctlDescriptor) }

    func nextHop(toward destination: IPv4Address, at now: Instant) -> NextHop? {
        if let entry = cache[destination], entry.expiry > now { return entry.hop }
        let hop = resolve(destination)
        cache[destination] = (hop, now + (hop == nil ? Self.retryAfterMiss : Self.lifetime))
        return hop
    }

    private func resolve(_ destination: IPv4Address) -> NextHop? {
        guard let route = Self.route(toward: destination) else { return nil }
        var index: CInt = 0
        var source = [UInt8](repeating: 0, count: 6)
        var target = [UInt8](repeating: 0, count: 6)
        let found = route.interface.withCString { name -> Bool in
            guard ctoytcp_interface_ethernet(ioctlDescriptor, name, &index, &source) == 0 else { return false }
            return ctoytcp_neighbour_ethernet(ioctlDescriptor, name, route.nextHop.rawValue.bigEndian, &target) == 1
        }
        guard found else { return nil }
        return NextHop(interfaceIndex: index, ethernetHeader: target + source + [0x08, 0x00])
    }

    /// One route of `/proc/net/route`: the interface and the next hop (the gateway, or the
    /// destination itself when it is on the link).
    static func route(toward destination: IPv4Address) -> (interface: String, nextHop: IPv4Address)? {
        guard let text = readSmallFile("/proc/thread-self/net/route") else { return nil }
        return route(toward: destination, table: text)
    }

    /// Picks the route for `destination` from the text of `/proc/net/route` (addresses as the kernel
    /// prints a network-order word in hex): up routes only, longest mask first, then lowest metric.
    static func route(toward destination: IPv4Address, table: String) -> (interface: String, nextHop: IPv4Address)? {
        var best: (interface: String, nextHop: IPv4Address, maskBits: Int, metric: Int)? = nil
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count >= 8,
                  let network = UInt32(fields[1], radix: 16), let gateway = UInt32(fields[2], radix: 16),
                  let flags = UInt32(fields[3], radix: 16), let metric = Int(fields[6]),
                  let mask = UInt32(fields[7], radix: 16), flags & 0x1 != 0 else { continue }
            let hostMask = UInt32(bigEndian: mask)
            guard destination.rawValue & hostMask == UInt32(bigEndian: network) & hostMask else { continue }
            let bits = hostMask.nonzeroBitCount
            if let current = best, current.maskBits > bits || (current.maskBits == bits && current.metric <= metric) {
                continue
            }
            // RTF_GATEWAY (0x2): the next hop is the gateway; otherwise the destination is on the link.
            let hop = flags & 0x2 != 0 ? IPv4Address(rawValue: UInt32(bigEndian: gateway)) : destination
            best = (String(fields[0]), hop, bits, metric)
        }
        return best.map { ($0.interface, $0.nextHop) }
    }

    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
