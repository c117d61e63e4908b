import ArgumentParser
import Foundation
import ToyTCPPacketdrill
import ToyTCPShell

/// `toytcp-shell convert FILE.pkt`: prints the equivalent `.ttcp` script (our stack under test).
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the .ttcp script equivalent to a packetdrill .pkt script.",
        discussion: "Example: toytcp-shell convert ../shared/packetdrill/linux-selftests/tcp_basic_server.pkt")

    @Argument(help: "The packetdrill script.", completion: .file(extensions: ["pkt"]))
    var file: String

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("cannot read '\(file)'")
        }
        let name = (file as NSString).lastPathComponent
        do {
            let script = try PktParser(file: name, defines: PktRunOptions().allDefines)
                .parse(String(decoding: data, as: UTF8.self))
            ConsoleOutput.line(String(PktConverter().convert(script).dropLast()))
            ConsoleOutput.flush()
        } catch {
            ConsoleOutput.error(error.description)
            ConsoleOutput.flush()
            Foundation.exit(1)
        }
    }
}
