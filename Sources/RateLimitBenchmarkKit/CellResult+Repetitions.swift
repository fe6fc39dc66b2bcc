extension CellResult {
    /// Sets the repetitions' ops/s and every figure derived from them: the median (reported as
    /// `opsPerSecond`), minimum, maximum, count, coefficient of variation and wall time per
    /// decision per thread. The one
    /// place those figures are computed, for a measured cell and for runs pooled by `compare`.
    package mutating func setRepetitions(_ rates: [Double]) {
        let sorted = rates.sorted()
        let median = medianOfSorted(sorted)
        self.opsPerSecondRepetitions = rates
        self.opsPerSecond = median
        self.opsPerSecondMin = sorted.first ?? 0
        self.opsPerSecondMax = sorted.last ?? 0
        self.repetitions = rates.count
        self.nanosecondsPerOpPerThread = median > 0 ? Double(self.threads) * 1e9 / median : 0
        self.coefficientOfVariation = sampleCoefficientOfVariation(rates)
    }
}

/// The median of values sorted in ascending order (the mean of the middle two for an even
/// count); 0 when there are none.
func medianOfSorted(_ sorted: [Double]) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// The sample standard deviation of `values` over their mean; `nil` for fewer than two values or
/// a mean of 0.
func sampleCoefficientOfVariation(_ values: [Double]) -> Double? {
    guard values.count >= 2 else { return nil }
    let mean = values.reduce(0, +) / Double(values.count)
    guard mean > 0 else { return nil }
    let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    return (squares / Double(values.count - 1)).squareRoot() / mean
}
