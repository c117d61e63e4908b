import Testing

/// Every kernel-lab test, one at a time: each builds its own lab (namespaces with a unique prefix),
/// but they share the machine's two cores and the benchmark-sensitive kernel paths.
@Suite("Kernel lab: toytcp against Linux in network namespaces", .serialized,
       .enabled(if: LabEnvironment.canRun, LabEnvironment.skipMessage))
struct KernelLab {}
