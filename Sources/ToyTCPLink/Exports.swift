// Applications of the link (the examples, tests) get the engine's and the wire's public types
// (`IPv4Address`, `EngineError`, `StackConfiguration`, `Instant`, …) with `import ToyTCPLink` alone.
@_exported import ToyTCPEngine
@_exported import ToyTCPWire
