/// What a packetdrill script runs against: the Linux kernel (`KernelSystem`: tun device, real sockets,
/// real clock) or toytcp's own stack (`ToyStackSystem`: our engine behind a BSD-socket façade, in
/// virtual time).
///
/// `PktRunner` interprets the script — times and tolerance, inbound crafting, outbound matching, the
/// expected results of system calls, blocking calls that overlap later lines, failure reports — and is
/// the same for both; a system only moves bytes, time and system calls. So there is one runner and one
/// matcher, and a difference between the two systems is a difference in behaviour, not in tooling.
protocol PktSystemUnderTest: AnyObject {
    /// `kernel` or `toytcp`, for reports.
    var name: String { get }
    /// Why this system cannot run `event` (checked for every event before anything runs, so an
    /// unsupported construct is an error with its line and column, never a silent pass); nil if it can.
    func unsupported(_ event: PktEvent) -> String?
    /// Creates what the run needs (a namespace and tun device; a stack); script time 0 starts now.
    func setUp() throws
    func tearDown()
    /// Seconds of script time since the start.
    func elapsed() -> Double
    /// Lets time pass up to script time `t` (sleeping, or moving virtual time on and running the
    /// stack's timers), gathering what the system sends. With `stopEarly`, returns as soon as a
    /// packet was sent or the started call returned.
    func pass(until t: Double, stopEarly: Bool)
    /// IP packets (IPv4 or IPv6, the run's wire family) the system sent since the last call, with the
    /// script time each was sent at.
    func takeOutbound() -> [(bytes: [UInt8], time: Double)]
    /// Delivers an IP packet (either family) to the system now; `gsoSize`: a GRO-merged burst of that
    /// segment size.
    /// False when it could not be delivered.
    func inject(_ bytes: [UInt8], gsoSize: Int?) -> Bool
    /// Runs a system call to completion (a blocking call blocks in the system's own time).
    func run(_ call: PktSyscall) throws(SyscallError) -> SyscallOutcome
    /// Starts a call that may block while the script goes on (`+0...0.5 accept(…)`).
    func begin(_ call: PktSyscall)
    /// The started call's result and the script time it returned at, once it has.
    var finished: (Result<SyscallOutcome, SyscallError>, Double)? { get }
    /// The script's fd `script` stands for the system's `live` one from now on (what socket or accept
    /// returned); `underTest`: the socket whose TCP_INFO python blocks see.
    func bind(scriptFD: Int32, to live: Int32, underTest: Bool)
    /// The script closed its fd `scriptFD`.
    func closed(scriptFD: Int32)
    /// Python assignments of the `tcpi_*` (and `SK_MEMINFO_*`) values of the socket under test, now.
    func tcpInfoPrelude() -> String
    /// Runs a backtick command (its time does not count against the script's timeline).
    func shell(_ command: String) -> (status: Int32, output: String)
}
