#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ToyTCPTestSupport
import Testing
import ToyTCPEngine
import ToyTCPLink

extension KernelLab {
    /// How the event loop waits (issue 10's idle-REPL latency): asleep in `epoll_wait` by default,
    /// busy-polling or spinning before it sleeps when the user asks for it.
    @Suite("Event loop wait policy: sleep, spin then sleep, busy-poll")
    struct LoopWaitPolicy {
        @Test("Busy-polling: no blocking epoll_wait while idle, packets and calls still handled, stop() still ends it; sleep again: no polls")
        func busyPollNeverBlocks() throws {
            Lab.run("busy-poll") { lab in
                let loop = try lab.stack(in: lab.host1)
                try loop.setWaitPolicy(.busyPoll)
                let before = try loop.statistics().link
                usleep(200_000)
                // A kernel client's handshake while busy-polling: the loop still reads its socket.
                let listener = try loop.listen(port: 7120)
                let client = try lab.spawn(in: lab.host2, ["nc", "-w", "3", "-z", "10.0.0.1", "7120"])
                let accepted = try listener.accept(timeout: .seconds(5))
                _ = client.wait(timeout: .seconds(10))
                accepted.abort()
                let busy = try loop.statistics().link
                lab.expect(busy.blockingWaits == before.blockingWaits,
                           "busy-polling, the loop blocked in epoll_wait \(busy.blockingWaits - before.blockingWaits) times")
                lab.expect(busy.emptyPolls > before.emptyPolls + 1000,
                           "busy-polling for 200 ms, only \(busy.emptyPolls - before.emptyPolls) empty polls")

                try loop.setWaitPolicy(.sleep)
                let sleeping = try loop.statistics().link
                usleep(200_000)
                let after = try loop.statistics().link
                lab.expect(after.emptyPolls == sleeping.emptyPolls,
                           "sleeping, the loop still polled \(after.emptyPolls - sleeping.emptyPolls) times")
                lab.expect(after.blockingWaits > sleeping.blockingWaits, "sleeping, the loop never blocked")

                // A busy-polling loop stops when asked, promptly.
                try loop.setWaitPolicy(.busyPoll)
                let start = ContinuousClock.now
                loop.stop()
                lab.expect(ContinuousClock.now - start < .seconds(2), "stop() of a busy-polling loop took \(ContinuousClock.now - start)")
            }
        }

        @Test("Spin then sleep: after a call the loop polls for the spin, then blocks")
        func spinThenSleeps() throws {
            Lab.run("spin-sleep") { lab in
                let loop = try lab.stack(in: lab.host1)
                try loop.setWaitPolicy(.spinThenSleep(.milliseconds(20)))
                let before = try loop.statistics().link
                usleep(200_000)
                let after = try loop.statistics().link
                lab.expect(after.emptyPolls > before.emptyPolls, "spinning 20 ms, the loop never polled")
                lab.expect(after.blockingWaits > before.blockingWaits, "after its 20 ms spin the loop never went to sleep")
                #expect(try loop.currentWaitPolicy() == .spinThenSleep(.milliseconds(20)))
            }
        }

        @Test("A real-time loop thread: SCHED_FIFO as the kernel reports it, back to normal; refused while busy-polling")
        func realTimeThread() throws {
            Lab.run("rt-loop") { lab in
                let loop = try lab.stack(in: lab.host1)
                let thread = try loop.threadID()
                lab.expect(Self.scheduling(of: thread) == [0, 0], "the loop thread starts under SCHED_OTHER")
                try loop.setRealTime(priority: 10)
                // /proc's policy: 1 = SCHED_FIFO.
                lab.expect(Self.scheduling(of: thread) == [1, 10],
                           "after setRealTime(10) the kernel reports \(String(describing: Self.scheduling(of: thread)))")
                #expect(throws: LinkError.self) { try loop.setWaitPolicy(.busyPoll) }
                // Still answers a kernel client while real-time.
                let listener = try loop.listen(port: 7121)
                let client = try lab.spawn(in: lab.host2, ["nc", "-w", "3", "-z", "10.0.0.1", "7121"])
                try listener.accept(timeout: .seconds(5)).abort()
                _ = client.wait(timeout: .seconds(10))
                try loop.setRealTime(priority: nil)
                lab.expect(Self.scheduling(of: thread) == [0, 0], "setRealTime(nil) left the thread real-time")
                #expect(throws: LinkError.self) { try loop.setRealTime(priority: 100) }
            }
        }

        @Test("Adaptive caller wait: most blocking connects to a kernel listener are answered while the loop is awake, so the caller never sleeps; asleep at once, every connect sleeps")
        func adaptiveCallerWait() throws {
            Lab.run("caller-wait") { lab in
                _ = try lab.spawn(in: lab.host2, ["socat", "TCP-LISTEN:7122,bind=10.0.1.1,reuseaddr,fork", "SYSTEM:true"])
                try lab.waitForKernelListener(in: lab.host2, port: 7122)
                let loop = try lab.stack(in: lab.host1)
                func connects(_ count: Int) throws -> Int {
                    let before = try loop.statistics().link.callerSleeps
                    for _ in 0..<count {
                        try loop.connect(to: IPv4Address(10, 0, 1, 1), port: 7122, timeout: .seconds(5)).abort()
                    }
                    // The statistics call itself may sleep once.
                    return try loop.statistics().link.callerSleeps - before
                }
                loop.setCallerWait(.sleep)
                let asleep = try connects(40)
                // Every connect sleeps (its answer needs the SYN-ACK, which the loop's thread reads after
                // the caller is asleep); an abort the loop finished before its caller waited need not.
                lab.expect(asleep >= 40, "asleep at once: only \(asleep) of 80 connect and abort calls slept")
                loop.setCallerWait(.adaptive)
                let adaptive = try connects(40)
                // The SYN-ACK comes back inside the SYN's sendto on veth: the loop has the answer
                // before it would sleep. A loaded machine may preempt the loop now and then.
                lab.expect(adaptive < 40, "adaptive: \(adaptive) of 80 connect and abort calls slept")
            }
        }

        /// [policy, real-time priority] as the kernel reports for one of our threads
        /// (`/proc/self/task/ID/stat`, fields 41 and 40).
        static func scheduling(of thread: Int32) -> [Int]? {
            guard let stat = try? String(contentsOfFile: "/proc/self/task/\(thread)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // fields[0] is field 3 (state).
            guard fields.count > 38, let priority = Int(fields[37]), let policy = Int(fields[38]) else { return nil }
            return [policy, priority]
        }
    }
}

@Suite("EventLoop.WaitPolicy text")
struct WaitPolicyTextTests {
    @Test("Parses what it prints; refuses the rest", arguments: [
        (["sleep"], "sleep"), (["busy-poll"], "busy-poll"), (["spin", "200us"], "spin 200us"),
        (["spin", "1ms"], "spin 1ms"), (["spin", "50µs"], "spin 50us"), (["spin", "1500ns"], "spin 1500ns"),
    ])
    func roundTrip(words: [String], text: String) throws {
        let policy = try #require(EventLoop.WaitPolicy(words))
        #expect(policy.description == text)
        #expect(EventLoop.WaitPolicy(text.split(separator: " ").map(String.init)) == policy)
    }

    @Test("Refuses unknown words, a missing or zero spin, and a spin over 1 s", arguments: [
        ["poll"], ["spin"], ["spin", "0us"], ["spin", "2s"], ["spin", "10"], ["sleep", "1ms"], [],
    ])
    func refuses(words: [String]) {
        #expect(EventLoop.WaitPolicy(words) == nil)
    }
}

extension KernelLab.LiveShell {
    @Test("REPL: `set loop busy-poll` as typed makes the loop poll (the shell's CPU time runs with the clock) and still answer; `set` shows it; `set loop sleep` stops it; bad values are file:line:col errors")
    func setLoopFromTheREPL() throws {
        Lab.run("live-set-loop", rstFilter: nil) { lab in
            let terminal = try ShellTerminal("\(Self.shell()) --netns \(lab.host1)")
            defer { terminal.close() }
            try lab.require(terminal.waitFor { $0.contains("toytcp \(lab.host1)>") }, "no prompt:\n\(terminal.screen())")
            guard let pid = terminal.shellProcessID() else {
                try lab.require(false, "no toytcp-shell process under the terminal")
                return
            }
            // Thresholds leave room for a loaded machine: a busy-polling thread gets its share of a CPU
            // (0.2-1 s a second here), a sleeping one next to nothing.
            let idleCPU = cpuSeconds(of: pid, over: 1)
            lab.expect(idleCPU < 0.05, "the sleeping shell used \(idleCPU) s of CPU in 1 s")
            try terminal.enter("set loop busy-poll")
            try lab.require(terminal.waitFor { $0.contains("loop=busy-poll loop-priority=normal") }, "set loop busy-poll:\n\(terminal.screen())")
            let busyCPU = cpuSeconds(of: pid, over: 1)
            lab.expect(busyCPU > 0.1, "busy-polling, the shell used only \(busyCPU) s of CPU in 1 s")
            // Busy-polling, the stack still answers a kernel client unprompted.
            try terminal.enter("trace on")
            try terminal.enter("listen 9310")
            try lab.require(terminal.waitFor { $0.contains("listening on 10.0.0.1:9310") }, "listen failed:\n\(terminal.screen())")
            let nc = try lab.spawn(in: lab.host2, ["nc", "-w", "3", "-z", "10.0.0.1", "9310"])
            lab.expect(terminal.waitFor { $0.contains("-> ESTABLISHED") }, "no handshake while busy-polling:\n\(terminal.screen())")
            _ = nc.wait(timeout: .seconds(5))
            try terminal.enter("trace off")
            try terminal.enter("set")
            lab.expect(terminal.waitFor { $0.contains("backlog=") && $0.contains(" loop=busy-poll loop-priority=normal") },
                       "`set` does not show the loop:\n\(terminal.screen())")
            try terminal.enter("set loop sleep")
            try lab.require(terminal.waitFor { $0.contains("loop=sleep loop-priority=normal") }, "set loop sleep:\n\(terminal.screen())")
            let sleepingCPU = cpuSeconds(of: pid, over: 1)
            lab.expect(sleepingCPU < 0.05, "after set loop sleep the shell still used \(sleepingCPU) s of CPU in 1 s")
            try terminal.enter("set loop spin 200us")
            lab.expect(terminal.waitFor { $0.contains("loop=spin 200us") }, "set loop spin 200us:\n\(terminal.screen())")
            try terminal.enter("set loop fast")
            lab.expect(terminal.waitFor { $0.contains(":10: set loop takes sleep, busy-poll or spin") },
                       "no file:line:col error for a bad value:\n\(terminal.screen())")
            try terminal.enter("set loop-priority realtime")
            lab.expect(terminal.waitFor { $0.contains("loop=spin 200us loop-priority=realtime 10") }, "set loop-priority realtime:\n\(terminal.screen())")
            try terminal.enter("set loop busy-poll")
            lab.expect(terminal.waitFor { $0.contains("would starve every other thread") }, "busy-poll on a real-time thread not refused:\n\(terminal.screen())")
        }
    }
}

extension ShellTerminal {
    /// The toytcp-shell process in the terminal's pane (the pane's process, or its child when tmux
    /// started it through a shell).
    func shellProcessID() -> Int32? {
        guard let out = try? Subprocess.run(["tmux", "-L", tmuxSocket, "display-message", "-p", "-t", session, "#{pane_pid}"],
                                            timeout: .seconds(10)).stdout,
              let pane = Int32(out.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        func command(_ pid: Int32) -> String {
            ((try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if command(pane) == "toytcp-shell" { return pane }
        let children = (try? String(contentsOfFile: "/proc/\(pane)/task/\(pane)/children", encoding: .utf8)) ?? ""
        return children.split(separator: " ").compactMap { Int32($0) }.first { command($0) == "toytcp-shell" }
    }
}

/// The CPU time (user + system, every thread) process `pid` used during `seconds` of wall time.
private func cpuSeconds(of pid: Int32, over seconds: Double) -> Double {
    func ticks() -> Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3; utime and stime are fields 14 and 15.
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return 0 }
        return user + system
    }
    let before = ticks()
    usleep(UInt32(seconds * 1_000_000))
    return Double(ticks() - before) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
