/// When a cell's figures are too disturbed to trust: more CPU time stolen by the host than
/// `maxSteal`, repetitions spread wider than `maxCoefficientOfVariation`, or (open loop) more than 1 % of
/// the due decisions still waiting when the cell ended. A flagged cell is marked in every output, and
/// `--retry-noisy` measures it again.
package struct NoiseLimits: Hashable, Sendable {
    /// The largest share of the machine's CPU time the host may steal during a cell, in 0...1.
    package var maxSteal: Double
    /// The largest coefficient of variation (standard deviation over mean) of a cell's
    /// repetitions' ops/s.
    package var maxCoefficientOfVariation: Double

    package init(maxSteal: Double, maxCoefficientOfVariation: Double) {
        self.maxSteal = maxSteal
        self.maxCoefficientOfVariation = maxCoefficientOfVariation
    }

    /// The share of an open-loop cell's due decisions it must have issued when it ends: with a
    /// larger backlog, decisions queued behind the schedule (the engine and the driver could not
    /// keep up, or the host stalled them) and the latencies measure that queue.
    static let sustainedShare = 0.99

    /// 5 % steal, 10 % coefficient of variation.
    package static let standard = NoiseLimits(maxSteal: 0.05, maxCoefficientOfVariation: 0.10)

    /// Why `cell` is noisy, one short phrase per limit it is over (`steal 12.1 % > 5 %`); empty
    /// when it is within all, or when no figure was measured.
    package func flags(for cell: CellResult) -> [String] {
        var flags: [String] = []
        if let steal = cell.stealFraction, steal > self.maxSteal {
            flags.append("steal \(percent(steal)) > \(percent(self.maxSteal))")
        }
        if let variation = cell.coefficientOfVariation, variation > self.maxCoefficientOfVariation {
            flags.append("CV \(percent(variation)) > \(percent(self.maxCoefficientOfVariation))")
        }
        let decisions = cell.allowed + cell.denied
        if let backlog = cell.backlog, Double(backlog) > Double(decisions + backlog) * (1 - Self.sustainedShare) {
            flags.append("backlog: \(backlog) of \(decisions + backlog) due decisions not issued")
        }
        return flags
    }

    /// How far the noisier of `cell`'s two figures is over its limit, as a multiple of the limit
    /// (at most 1 within the limits): what `--retry-noisy` minimises when no attempt is clean.
    package func excess(of cell: CellResult) -> Double {
        let steal = (cell.stealFraction ?? 0) / max(self.maxSteal, .leastNonzeroMagnitude)
        let variation = (cell.coefficientOfVariation ?? 0) / max(self.maxCoefficientOfVariation, .leastNonzeroMagnitude)
        return max(steal, variation)
    }
}

/// A fraction as a percentage with one decimal: `0.121` → `12.1 %`.
package func percent(_ fraction: Double) -> String {
    "\(decimal(fraction * 100, digits: 1)) %"
}
