import Foundation

/// `--stack both`: the same script against the kernel and against our stack, and the first point
/// where what they did differs (a segment, a system call's result, or its time beyond the tolerance).
public struct PktSideBySide {
    public var kernel: [PktObservation]
    public var toytcp: [PktObservation]
    public var tolerance: Double

    /// Observations are put in time order (stably): a blocking call is checked after the segments that
    /// came while it was running, but it returned at its own time. Things that happened within the
    /// tolerance of each other count as simultaneous: the kernel's order among them is scheduling
    /// jitter (a thread returning from accept, a segment the softirq sends), so our stack's are taken
    /// in the kernel's order where they are the same kind of thing (`PktObservation.shape`).
    public init(kernel: [PktObservation], toytcp: [PktObservation], tolerance: Double) {
        func ordered(_ o: [PktObservation]) -> [PktObservation] {
            o.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        }
        self.kernel = ordered(kernel)
        var ours = ordered(toytcp)
        for i in 0..<min(self.kernel.count, ours.count) where self.kernel[i].shape != ours[i].shape {
            let k = self.kernel[i]
            if let j = ours[i...].firstIndex(where: { $0.shape == k.shape && abs($0.time - k.time) <= tolerance }),
               ours[i..<j].allSatisfy({ abs($0.time - k.time) <= tolerance }) {
                ours.insert(ours.remove(at: j), at: i)
            }
        }
        self.toytcp = ours
        self.tolerance = tolerance
    }

    /// The index of the first observation that differs, or nil when both did the same.
    public var firstDifference: Int? {
        for i in 0..<max(kernel.count, toytcp.count) {
            guard i < kernel.count, i < toytcp.count else { return i }
            let k = kernel[i], t = toytcp[i]
            if k.comparable != t.comparable || abs(k.time - t.time) > tolerance { return i }
        }
        return nil
    }

    /// The report: the observations up to the first difference, side by side, that one marked.
    public var report: [String] {
        guard let i = firstDifference else {
            return ["# kernel and toytcp behaved the same (\(kernel.count) observations)"]
        }
        var lines = ["# first difference between the kernel and toytcp, at observation \(i + 1):"]
        func cell(_ o: [PktObservation], _ j: Int) -> String { j < o.count ? o[j].description : "(nothing: the run ended)" }
        for j in max(0, i - 3)...i {
            lines.append((j == i ? "! " : "  ") + "kernel " + cell(kernel, j))
            lines.append((j == i ? "! " : "  ") + "toytcp " + cell(toytcp, j))
        }
        return lines
    }
}
