import Testing
@testable import ToyTCPWire

