// echoclient ADDR PORT: sends each line read from stdin to an echo server and prints the echo.
//
//   sudo ip netns exec host1 .build/release/echoclient 10.0.1.1 7
import ToyTCPLink
#if canImport(Glibc)
import Glibc
#endif

let tool = CommandLineTool(
    name: "echoclient", usage: "[--netns NS] ADDR PORT", positionalCount: 2,
    help: """
    Connects to ADDR:PORT with toytcp, sends every line of standard input and prints what comes back.
    At the end of the input it closes its side and prints anything still arriving until the server closes.
      --netns NS   enter network namespace NS first (as `ip netns exec NS` would)
    """)
let address = tool.address(at: 0)
let port = tool.port(at: 1)
let loop = tool.startLoop()

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
    while let line = readLine(strippingNewline: false) {
        let bytes = Array(line.utf8)
        try connection.send(bytes)
        // The echo may come back in several segments: read until all of the line is back.
        var received = 0
        while received < bytes.count {
            guard let chunk = try connection.receive(maxLength: bytes.count - received) else {
                tool.fail("the server closed the connection before echoing everything", status: 1)
            }
            output(chunk)
            received += chunk.count
        }
    }
    try connection.shutdown()
    while let rest = try connection.receive() { output(rest) }
    try connection.close()
} catch {
    tool.fail(error)
}
loop.shutdown()
