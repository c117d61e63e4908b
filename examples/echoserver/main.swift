// echoserver ADDR PORT: a toytcp echo server. Every connection gets back what it sends, until it closes.
//
//   sudo ip netns exec host1 .build/release/echoserver 10.0.0.1 7
//   sudo .build/release/echoserver --netns host1 10.0.0.1 7
//   sudo .build/release/echoserver --netns host1 fd00:0:0:1::1 7
import ToyTCPLink

let tool = CommandLineTool(
    name: "echoserver", usage: "[--netns NS] ADDR PORT", positionalCount: 2,
    help: """
    Listens on ADDR:PORT with toytcp (a user-space TCP over a raw socket) and echoes every byte back.
    ADDR (IPv4 or IPv6) must be an address of an interface in the namespace. Runs until killed.
      --netns NS   enter network namespace NS first (as `ip netns exec NS` would)
    """)
let address = tool.ipAddress(at: 0)
let port = tool.port(at: 1)
let loop = tool.startLoop(for: address)

let listener: TCPListener
do {
    listener = try loop.listen(on: address, port: port)
} catch {
    tool.fail(error)
}
tool.log("listening on \(IPEndpoint(address: address, port: port))")

/// Echoes one connection until the peer closes it, then closes our side.
func echo(_ connection: TCPConnection) async {
    let peer = "\(connection.tuple.remote)"
    tool.log("accepted \(peer)")
    var total = 0
    do {
        while let chunk = try await connection.receive() {
            try await connection.send(chunk)
            total += chunk.count
        }
        try await connection.close()
        tool.log("closed \(peer) after echoing \(total) bytes")
    } catch {
        tool.log("\(peer): \(error)")
        try? await connection.close()
    }
}

/// Accepts connections forever; each is echoed by its own task, off the main actor (top-level code's
/// isolation), so connections proceed concurrently.
func serve(_ listener: TCPListener) async -> Never {
    while true {
        do {
            let connection = try await listener.accept()
            Task.detached { await echo(connection) }
        } catch {
            tool.fail(error)
        }
    }
}

await serve(listener)
