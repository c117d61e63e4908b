// echoclient ADDR PORT: sends standard input (any bytes) to an echo server and writes the echo to stdout.
//
//   sudo ip netns exec host1 .build/release/echoclient 10.0.1.1 7
//   sudo ip netns exec host1 .build/release/echoclient fd00:0:0:2::1 7
import ToyTCPLink
#if canImport(Glibc)
import Glibc
#endif

let tool = CommandLineTool(
    name: "echoclient", usage: "[--netns NS] ADDR PORT", positionalCount: 2,
    help: """
    Connects to ADDR:PORT with toytcp (ADDR IPv4 or IPv6), sends standard input as it is (any bytes) and writes what comes back.
    At the end of the input it closes its side and prints anything still arriving until the server closes.
      --netns NS   enter network namespace NS first (as `ip netns exec NS` would)
    """)
let address = tool.ipAddress(at: 0)
let port = tool.port(at: 1)
let loop = tool.startLoop(for: address)

let connection: TCPConnection
do {
    connection = try loop.connect(to: address, port: port)
} catch {
    tool.fail(error)
}

/// Writes bytes to stdout as they are (the echo of a line includes its newline).
func output(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = write(1, buffer.baseAddress! + offset, buffer.count - offset)
            if n <= 0 { return }
            offset += n
        }
    }
}

do {
    // Bytes, not lines of text: binary input comes back exactly (a String would replace invalid UTF-8).
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress!, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n < 0 { tool.fail("reading standard input: \(String(cString: strerror(errno)))", status: 1) }
        if n == 0 { break }
        let chunk = Array(buffer[0..<n])
        try connection.send(chunk)
        // The echo may come back in several segments: read until all of the chunk is back.
        var received = 0
        while received < chunk.count {
            guard let echoed = try connection.receive(maxLength: chunk.count - received) else {
                tool.fail("the server closed the connection before echoing everything", status: 1)
            }
            output(echoed)
            received += echoed.count
        }
    }
    try connection.shutdown()
    while let rest = try connection.receive() { output(rest) }
    try connection.close()
} catch {
    tool.fail(error)
}
loop.shutdown()
