#if canImport(Glibc)
import Glibc
#endif
import ToyTCPEngine
import ToyTCPWire

/// What the example programs (`echoserver`, `fileclient`, …) share: argument parsing with `--netns`,
/// and bad input reported as one line that says what to do, with exit status 2.
///
/// Exit statuses: 0 done, 1 the connection failed (refused, reset, timed out), 2 bad input or
/// environment (usage, not root, no such namespace, address not on any interface, port in use).
public struct CommandLineTool: Sendable {
    public let name: String
    public let usage: String
    /// The positional arguments, in order.
    public private(set) var arguments: [String] = []
    /// `--netns NAME`: the network namespace to enter before anything else.
    public private(set) var namespace: String? = nil
    /// `--busy-poll` or `--loop-spin DURATION`: how the event loop waits (`EventLoop.WaitPolicy`).
    public private(set) var waitPolicy: EventLoop.WaitPolicy = .sleep
    /// `--realtime`: the event loop's thread under SCHED_FIFO (`EventLoop.setRealTime`).
    public private(set) var realTime = false

    /// The event-loop options every example takes, for `--help`.
    static let loopOptionsHelp = """
        Event loop options (how fast an idle program answers; README, "How the event loop waits"):
          --busy-poll            the loop polls instead of sleeping: answers fastest, takes a CPU all the time
          --loop-spin DURATION   the loop polls this long after its last work (1ns to 1s, e.g. 200us), then sleeps
          --realtime             the loop's thread runs under SCHED_FIFO priority 10 (needs root)
        """

    /// Parses `CommandLine.arguments`: exactly `positionalCount` positional arguments, `--netns NAME`
    /// anywhere, `-h`/`--help`. Exits with status 2 on anything else.
    public init(name: String, usage: String, positionalCount: Int, help: String) {
        self.name = name
        self.usage = usage
        var args = CommandLine.arguments.dropFirst()
        while let arg = args.popFirst() {
            switch arg {
            case "-h", "--help":
                print("usage: \(name) \(usage)\n\n\(help)\n\n\(Self.loopOptionsHelp)")
                exit(0)
            case "--netns":
                guard let value = args.popFirst() else { fail("--netns needs a namespace name, e.g. --netns host1") }
                namespace = value
            case _ where arg.hasPrefix("--netns="):
                namespace = String(arg.dropFirst("--netns=".count))
            case "--busy-poll":
                waitPolicy = .busyPoll
            case "--loop-spin":
                guard let value = args.popFirst(), let policy = EventLoop.WaitPolicy(["spin", value]) else {
                    fail("--loop-spin needs a duration from 1ns to 1s with its unit, e.g. --loop-spin 200us")
                }
                waitPolicy = policy
            case "--realtime":
                realTime = true
            case _ where arg.hasPrefix("-") && arg.count > 1:
                fail("unknown option '\(arg)'; usage: \(name) \(usage)")
            default:
                arguments.append(arg)
            }
        }
        if waitPolicy == .busyPoll && realTime {
            fail("--busy-poll with --realtime would starve every other thread of the loop's CPU: pick one")
        }
        guard arguments.count == positionalCount else {
            fail("expected \(positionalCount) arguments, got \(arguments.count); usage: \(name) \(usage)")
        }
    }

    /// Prints `name: message` on stderr and exits with status 2 (bad input).
    public func fail(_ message: String, status: Int32 = 2) -> Never {
        var line = "\(name): \(message)\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        exit(status)
    }

    /// Prints `name: message` on stderr.
    public func log(_ message: String) {
        var line = "\(name): \(message)\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    /// The positional argument at `index` as an IPv4 address.
    public func address(at index: Int) -> IPv4Address {
        let text = arguments[index]
        guard let address = IPv4Address(text) else {
            fail("bad address '\(text)': give a dotted IPv4 address such as 10.0.0.1")
        }
        return address
    }

    /// The positional argument at `index` as an address of either family: `10.0.0.1`, `fd00:0:0:2::1`
    /// or `[fd00:0:0:2::1]`.
    public func ipAddress(at index: Int) -> IPAddress {
        var text = Substring(arguments[index])
        if text.hasPrefix("[") && text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        guard let address = IPAddress(text) else {
            fail("bad address '\(arguments[index])': give an IPv4 address such as 10.0.0.1 or an IPv6 one such as fd00:0:0:2::1")
        }
        return address
    }

    /// The positional argument at `index` as a TCP port (1...65535).
    public func port(at index: Int) -> UInt16 {
        let text = arguments[index]
        guard let value = Int(text), (1...65_535).contains(value) else {
            fail("bad port '\(text)': give a number from 1 to 65535")
        }
        return UInt16(value)
    }

    /// Checks root, enters `--netns` if given, and starts an event loop there. Exits with status 2
    /// (and a line saying what to do) if any of that fails. `for`: the address the program will use;
    /// an IPv6 one makes the stack dual-stack (every usable address of the namespace, both families).
    public func startLoop(configuration: StackConfiguration = StackConfiguration(), for address: IPAddress? = nil) -> EventLoop {
        guard NetworkNamespace.isRoot else {
            fail("must run as root (raw sockets need CAP_NET_RAW): sudo ip netns exec host1 \(CommandLine.arguments.joined(separator: " "))")
        }
        let loop: EventLoop
        do {
            if let namespace { try NetworkNamespace.enter(namespace) }
            if address?.isIPv6 == true {
                loop = try EventLoop(addresses: try InterfaceAddress.usable(), configuration: configuration,
                                     ipv6Addresses: try InterfaceAddress.usableIPv6())
            } else {
                loop = try EventLoop(configuration: configuration)
            }
        } catch {
            fail(error.description)
        }
        do {
            if waitPolicy != .sleep { try loop.setWaitPolicy(waitPolicy) }
            if realTime { try loop.setRealTime(priority: 10) }
        } catch {
            loop.stop()
            fail(error)
        }
        return loop
    }

    /// Reports a failed call: bad input (`LinkError`) exits 2, a failed connection (`EngineError`) 1.
    public func fail(_ error: any Error) -> Never {
        if let error = error as? LinkError { fail(error.description, status: 2) }
        if let error = error as? EngineError { fail(error.description, status: 1) }
        fail("\(error)", status: 1)
    }
}
