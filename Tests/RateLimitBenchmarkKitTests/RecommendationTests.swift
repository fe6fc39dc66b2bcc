import Foundation
import Testing

@testable import RateLimitBenchmarkKit

@Suite("Recommendation")
struct RecommendationTests {
    static func cell(_ engine: BenchmarkEngine, _ workload: Workload, threads: Int, ops: Double, bytes: Double? = nil)
        -> CellResult
    {
        CellResult(
            engine: EngineName(engine), workload: workload, threads: threads, keys: 100, clock: .precise,
            opsPerSecond: ops, opsPerSecondMin: ops, opsPerSecondMax: ops,
            p50Nanoseconds: 40, p99Nanoseconds: 90, p999Nanoseconds: 200, maxNanoseconds: 1000,
            allowed: 1, denied: 0, casRetriesPerOp: nil, evictions: nil, bytesPerKey: bytes,
            nanosecondsPerOpPerThread: 1, ratioToFloor: nil, residentBytes: 0, residentDriftSecondHalf: nil,
            repetitions: 1, durationSeconds: 1, allocator: "system"
        )
    }

    @Test func theEngineClosestToTheBestEverywhereWins() throws {
        // mutex is best on one workload but poor on the other; sharded is close to best on both.
        let cells = [
            Self.cell(.mutex, .uniformAllow, threads: 2, ops: 100),
            Self.cell(.mutex, .hotAllow, threads: 2, ops: 20),
            Self.cell(.sharded, .uniformAllow, threads: 2, ops: 90),
            Self.cell(.sharded, .hotAllow, threads: 2, ops: 45),
            Self.cell(.atomic, .uniformAllow, threads: 2, ops: 60),
            Self.cell(.atomic, .hotAllow, threads: 2, ops: 50),
            Self.cell(.floor, .uniformAllow, threads: 2, ops: 1000),
            Self.cell(.floor, .hotAllow, threads: 2, ops: 1000),
            // Another thread count, which must be ignored.
            Self.cell(.mutex, .uniformAllow, threads: 8, ops: 1),
        ]
        let recommendation = try #require(Recommendation.make(from: cells, threads: 2))
        #expect(recommendation.engine == EngineName(.sharded))
        #expect(recommendation.runnerUp == EngineName(.atomic))
        #expect(recommendation.threads == 2)
        // sqrt(0.9 × 0.9) = 0.9
        #expect(abs(recommendation.score - 0.9) < 1e-9)
        #expect(
            recommendation.summary.hasPrefix(
                "At 2 threads, choose sharded: on average 0.90 of the fastest engine across 2 workloads"))
    }

    @Test func nearlyEqualEnginesAreSeparatedByMemory() throws {
        let cells = [
            Self.cell(.atomic, .uniformAllow, threads: 4, ops: 100, bytes: 33),
            Self.cell(.mutex, .uniformAllow, threads: 4, ops: 99, bytes: 28),
        ]
        #expect(try #require(Recommendation.make(from: cells, threads: 4)).engine == EngineName(.mutex))
    }

    @Test func theNearestMeasuredThreadCountIsUsed() throws {
        let cells = [
            Self.cell(.atomic, .uniformAllow, threads: 8, ops: 1), Self.cell(.mutex, .uniformAllow, threads: 1, ops: 2),
        ]
        #expect(try #require(Recommendation.make(from: cells, threads: 16)).threads == 8)
        #expect(Recommendation.make(from: [Self.cell(.floor, .uniformAllow, threads: 1, ops: 5)], threads: 1) == nil)
    }

    @Test func outputsCarryEveryCell() throws {
        let cells = [Self.cell(.mutex, .churn, threads: 1, ops: 5e6), Self.cell(.floor, .churn, threads: 1, ops: 4e7)]
        let csv = CSVRenderer.render(cells).split(separator: "\n")
        #expect(csv.count == 3)
        #expect(
            csv.allSatisfy {
                $0.split(separator: ",", omittingEmptySubsequences: false).count == CSVRenderer.headers.count
            })
        let machine = MachineDescription.current()
        let svg = SVGChart.render(workload: .churn, cells: cells, machine: machine)
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.components(separatedBy: "<polyline").count == 3)
        #expect(svg.contains("stroke-dasharray"))
        let report = BenchmarkReport(
            machine: machine, date: "2026-11-27T00:00:00Z", command: "ratelimit-bench", cells: cells,
            recommendation: nil)
        let json = try ResultFiles.json(report)
        for field in [
            "\"opsPerSecond\"", "\"p999Nanoseconds\"", "\"machine\"", "\"casRetriesPerOp\" : null",
            "\"bytesPerKey\" : null",
        ] {
            #expect(json.contains(field), "\(field)")
        }
        #expect(MarkdownRenderer.render(report, chartFiles: [.churn: "c.svg"]).contains("![churn](c.svg)"))
    }

    @Test func theTableAlignsNamesLeftAndFiguresRight() {
        let cells = [Self.cell(.mutex, .churn, threads: 1, ops: 5e6), Self.cell(.floor, .churn, threads: 16, ops: 4e7)]
        let lines = ResultTable.render(cells).split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("workload engine threads Mops/s"))
        #expect(lines[1].allSatisfy { $0 == "-" || $0 == " " })
        #expect(lines[2].hasPrefix("churn    mutex        1   5.00"))
        #expect(lines[3].hasPrefix("churn    floor       16   40.0"))
        #expect(lines.allSatisfy { $0.count == lines[0].count })
    }
}
