import ArgumentParser
import RateLimitBenchmarkKit

/// The flags that keep noise out of a run (`--pin`) or in view (`--max-steal`, `--max-cv`,
/// `--retry-noisy`), shared by `run` and `recommend`.
struct NoiseOptions: ParsableArguments {
    @Flag(help: "Pin each worker thread to its own CPU: one per physical core first, SMT siblings last.")
    var pin = false

    @Option(
        help: "Flag a cell when the host steals more than this share of CPU time: a percentage in 0%...100%.",
        transform: parsing { text throws(ArgumentError) in
            try ArgumentParsing.percentage(text, name: "max-steal", in: 0...1)
        })
    var maxSteal: Double = NoiseLimits.standard.maxSteal

    @Option(
        name: .customLong("max-cv"),
        help:
            "Flag a cell when its repetitions' coefficient of variation exceeds this: a percentage in 0%...100%.",
        transform: parsing { text throws(ArgumentError) in
            try ArgumentParsing.percentage(text, name: "max-cv", in: 0...1)
        })
    var maxCoefficientOfVariation: Double = NoiseLimits.standard.maxCoefficientOfVariation

    @Option(
        parsing: .unconditional,
        help: "Measure a workload and thread count with a noisy cell again, up to this many times, in 0...10.",
        transform: parsing { text throws(ArgumentError) in
            try ArgumentParsing.integer(text, name: "retry-noisy", in: 0...10)
        })
    var retryNoisy: Int = 0

    /// The pinning order for cells of `threads`, or `nil` without `--pin`.
    func pinning(threads: [Int], machine: MachineDescription) throws -> [Int]? {
        guard self.pin else { return nil }
        let topology = machine.topology ?? CPUTopology.current()
        do throws(ArgumentError) {
            return try topology.pinning(threads: threads)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func apply(to plan: inout BenchmarkPlan) {
        plan.noiseLimits = NoiseLimits(
            maxSteal: self.maxSteal, maxCoefficientOfVariation: self.maxCoefficientOfVariation)
        plan.retryNoisy = self.retryNoisy
    }
}
