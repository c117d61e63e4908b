import CReadline

/// Ctrl-C: interrupts a waiting command, never the shell (the handler only sets a flag; see shim.h).
public enum InterruptSignal {
    /// Installs the SIGINT handler; call once at start.
    @inline(never)
    public static func install() { toytcp_install_sigint() }

    /// Whether Ctrl-C was pressed since the last `clear()`.
    public static var isSet: Bool {
        @inline(never) get { toytcp_interrupted() != 0 }
    }

    @inline(never)
    public static func clear() { toytcp_clear_interrupt() }

    /// For `run`: true once Ctrl-C was pressed (the script stops at the next wait).
    public static func take() -> Bool { isSet }
}
