import Foundation

/// Reads files named in scripts (`@file` payloads); not a hot path, so Foundation is fine here.
enum FileBytes {
    static func read(_ path: String) -> [UInt8]? {
        let expanded = path.hasPrefix("~/") ? NSHomeDirectory() + path.dropFirst(1) : path
        return FileManager.default.contents(atPath: expanded).map { [UInt8]($0) }
    }
}
