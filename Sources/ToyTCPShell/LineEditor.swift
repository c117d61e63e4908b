#if canImport(Glibc)
import Glibc
#endif
import CReadline

/// Line editing with GNU readline: editing keys, history kept in a file across sessions, and tab
/// completion through `Completion`.
///
/// History lives in `~/.toytcp_history` (or `$TOYTCP_HISTORY`); every accepted line is appended at
/// once, so a session that is killed keeps its history too. The file is trimmed to `historyLimit` lines.
/// Every entry point that touches readline's state is `@inline(never)`: the C shim keeps that state in
/// `static` variables, and a copy inlined into another module (cross-module optimization in release
/// builds) would get that module's own copies: the prompt hidden in one and never shown in the other.
public final class LineEditor {
    public let historyPath: String
    public static let historyLimit: Int32 = 2000

    /// The completion in use: set by the shell, read by readline's C callback.
    nonisolated(unsafe) static var completion: Completion?

    @inline(never)
    public init(completion: Completion, historyPath: String? = nil) {
        self.historyPath = historyPath ?? LineEditor.defaultHistoryPath()
        LineEditor.completion = completion
        toytcp_rl_set_name("toytcp")
        toytcp_rl_set_word_breaks()
        toytcp_rl_set_completion(LineEditor.complete)
        toytcp_rl_setup_ctrl_c()
        using_history()
        stifle_history(Self.historyLimit)
        if access(self.historyPath, F_OK) == 0 {
            _ = read_history(self.historyPath)
        } else {
            _ = write_history(self.historyPath)
        }
    }

    /// `$TOYTCP_HISTORY`, else `~/.toytcp_history`.
    public static func defaultHistoryPath() -> String {
        if let p = getenv("TOYTCP_HISTORY"), p.pointee != 0 { return String(cString: p) }
        let home = getenv("HOME").map { String(cString: $0) } ?? "."
        return home + "/.toytcp_history"
    }

    /// Whether a prompt is on the screen (output must then go above it, `printAbovePrompt`).
    public private(set) var isPrompting = false

    /// Reads one line with `prompt`; `nil` at end of input (Ctrl-D).
    ///
    /// Uses readline's callback interface and polls standard input beside `wake` (the network's
    /// observation descriptor): when `wake` is readable, `onWake` runs (it prints through
    /// `printAbovePrompt`), and the prompt is redrawn with `prompt()` and the line being typed intact.
    @inline(never)
    public func readLine(prompt: () -> String, wake: Int32? = nil, onWake: () -> Void = {}) -> String? {
        toytcp_set_in_readline(1)
        isPrompting = true
        defer {
            isPrompting = false
            toytcp_set_in_readline(0)
            toytcp_unblock_signals()
        }
        var shown = prompt()
        toytcp_rl_begin(shown)
        while toytcp_rl_is_done() == 0 {
            var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wake ?? -1, events: Int16(POLLIN), revents: 0)]
            let n = poll(&fds, 2, -1)
            if n < 0 {
                if errno == EINTR { continue }
                break
            }
            if fds[1].revents & Int16(POLLIN) != 0 {
                onWake()
                let next = prompt()
                let changed = next != shown
                shown = next
                if toytcp_rl_is_done() == 0 { toytcp_rl_show(changed ? shown : nil) }
            }
            if fds[0].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                toytcp_rl_read_char()
            }
        }
        guard let raw = toytcp_rl_take_line() else { return nil }
        defer { free(raw) }
        let line = String(cString: raw)
        if !line.allSatisfy({ $0 == " " || $0 == "\t" }) {
            add_history(raw)
            _ = append_history(1, historyPath)
        }
        return line
    }

    /// Prints `text` (one line) above the prompt while a line is being read: the prompt and the typed
    /// line are cleared first and drawn again after the next wake-up's output (`readLine` does it).
    @inline(never)
    public func printAbovePrompt(_ text: String, _ print: (String) -> Void) {
        if isPrompting { toytcp_rl_hide() }
        print(text)
    }

    /// Trims the history file; call at exit.
    @inline(never)
    public func close() {
        _ = history_truncate_file(historyPath, Self.historyLimit)
    }

    /// readline's attempted-completion hook: candidates from `Completion`, as a malloc'ed,
    /// NULL-terminated array whose first entry is their longest common prefix (readline frees it).
    static let complete: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { text, start, end in
        toytcp_rl_completion_over()
        let word = text.map { String(cString: $0) } ?? ""
        let line = toytcp_rl_line_buffer().map { String(cString: $0) } ?? ""
        let before = String(decoding: Array(line.utf8).prefix(Int(start)), as: UTF8.self)
        guard let completion = LineEditor.completion else { return nil }
        let result = completion.candidates(before: before, word: word)
        var candidates = result.words
        if result.files {
            var state: Int32 = 0
            while let f = toytcp_rl_filename_completion(word, state) {
                candidates.append(String(cString: f))
                free(f)
                state += 1
                if state > 1000 { break }
            }
        }
        candidates = Array(Set(candidates)).sorted()
        guard !candidates.isEmpty else { return nil }
        // No space after `key=`, a directory or an address (`[fd00::1]:`), so the value or port follows at once.
        let noSpace = candidates.count == 1 && (candidates[0].hasSuffix("=") || candidates[0].hasSuffix("/")
                                                || candidates[0].hasSuffix(":"))
        toytcp_rl_set_append_character(noSpace ? 0 : 32)
        var prefix = candidates[0]
        for c in candidates.dropFirst() {
            while !c.hasPrefix(prefix) { prefix.removeLast() }
        }
        let list = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: candidates.count + 2)
        // malloc'ed with strdup: readline releases them with free().
        list[0] = strdup(candidates.count == 1 ? candidates[0] : prefix)
        var i = 1
        if candidates.count > 1 {
            for c in candidates { list[i] = strdup(c); i += 1 }
        }
        list[i] = nil
        // readline frees the array with free(): allocate it with malloc instead of Swift's allocator.
        let bytes = (i + 1) * MemoryLayout<UnsafeMutablePointer<CChar>?>.stride
        guard let raw = malloc(bytes) else { list.deallocate(); return nil }
        let out = raw.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: i + 1)
        for k in 0...i { out[k] = list[k] }
        list.deallocate()
        return out
    }
}
