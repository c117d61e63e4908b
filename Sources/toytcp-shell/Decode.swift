import ArgumentParser

/// `toytcp-shell decode`: prints segments from pcap or hex (owned by the decoder work; see issue 2).
struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Decode TCP segments from a pcap file or hex.")
    func run() throws { throw ValidationError("decode is not built yet") }
}
