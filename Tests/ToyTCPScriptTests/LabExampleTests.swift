import Foundation
import Testing

/// The lab examples against the kernel, in namespaces each test creates with a unique prefix and
/// removes (issue 5: "the lab ones against the kernel in namespaces the test creates"). Each script
/// starts its kernel peer itself (`host2 "…" as peer`, issue 11). Without root these are skipped;
/// under CI=true they run and fail if they cannot.
@Suite("Example scripts in the kernel lab", .serialized,
       .enabled(if: TestSupport.labAvailable || TestSupport.mustRunLab,
                "needs root to create network namespaces (run as root, or set CI=true to require it)"))
struct LabExampleTests {
    @Test("each lab example runs against the kernel and every expectation holds", arguments: TestSupport.labExamples())
    func example(name: String) throws {
        let root = TestSupport.packageRoot.path
        let path = TestSupport.examples.appendingPathComponent(name).path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let prefix = "tts\(getpid() % 100000)\(UInt16.random(in: 0...999))"
        // A `# lab-up: ARGS` line adds arguments (e.g. a host2 that may send RSTs).
        var upArguments = ["--prefix", prefix]
        if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("# lab-up: ") }) {
            upArguments += line.dropFirst("# lab-up: ".count).split(separator: " ").map(String.init)
        }
        let up = try TestSupport.run(root + "/scripts/lab-up.sh", upArguments, timeout: 30)
        defer { _ = try? TestSupport.run(root + "/scripts/lab-down.sh", ["--prefix", prefix, "--kill"], timeout: 30) }
        try #require(up.status == 0, "lab-up failed: \(up.stderr)")

        let r = try TestSupport.run(TestSupport.executable.path, ["run", "--netns", "\(prefix)-host1", path], timeout: 60)
        #expect(r.status == 0, "\(name) failed (status \(r.status)):\n\(r.stderr)\n--- output:\n\(r.stdout)")
    }
}

/// The CLI's exit statuses and first line, through the built executable.
@Suite("toytcp-shell run")
struct RunCommandTests {
    @Test("run prints the network on its first line and exits 0 when every expectation held")
    func runOK() throws {
        let file = NSTemporaryDirectory() + "ok-\(getpid()).ttcp"
        try "# network: sim\npeer echo 10.0.1.1 7\nconnect 10.0.1.1 7 as c\nassert c.state == ESTABLISHED\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = try TestSupport.run(TestSupport.executable.path, ["run", file], timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("# toytcp shell on the simulated network"))
    }

    @Test("run exits 1 on a failed expectation, with the packetdrill-style report on stderr")
    func runFails() throws {
        let file = NSTemporaryDirectory() + "fail-\(getpid()).ttcp"
        try "# network: sim\nexpect S. within 1s\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = try TestSupport.run(TestSupport.executable.path, ["run", "--sim", file], timeout: 60)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("\(file):2: expected IP * > *: Flags [S.], win *, length *\ngot nothing\n"))
    }

    @Test("run on a missing file and --sim with --netns are usage errors (status 2)")
    func usage() throws {
        let missing = try TestSupport.run(TestSupport.executable.path, ["run", "/nonexistent.ttcp"], timeout: 30)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read '/nonexistent.ttcp'"))
        let both = try TestSupport.run(TestSupport.executable.path, ["run", "--sim", "--netns", "x", "/tmp/x.ttcp"], timeout: 30)
        #expect(both.status == 2)
    }
}
