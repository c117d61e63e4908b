/// What tcpdump 4.99 appends after `length N` for the text protocols it recognises by port, without
/// `-v`: `: HTTP: GET / HTTP/1.1`, `: SMTP: 220 mail ESMTP`, `: SSH: SSH-2.0-OpenSSH_9.2`, …
///
/// tcpdump walks its port checks in a fixed order (telnet, SMTP, WHOIS, BGP, PPTP, RESP, SSH, BEEP,
/// OpenFlow, FTP, HTTP, RTSP, DNS, MSDP, RPKI-RTR, LDP, NFS); the first port that matches picks the
/// dissector. The text protocols are reproduced here; for the binary ones (telnet, BGP, PPTP, RESP,
/// BEEP, OpenFlow, DNS, MSDP, RPKI-RTR, LDP, NFS) nothing is appended, which differs from tcpdump.
enum TextProtocolLine {
    enum Dissector {
        /// Prints the protocol name and, if the payload looks like a request/response (or always, for
        /// protocols without a command list), its first line.
        case text(name: StaticString, truncationName: StaticString, commands: [[UInt8]]?, responseCodeSecond: Bool)
        case ssh
        case unsupported
    }

    static let httpCommands: [[UInt8]] = ["GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST", "BCOPY", "BMOVE",
                               "MKCOL", "TRACE", "LABEL", "MERGE", "DELETE", "SEARCH", "UNLOCK", "REPORT",
                               "UPDATE", "NOTIFY", "BDELETE", "CONNECT", "OPTIONS", "CHECKIN", "PROPFIND",
                               "CHECKOUT", "CCM_POST", "SUBSCRIBE", "PROPPATCH", "BPROPFIND", "BPROPPATCH",
                               "UNCHECKOUT", "MKACTIVITY", "MKWORKSPACE", "UNSUBSCRIBE", "RPC_CONNECT",
                               "VERSION-CONTROL", "BASELINE-CONTROL"].map { Array($0.utf8) }
    static let rtspCommands: [[UInt8]] = ["DESCRIBE", "ANNOUNCE", "GET_PARAMETER", "OPTIONS", "PAUSE", "PLAY", "RECORD",
                               "REDIRECT", "SETUP", "SET_PARAMETER", "TEARDOWN"].map { Array($0.utf8) }

    /// The dissector tcpdump picks for a segment between these ports, or nil for none.
    @inline(__always)
    static func dissector(_ sport: UInt16, _ dport: UInt16) -> Dissector? {
        // Fast path: no port below 10289 (the highest port in tcpdump's list is BEEP's 10288).
        if sport > 10288 && dport > 10288 { return nil }
        func either(_ p: UInt16) -> Bool { sport == p || dport == p }
        if either(23) { return .unsupported }
        if either(25) { return .text(name: "SMTP", truncationName: " [|smtp]", commands: nil, responseCodeSecond: false) }
        if either(43) { return .text(name: "WHOIS", truncationName: " [|whois]", commands: nil, responseCodeSecond: false) }
        if either(179) || either(1723) || either(6379) { return .unsupported }
        if either(22) { return .ssh }
        if either(10288) || either(6633) || either(6653) { return .unsupported }
        if either(21) { return .text(name: "FTP", truncationName: " [|ftp]", commands: nil, responseCodeSecond: false) }
        if either(80) || either(8080) {
            return .text(name: "HTTP", truncationName: " [|http]", commands: httpCommands, responseCodeSecond: true)
        }
        if either(554) || either(8554) {
            return .text(name: "RTSP", truncationName: " [|rtsp]", commands: rtspCommands, responseCodeSecond: true)
        }
        if either(53) || either(639) || either(323) || either(646) || either(2049) { return .unsupported }
        return nil
    }

    /// Appends the dissector's text. `p[start..<start+length]` is the payload per the IP header;
    /// bytes at or past `cap` were not captured.
    /// `verbose` (tcpdump `-v`): `, length: N` and then every line, each after a newline and a tab.
    static func render(_ d: Dissector, _ p: UnsafeRawBufferPointer, start: Int, length: Int, cap: Int,
                       verbose: Bool = false, into out: OutputBuffer) {
        switch d {
        case .unsupported: return
        case .ssh: renderSSH(p, start: start, length: length, cap: cap, out)
        case .text(let name, let truncationName, let commands, let responseCodeSecond):
            var printThis = commands == nil
            if let commands {
                var idx = 0
                if let (token, next) = fetchToken(p, start: start, from: 0, length: length, cap: cap) {
                    idx = next
                    if commands.contains(where: { matches($0, p, token) }) { printThis = true }
                    var code = token
                    if responseCodeSecond {
                        if let (second, next2) = fetchToken(p, start: start, from: idx, length: length, cap: cap) {
                            code = second; idx = next2
                        } else {
                            idx = 0
                        }
                    }
                    if idx != 0, code.count == 3, code.allSatisfy({ p[$0] >= 0x30 && p[$0] <= 0x39 }) { printThis = true }
                }
            }
            out.append(": ")
            out.append(name)
            if verbose && printThis {
                out.append(", length: ")
                out.append(decimal: UInt64(length))
                var idx = 0
                while idx < length {
                    let next = printLine(p, start: start, from: idx, length: length, cap: cap,
                                         truncationName: truncationName, out)
                    if next == 0 { break }
                    idx = next
                }
                return
            }
            if printThis && !verbose { printLine(p, start: start, length: length, cap: cap, truncationName: truncationName, out) }
        }
    }

    /// ASCII case-insensitive comparison of a command with the token at `range` of `p`.
    static func matches(_ command: [UInt8], _ p: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        guard command.count == range.count else { return false }
        var i = range.lowerBound
        for x in command {
            let y = p[i]
            let lx = x >= 0x41 && x <= 0x5A ? x | 0x20 : x
            let ly = y >= 0x41 && y <= 0x5A ? y | 0x20 : y
            if lx != ly { return false }
            i += 1
        }
        return true
    }

    @inline(__always) static func isPrint(_ c: UInt8) -> Bool { c >= 0x20 && c < 0x7F }

    /// tcpdump's fetch_token: a run of printable non-blank ASCII (at most 127 bytes), then the blanks
    /// after it up to a line end. Returns the token's byte range in `p` and the index after it, or nil.
    static func fetchToken(_ p: UnsafeRawBufferPointer, start: Int, from: Int, length: Int, cap: Int) -> (Range<Int>, Int)? {
        var idx = from
        var tokenLength = 0
        while idx < length {
            guard start + idx < cap else { return nil }
            let c = p[start + idx]
            if c >= 0x80 { return nil }
            if c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A { break }
            if !isPrint(c) { return nil }
            if tokenLength + 2 > 129 { return nil }
            tokenLength += 1
            idx += 1
        }
        if tokenLength == 0 { return nil }
        let token = (start + idx - tokenLength)..<(start + idx)
        while idx < length {
            guard start + idx < cap else { break }
            let c = p[start + idx]
            if c == 0x0D || c == 0x0A { break }
            if !isPrint(c) { break }
            if c != 0x20 && c != 0x09 { break }
            idx += 1
        }
        return (token, idx)
    }

    /// tcpdump's print_txt_line with prefix ": ": the first line up to LF or CR-LF; nothing if a byte is
    /// not printable (tab allowed) or a CR is not followed by LF; the text and a truncation mark if the
    /// payload ends (or the capture ends) first.
    static func printLine(_ p: UnsafeRawBufferPointer, start: Int, length: Int, cap: Int,
                          truncationName: StaticString, _ out: OutputBuffer) {
        var idx = 0
        while idx < length {
            guard start + idx < cap else {
                out.append(truncationName)  // GET_U_1 past the capture
                return
            }
            let c = p[start + idx]
            if c == 0x0A {
                emit(p, start, idx, out)
                return
            } else if c == 0x0D {
                if idx + 1 >= length { return }
                guard start + idx + 1 < cap else { out.append(truncationName); return }
                if p[start + idx + 1] == 0x0A {
                    emit(p, start, idx, out)
                }
                return
            } else if !isPrint(c) && c != 0x09 {
                return
            }
            idx += 1
        }
        emit(p, start, idx, out)
        out.append(truncationName)
    }

    /// print_txt_line with prefix "\n\t" from `from`: returns where the next line starts, or 0 when
    /// printing stops (binary data, a lone CR, the end of the payload or of the capture).
    static func printLine(_ p: UnsafeRawBufferPointer, start: Int, from: Int, length: Int, cap: Int,
                          truncationName: StaticString, _ out: OutputBuffer) -> Int {
        var idx = from
        func emitLine() {
            out.reserve(idx - from + 2)
            out.append("\n\t")
            out.append(bytes: UnsafeRawBufferPointer(rebasing: p[(start + from)..<(start + idx)]))
        }
        while idx < length {
            guard start + idx < cap else {
                out.append(truncationName)
                return 0
            }
            let c = p[start + idx]
            if c == 0x0A {
                emitLine()
                return idx + 1
            } else if c == 0x0D {
                if idx + 1 >= length { return 0 }
                guard start + idx + 1 < cap else { out.append(truncationName); return 0 }
                if p[start + idx + 1] == 0x0A {
                    emitLine()
                    return idx + 2
                }
                return 0
            } else if !isPrint(c) && c != 0x09 {
                return 0
            }
            idx += 1
        }
        emitLine()
        out.append(truncationName)
        return 0
    }

    static func emit(_ p: UnsafeRawBufferPointer, _ start: Int, _ n: Int, _ out: OutputBuffer) {
        out.append(": ")
        out.append(bytes: UnsafeRawBufferPointer(rebasing: p[start..<(start + n)]))
    }

    /// tcpdump's SSH printer: only a version banner (`SSH-…`) up to its line end.
    static func renderSSH(_ p: UnsafeRawBufferPointer, start: Int, length: Int, cap: Int, _ out: OutputBuffer) {
        let banner: [UInt8] = [0x53, 0x53, 0x48, 0x2D]  // "SSH-"
        for i in 0..<4 {
            guard start + i < cap else { out.append(" [|ssh]"); return }
            if p[start + i] != banner[i] { return }
        }
        var idx = 4
        while idx < length {
            guard start + idx < cap else { out.append(" [|ssh]"); return }
            let c = p[start + idx]
            if c == 0x0A { break }
            if c == 0x0D {
                if idx + 1 >= length { return }
                guard start + idx + 1 < cap else { out.append(" [|ssh]"); return }
                if p[start + idx + 1] == 0x0A { break }
                return
            }
            if !isPrint(c) { return }
            idx += 1
        }
        if idx >= length { return }
        out.append(": SSH: ")
        out.append(bytes: UnsafeRawBufferPointer(rebasing: p[start..<(start + idx)]))
    }
}
