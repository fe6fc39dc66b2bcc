import Foundation
import RateLimit

/// Measures your own engines beside the package's: the cells, result files, charts and
/// recommendation of `ratelimit-bench run`, from Swift.
///
/// ```swift
/// var configuration = RateLimitBenchmark.Configuration()
/// configuration.threads = [1, 2]
/// let result = try RateLimitBenchmark.run([SpinLockEngine()], configuration: configuration)
/// print(result.table)
/// print(result.recommendation ?? "no recommendation")
/// try result.write(to: "results", label: "spinlock")
/// ```
///
/// Build it in release (`swift run -c release`): a debug build measures the optimiser's absence.
public enum RateLimitBenchmark {
    /// What to measure; every field has `ratelimit-bench run`'s default.
    public struct Configuration: Sendable {
        /// Workloads by name: `hot-allow`, `hot-deny`, `uniform-allow`, `zipf-allow`, `churn`,
        /// `uniform-ip`.
        public var workloads: [String] = Workload.standard.map(\.rawValue)
        /// Thread counts, each in 1...1024.
        public var threads: [Int] = [1, 2, 4, 8]
        /// Distinct keys of the keyed workloads, in 1...10,000,000.
        public var keys = 100_000
        /// Run time of each repetition, in 1 ms...1 h.
        public var duration: Duration = .milliseconds(250)
        /// Repetitions per cell (the median is reported), in 1...100.
        public var repetitions = 3
        /// Whether the package's engines (`mutex`, `atomic`, `sharded`) and reference rows
        /// (`floor`, `floor-keyed` where its keys apply, `tutorial`) are measured too.
        public var includeBuiltIns = true

        public init() {}
    }

    /// A finished run.
    public struct Result: Sendable {
        let report: BenchmarkReport

        /// The result table, as `ratelimit-bench run` prints it.
        public var table: String { ResultTable.render(self.report.cells) }

        /// The verdict in one sentence, or `nil` when no engine was measured.
        public var recommendation: String? { self.report.recommendation?.summary }

        /// The name of the recommended engine.
        public var recommendedEngine: String? { self.report.recommendation?.engine.rawValue }

        /// Median decisions per second of `engine` on `workload` at `threads`; `nil` when not
        /// measured.
        public func operationsPerSecond(engine: String, workload: String, threads: Int) -> Double? {
            self.report.cells.first {
                $0.engine.rawValue == engine && $0.workload.rawValue == workload && $0.threads == threads
                    && $0.offeredOpsPerSecond == nil
            }?.opsPerSecond
        }

        /// The run in `ratelimit-bench`'s JSON schema, which `ratelimit-bench compare` reads.
        public func json() throws -> String {
            try ResultFiles.json(self.report)
        }

        /// Writes the JSON, CSV, Markdown and charts under `directory/<machine label>/` and
        /// returns their paths.
        public func write(to directory: String, label: String) throws -> [String] {
            try ResultFiles.write(self.report, to: directory, label: label)
        }
    }

    /// Measures `engines` (and, unless the configuration says otherwise, the package's) on every
    /// workload and thread count of `configuration`.
    ///
    /// - Parameters:
    ///   - engines: Your engines, each under its own name.
    ///   - configuration: What to measure.
    ///   - progress: Called with a line after every repetition.
    /// - Throws: `RateLimitError` (`invalidConfiguration`) naming a configuration value out of
    ///   range, an engine name that is invalid, reserved or used twice, or an engine that cannot
    ///   create a limiter for the harness's policies (with its error); all before anything runs.
    public static func run(
        _ engines: [any BenchmarkableEngine],
        configuration: Configuration = Configuration(),
        progress: (String) -> Void = { _ in }
    ) throws -> Result {
        let plan = try self.plan(engines, configuration)
        let machine = MachineDescription.current()
        let date = ISO8601DateFormatter().string(from: Date())
        let cells = BenchmarkRunner.run(plan, bytesPerKey: [:]) { progress($0.line) }
        let report = BenchmarkReport(
            machine: machine,
            date: date,
            command: "RateLimitBenchmark.run(\(engines.map(\.name).joined(separator: ", ")))",
            cells: cells,
            recommendation: Recommendation.make(
                from: cells, threads: machine.cores, others: engines.map { EngineName(rawValue: $0.name) })
        )
        return Result(report: report)
    }

    /// The plan for `configuration`, after checking every value and every engine.
    static func plan(_ engines: [any BenchmarkableEngine], _ configuration: Configuration) throws -> BenchmarkPlan {
        do throws(ArgumentError) {
            try CustomEngine.validate(engines)
            let workloads = try configuration.workloads.map { name throws(ArgumentError) -> Workload in
                guard let workload = Workload(rawValue: name), workload != .trace else {
                    throw .unknown("workload", name, allowed: Workload.standard.map(\.rawValue))
                }
                return workload
            }
            guard !workloads.isEmpty else { throw .invalid("workloads", "[]", mustBe: "at least one workload") }
            guard !configuration.threads.isEmpty, configuration.threads.allSatisfy({ (1...1024).contains($0) }) else {
                throw .invalid("threads", "\(configuration.threads)", mustBe: "thread counts, each in 1...1024")
            }
            guard (1...10_000_000).contains(configuration.keys) else {
                throw .invalid("keys", "\(configuration.keys)", mustBe: "in 1...10000000")
            }
            guard configuration.duration >= .milliseconds(1), configuration.duration <= .seconds(3600) else {
                throw .invalid("duration", "\(configuration.duration)", mustBe: "in 1 ms...1 h")
            }
            guard (1...100).contains(configuration.repetitions) else {
                throw .invalid("repetitions", "\(configuration.repetitions)", mustBe: "in 1...100")
            }
            let custom = engines.map { BenchmarkEngine.custom(CustomEngine($0)) }
            let all = (configuration.includeBuiltIns ? BenchmarkEngine.localEngines : []) + custom
            guard !all.isEmpty else {
                throw .invalid("engines", "[]", mustBe: "at least one engine, or includeBuiltIns")
            }
            try self.probe(engines, keys: configuration.keys)
            return BenchmarkPlan(
                engines: all, workloads: workloads, threads: configuration.threads, keys: configuration.keys,
                duration: configuration.duration, repetitions: configuration.repetitions, clock: .precise)
        } catch {
            throw RateLimitError(code: .invalidConfiguration, message: error.description)
        }
    }

    /// Makes each engine's limiters once, as the cells will: every key type, policy and bound.
    private static func probe(_ engines: [any BenchmarkableEngine], keys: Int) throws(ArgumentError) {
        let bounds = [
            (Workload.neverDryPolicy(), max(keys, RateLimiterDefaults.maxKeys)),
            (Workload.churnPolicy(), Workload.churnMaxKeys),
        ]
        for engine in engines {
            for (policy, maxKeys) in bounds {
                do {
                    _ = try engine.makeLimiter(policy: policy, maxKeys: maxKeys, clock: MonotonicClock())
                    _ = try engine.makeStringKeyedLimiter(policy: policy, maxKeys: maxKeys, clock: MonotonicClock())
                } catch {
                    throw ArgumentError(
                        "engine '\(engine.name)' cannot create a limiter for \(policy) with maxKeys \(maxKeys): \(error)"
                    )
                }
            }
        }
    }
}
