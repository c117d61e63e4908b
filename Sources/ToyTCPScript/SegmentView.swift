import ToyTCPDecode
import ToyTCPWire

/// `show`: a captured packet as a one-line summary and the RFC 9293 §3.1 header diagram (the
/// decoder's `HeaderDiagram`).
enum SegmentView {
    static func render(_ bytes: [UInt8]) -> String {
        var text = ""
        if (try? IPPacket.parse(bytes)) != nil { text = TcpdumpLine.absoluteText(bytes) + "\n" }
        text += HeaderDiagram.string(bytes)
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
