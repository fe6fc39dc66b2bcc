import RateLimitBenchmarkKit
import Testing

@testable import ratelimit_bench

@Suite("Engine selection")
struct EngineSelectionTests {
    @Test func redisComesOnTopOfTheKitsEngines() throws {
        #expect(try EngineSelection.parseList("mutex,redis,floor") == [.local(.mutex), .redis, .local(.floor)])
        #expect(EngineSelection.redis.name.rawValue == "redis")
        #expect {
            try EngineSelection.parseList("mutex,lockless")
        } throws: { error in
            (error as? ArgumentError)?.description
                == "unknown value 'lockless': allowed values are mutex, atomic, sharded, floor, floor-keyed, floor-probed, tutorial, redis"
        }
    }
}
