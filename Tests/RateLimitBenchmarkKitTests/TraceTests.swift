import Foundation
import RateLimit
import RateLimitTesting
import Testing

@testable import RateLimitBenchmarkKit

/// Recorded traffic: the file format, the synthetic generator, and replaying it.
@Suite("Traces")
struct TraceTests {
    @Test func aTraceIsKeysCostsAndOffsets() throws {
        let trace = try Trace.parse(
            """
            key,cost,offset_ns
            # a comment, then an empty line

            10.0.0.1,1,0
            10.0.0.2 , 5 , 1000\r
            10.0.0.1,0,1000
            """, source: "t.csv")
        #expect(trace.keys == ["10.0.0.1", "10.0.0.2"])
        #expect(trace.requests.map(\.key) == [0, 1, 0])
        #expect(trace.requests.map(\.cost) == [1, 5, 0])
        #expect(trace.requests.map(\.offsetNanoseconds) == [0, 1000, 1000])
        #expect(trace.hasOffsets)
        // One mean gap (500 ns) after the last offset.
        #expect(trace.spanNanoseconds == 1500)
        #expect(trace.recordedRate == 2e6)
        let keysOnly = try Trace.parse("a\nb,2\n", source: "k.csv")
        #expect(!keysOnly.hasOffsets && keysOnly.requests.map(\.cost) == [1, 2])
    }

    @Test(arguments: [
        ("a,1,0,9", "line 1 'a,1,0,9' in t.csv: must be key[,cost[,offset_ns]], at most 3 fields"),
        (",1", "line 1 ',1' in t.csv: the key must be 1 to 256 bytes"),
        ("a,-1", "line 1 'a,-1' in t.csv: the cost must be a whole number in 0...1000000"),
        ("a,1000001", "line 1 'a,1000001' in t.csv: the cost must be a whole number in 0...1000000"),
        ("a,1,x", "line 1 'a,1,x' in t.csv: the offset must be a whole number of nanoseconds, 0 or more"),
        ("a,1,-5", "line 1 'a,1,-5' in t.csv: the offset must be a whole number of nanoseconds, 0 or more"),
        ("a,1,9\nb,1,3", "line 2 'b,1,3' in t.csv: offsets must not decrease (the line before had 9)"),
        ("a,1,9\nb,1", "line 2 'b,1' in t.csv: either every line has an offset or none does"),
        ("a\nb,1,3", "line 2 'b,1,3' in t.csv: either every line has an offset or none does"),
    ])
    func aMalformedLineIsNamed(text: String, message: String) {
        #expect {
            try Trace.parse(text, source: "t.csv")
        } throws: { error in
            "\(error)" == "invalid trace \(message)"
        }
    }

    @Test func emptyUnreadableAndNonUTF8FilesAreRefused() throws {
        #expect {
            try Trace.parse("# nothing\n\n", source: "e.csv")
        } throws: { error in
            "\(error)"
                == "invalid trace 'e.csv': must be a file with at least one request line (key[,cost[,offset_ns]])"
        }
        #expect {
            try Trace.read(path: "/nonexistent/trace.csv")
        } throws: { error in
            "\(error)".hasPrefix("invalid trace '/nonexistent/trace.csv': must be a readable file (")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("latin1-\(UUID()).csv").path
        try Data([0x61, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            try Trace.read(path: path)
        } throws: { error in
            "\(error)" == "invalid trace '\(path)': must be UTF-8 text"
        }
    }

    @Test func theGeneratorWritesTheSameHeavyTailedBurstyTraceForASeed() throws {
        let generator = TraceGenerator(requests: 20_000, keys: 1_000, duration: .seconds(10), seed: 7)
        let text = generator.csv()
        #expect(text == generator.csv())
        #expect(text != TraceGenerator(requests: 20_000, keys: 1_000, duration: .seconds(10), seed: 8).csv())
        let trace = try Trace.parse(text, source: "generated")
        #expect(trace.requests.count == 20_000)
        #expect(trace.requests.last?.offsetNanoseconds == 10_000_000_000)
        // Heavy-tailed: the busiest tenth of the clients that appear sends most of the requests.
        var perKey = [Int](repeating: 0, count: trace.keys.count)
        for request in trace.requests { perKey[Int(request.key)] += 1 }
        let busiest = perKey.sorted(by: >).prefix(max(trace.keys.count / 10, 1)).reduce(0, +)
        #expect(Double(busiest) > 0.5 * 20_000, "\(busiest)")
        // Diurnal: the middle fifth of the span is busier than the first fifth.
        let fifth = Int64(2_000_000_000)
        let first = trace.requests.filter { $0.offsetNanoseconds < fifth }.count
        let middle = trace.requests.filter { $0.offsetNanoseconds >= 2 * fifth && $0.offsetNanoseconds < 3 * fifth }
            .count
        #expect(middle > 2 * first, "\(first) vs \(middle)")
        // Bursts: runs of one client's requests back to back.
        let runs = zip(trace.requests, trace.requests.dropFirst()).filter { $0.key == $1.key }.count
        #expect(runs > 1_000, "\(runs)")
        // Costs: mostly 1, some 5.
        #expect(Set(trace.requests.map(\.cost)) == [1, 5])
    }

    @Test func theDueCountFindsTheBacklogWithoutWalkingIt() {
        var evaluations = 0
        let due = { (operation: Int) -> Double in
            evaluations += 1
            return Double(operation) * 10
        }
        // Decisions 0...1_000_000 are due by 10_000_000 ns: 1_000_001 of them.
        #expect(CellRunner.dueCount(by: 10_000_000, from: 5, due: due) == 1_000_001)
        #expect(evaluations < 100)
        #expect(CellRunner.dueCount(by: 10_000_000, from: 1_000_001, due: due) == 1_000_001)
        #expect(CellRunner.dueCount(by: 5, from: 0, due: due) == 1)
    }

    /// Replaying a trace: every request of a thread's share in order, costs included; at the
    /// recorded offsets, no decision before it is due.
    @Test func aTraceCellReplaysItsRequests() async throws {
        let trace = try Trace.parse(
            (0..<64).map { "k\($0 % 8),\($0 % 3),\($0 * 1_000_000)" }.joined(separator: "\n"), source: "t")
        for timing in TraceReplay.Timing.allCases {
            let cell = CellConfiguration(
                engine: .atomic, workload: .trace, threads: 2,
                settings: CellSettings(
                    keys: trace.keys.count, clock: .precise, duration: .milliseconds(20),
                    trace: TraceReplay(trace: trace, timing: timing)))
            let clock = MonotonicClock()
            let before = clock.monotonicNanoseconds()
            let measurement = await RealThreads.offload { CellRunner.measure(cell) }
            let elapsed = clock.monotonicNanoseconds() - before
            #expect(measurement.operations >= 2)
            // A never-dry policy admits every request, whatever it costs.
            #expect(measurement.allowed == measurement.operations)
            if timing == .recorded {
                // One request per millisecond in all (0.5 per thread): at most elapsed / 2 ms + 1
                // per thread.
                #expect(measurement.operations <= 2 * (Int(elapsed / 2_000_000) + 1), "\(measurement.operations)")
                #expect(measurement.due != nil && Int(measurement.latency.totalCount) == measurement.operations)
            }
        }
        #expect(TraceReplay.share(of: 1, threads: 3, count: 8) == [1, 4, 7])
        #expect(TraceReplay.share(of: 4, threads: 5, count: 3) == [1])
    }
}
