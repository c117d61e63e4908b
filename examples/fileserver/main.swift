// fileserver ADDR PORT OUT: receives one file over toytcp and writes it to OUT.
//
//   sudo ip netns exec host2 .build/release/fileserver 10.0.1.1 8000 /tmp/received
#if canImport(Glibc)
import Glibc
#endif
import ToyTCPLink

let tool = CommandLineTool(
    name: "fileserver", usage: "[--netns NS] ADDR PORT OUT", positionalCount: 3,
    help: """
    Listens on ADDR:PORT (ADDR IPv4 or IPv6) with toytcp, accepts one connection, writes everything it receives to the file
    OUT until the sender closes, then closes and prints the byte count and throughput.
      --netns NS   enter network namespace NS first (as `ip netns exec NS` would)
    """)
let address = tool.ipAddress(at: 0)
let port = tool.port(at: 1)
let outPath = tool.arguments[2]
let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
guard out >= 0 else {
    tool.fail("cannot write '\(outPath)': \(String(cString: strerror(errno))); give a writable file path")
}
let loop = tool.startLoop(for: address)

do {
    let listener = try loop.listen(on: address, port: port)
    tool.log("listening on \(IPEndpoint(address: address, port: port)), writing to \(outPath)")
    let connection = try listener.accept()
    tool.log("receiving from \(connection.tuple.remote)")
    let start = monotonicNow()
    var total = 0
    while let chunk = try connection.receive(maxLength: 1 << 20) {
        try chunk.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(out, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw LinkError.system(call: "write(\(outPath))", errno: .init(rawValue: errno))
                }
                offset += n
            }
        }
        total += chunk.count
    }
    let seconds = Double((monotonicNow() - start).nanosecondsClamped) / 1e9
    try connection.close()
    listener.close()
    close(out)
    let rate = seconds > 0 ? Double(total) * 8 / seconds / 1e6 : 0
    tool.log("received \(total) bytes in \(formatted(seconds, 3)) s (\(formatted(rate, 1)) Mbit/s)")
} catch {
    tool.fail(error)
}
loop.shutdown()

func formatted(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (value * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(scaled) - whole * Int(scale)
    guard decimals > 0 else { return String(whole) }
    let digits = String(abs(fraction))
    return "\(whole)." + String(repeating: "0", count: decimals - digits.count) + digits
}
