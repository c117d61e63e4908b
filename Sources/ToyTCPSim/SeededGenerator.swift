import ToyTCPWire

/// The simulation's random numbers: SplitMix64 (ToyTCPWire), so a run is fully determined by its seed.
/// Each link direction of a `SimulatedNetwork` owns its own generator derived from the network's seed
/// (`derived(_:)`), so changing one link's impairments or adding a tap never shifts the random choices
/// of another.
public typealias SeededGenerator = SplitMix64
