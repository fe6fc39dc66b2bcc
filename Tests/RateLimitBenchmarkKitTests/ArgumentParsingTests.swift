import RateLimitBenchmarkKit
import Testing

@Suite("Argument parsing")
struct ArgumentParsingTests {
    @Test func durations() throws {
        #expect(try ArgumentParsing.duration("2s") == .seconds(2))
        #expect(try ArgumentParsing.duration("250ms") == .milliseconds(250))
        #expect(try ArgumentParsing.duration("1.5s") == .milliseconds(1500))
        #expect(try ArgumentParsing.duration("1m") == .seconds(60))
        #expect(try ArgumentParsing.duration("1500us") == .microseconds(1500))
        for bad in ["", "2", "2x", "-1s", "0s", "2h", "s", "nan s"] {
            #expect(throws: ArgumentError.self, "\(bad)") { try ArgumentParsing.duration(bad) }
        }
        #expect {
            try ArgumentParsing.duration("2x")
        } throws: { error in
            (error as? ArgumentError)?.description
                == "invalid duration '2x': must be a number with a unit (ns, us, ms, s, m, h) between 1ms and 1h, e.g. 2s or 250ms"
        }
    }

    @Test func threadCounts() throws {
        #expect(try ArgumentParsing.threadCounts("1,2,4,8") == [1, 2, 4, 8])
        #expect(try ArgumentParsing.threadCounts(" 16 , 1 ,16") == [16, 1])
        for bad in ["0", "-1", "1,,2", "a", "1025", ""] {
            #expect(throws: ArgumentError.self, "\(bad)") { try ArgumentParsing.threadCounts(bad) }
        }
    }

    @Test func enginesAndWorkloadsNameTheAllowedValues() throws {
        #expect(try BenchmarkEngine.parseList("mutex,floor") == [.mutex, .floor])
        #expect(try Workload.parseList("churn,uniform-ip") == [.churn, .uniformIP])
        #expect {
            try BenchmarkEngine.parseList("mutex,lockless")
        } throws: { error in
            // Redis is the command line's (`EngineSelectionTests`), not the kit's.
            (error as? ArgumentError)?.description
                == "unknown value 'lockless': allowed values are mutex, atomic, sharded, floor, floor-keyed, floor-probed, tutorial"
        }
        #expect {
            try Workload.parseList("hot")
        } throws: { error in
            (error as? ArgumentError)?.description
                == "unknown value 'hot': allowed values are hot-allow, hot-deny, hot-allow-at, hot-allow-handle, uniform-allow, zipf-allow, churn, uniform-ip"
        }
    }

    @Test func integersAndFractions() throws {
        #expect(try ArgumentParsing.integer("100000", name: "keys", in: 1...10_000_000) == 100_000)
        #expect {
            try ArgumentParsing.integer("-5", name: "keys", in: 1...10_000_000)
        } throws: { error in
            (error as? ArgumentError)?.description == "invalid keys '-5': must be an integer in 1...10000000"
        }
        #expect(try ArgumentParsing.fraction("0.25", name: "deny-ratio") == 0.25)
        #expect(throws: ArgumentError.self) { try ArgumentParsing.fraction("1.5", name: "deny-ratio") }
    }
}
