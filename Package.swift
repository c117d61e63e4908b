// swift-tools-version:6.0
// toytcp: a user-space TCP/IP stack and a packet-level scripting shell.
// Dependencies point one way (see ../shared/STYLE.md):
//   Wire <- Decode;  Wire <- Engine <- Sim, Link;  Script <- Engine, Decode, Sim, Link;
//   Shell <- Script; the executable sits on top.
import PackageDescription

let package = Package(
    name: "toytcp",
    // macOS 15: Synchronization (Mutex, Atomic) and Duration's attoseconds (Int128).
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "toytcp-shell", targets: ["toytcp-shell"]),
        .library(name: "ToyTCPWire", targets: ["ToyTCPWire"]),
        .library(name: "ToyTCPEngine", targets: ["ToyTCPEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // C libraries through system-library targets (module map + shim header).
        .systemLibrary(name: "CPcap", path: "Sources/CPcap",
                       providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "CReadline", path: "Sources/CReadline",
                       providers: [.apt(["libreadline-dev"])]),
        // epoll, timerfd, eventfd, setns: Linux calls the Glibc module does not export (headers only).
        .systemLibrary(name: "CToyTCPLinux", path: "Sources/CToyTCPLinux"),

        // Layers.
        .target(name: "ToyTCPWire"),
        .target(name: "ToyTCPDecode", dependencies: ["ToyTCPWire", "CPcap"]),
        .target(name: "ToyTCPEngine", dependencies: ["ToyTCPWire"]),
        .target(name: "ToyTCPSim", dependencies: ["ToyTCPWire", "ToyTCPEngine", "ToyTCPDecode"]),
        .target(name: "ToyTCPLink", dependencies: [
            "ToyTCPWire", "ToyTCPEngine", "ToyTCPDecode", "CToyTCPLinux",
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        .target(name: "ToyTCPScript", dependencies: [
            "ToyTCPWire", "ToyTCPDecode", "ToyTCPEngine", "ToyTCPSim", "ToyTCPLink",
        ]),
        .target(name: "ToyTCPShell", dependencies: ["ToyTCPScript", "CReadline"]),
        // packetdrill's .pkt language: parser, and a runner with the Linux kernel under test (tun device
        // in a private namespace, system calls on real sockets). Crafting and matching are ToyTCPScript's.
        .systemLibrary(name: "CToyTCPPacketdrill", path: "Sources/CToyTCPPacketdrill"),
        .target(name: "ToyTCPPacketdrill", dependencies: [
            "ToyTCPWire", "ToyTCPDecode", "ToyTCPEngine", "ToyTCPScript", "CToyTCPPacketdrill",
        ]),
        .executableTarget(name: "toytcp-shell", dependencies: [
            "ToyTCPWire", "ToyTCPDecode", "ToyTCPScript", "ToyTCPShell", "ToyTCPLink", "ToyTCPPacketdrill",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Benchmarks of the engine and simulated network (release builds; see scripts/bench-*.sh).
        .executableTarget(name: "toytcp-bench", dependencies: [
            "ToyTCPWire", "ToyTCPEngine", "ToyTCPSim", "ToyTCPDecode",
        ]),

        // The toytcp side of scripts/bench-lab.sh (handshake latency, raw-socket ceiling) in the kernel lab.
        .executableTarget(name: "toytcp-lab-bench", dependencies: ["ToyTCPLink"]),

        // Examples: the toytcp example programs, usable as `ip netns exec host1 .build/release/echoserver …`.
        .executableTarget(name: "echoserver", dependencies: ["ToyTCPLink"], path: "examples/echoserver"),
        .executableTarget(name: "echoclient", dependencies: ["ToyTCPLink"], path: "examples/echoclient"),
        .executableTarget(name: "fileserver", dependencies: ["ToyTCPLink"], path: "examples/fileserver"),
        .executableTarget(name: "fileclient", dependencies: ["ToyTCPLink"], path: "examples/fileclient"),

        // Tests.
        // What every test target shares: one subprocess runner, the machine's facts, the namespace pair.
        .target(name: "ToyTCPTestSupport", path: "Tests/ToyTCPTestSupport"),
        .testTarget(name: "ToyTCPWireTests", dependencies: ["ToyTCPWire"]),
        .testTarget(name: "ToyTCPDecodeTests", dependencies: ["ToyTCPTestSupport", "ToyTCPWire", "ToyTCPDecode"]),
        .testTarget(name: "ToyTCPEngineTests", dependencies: ["ToyTCPWire", "ToyTCPEngine"]),
        .testTarget(name: "ToyTCPSimTests", dependencies: [
            "ToyTCPTestSupport", "ToyTCPWire", "ToyTCPEngine", "ToyTCPSim", "ToyTCPDecode",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "ToyTCPScriptTests", dependencies: ["ToyTCPTestSupport", "ToyTCPScript", "ToyTCPSim", "ToyTCPEngine"]),
        .testTarget(name: "ToyTCPPacketdrillTests", dependencies: ["ToyTCPTestSupport", "ToyTCPPacketdrill", "ToyTCPWire", "ToyTCPEngine"]),
        .testTarget(name: "ToyTCPCLITests", dependencies: ["ToyTCPTestSupport", "ToyTCPWire", "ToyTCPDecode"]),
        .testTarget(name: "KernelLabTests", dependencies: [
            "ToyTCPTestSupport",
            "ToyTCPWire", "ToyTCPDecode", "ToyTCPEngine", "ToyTCPLink",
        ]),
    ]
)
