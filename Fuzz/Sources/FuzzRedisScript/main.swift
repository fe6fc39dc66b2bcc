import LibFuzzerDriver
import NIOCore
import RESPCodec
import RateLimit
import RateLimitTesting

@testable import RateLimitRedis

// The Redis engine's Lua script against the in-memory engines' arithmetic, on a real
// redis-server (Fuzz/run.sh starts one on a Unix socket and sets FUZZ_REDIS_SOCKET).
//
// Each input is a policy, an optional corrupt value planted in the bucket's key, and a sequence
// of (time step, cost) decisions; times are handed to the script through its test-time argument
// and to a `MutexRateLimiter` through a `ScriptedClock`, in whole microseconds, forwards and
// backwards. Every decision must be identical — allowed, remaining, retry-after and reset-after
// to the nanosecond, exceeding the capacity — and the script must report a corrupt value exactly
// on the first decision after one was planted.
//
// Backwards time means different things to the two, by design: for the script it is Redis's own
// clock stepping back, and it decides at the bucket's stored time (no penalty for a clock step);
// for an in-memory engine it is a caller preempted since its clock read, decided at its stale
// reading (stricter by the staleness). So the engine is handed max(reading, the script's anchor):
// both then decide at the same instant, and the arithmetic must agree exactly.
#if canImport(Glibc)
    import Glibc
#endif

/// A blocking RESP connection over a Unix socket: the fuzzer is single-threaded.
struct UnixRedisConnection {
    private let socket: Int32
    private var parser = RESPParser()
    private var buffer = ByteBufferAllocator().buffer(capacity: 4096)

    init(path: String) {
        self.socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        precondition(self.socket >= 0, "socket: errno \(errno)")
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        precondition(pathBytes.count < MemoryLayout.size(ofValue: address.sun_path), "socket path too long: \(path)")
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(self.socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        precondition(connected == 0, "connect \(path): errno \(errno)")
    }

    mutating func command(_ arguments: [String]) -> RESPValue {
        var out = ByteBufferAllocator().buffer(capacity: 256)
        RESPEncoder.writeCommand(arguments, into: &out)
        out.withUnsafeReadableBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let n = send(self.socket, bytes.baseAddress! + sent, bytes.count - sent, 0)
                if n < 0, errno == EINTR { continue } // libFuzzer's timers interrupt system calls
                precondition(n > 0, "send: errno \(errno)")
                sent += n
            }
        }
        while true {
            if let reply = try! self.parser.parse(&self.buffer) { return reply }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = recv(self.socket, &chunk, chunk.count, 0)
            if n < 0, errno == EINTR { continue }
            precondition(n > 0, "recv: errno \(errno)")
            self.buffer.writeBytes(chunk[0..<n])
        }
    }
}

guard let socketPath = getenv("FUZZ_REDIS_SOCKET").map({ String(cString: $0) }) else {
    fatalError("FuzzRedisScript needs FUZZ_REDIS_SOCKET: run it through Fuzz/run.sh")
}
nonisolated(unsafe) var redis = UnixRedisConnection(path: socketPath)
nonisolated(unsafe) var inputs = 0

func integer(_ value: RESPValue) -> Int64 {
    guard case .integer(let number) = value else { preconditionFailure("not an integer: \(value)") }
    return number
}

runLibFuzzer { input in
    let bytes = Array(input)
    guard bytes.count >= 6 else { return }
    let intervalUnits: [Int64] = [1, 1_000, 1_000_000, 1_000_000_000]
    let interval = Duration.nanoseconds(
        Int64(UInt16(bytes[3]) << 8 | UInt16(bytes[4]) | 1) * intervalUnits[Int(bytes[0] >> 1 & 3)])
    guard
        let policy = try? BucketPolicy(
            capacity: 1 + Int(bytes[1]),
            refill: 1 + Int(bytes[2]),
            every: interval,
            mode: bytes[0] & 1 == 1 ? .stepped : .smooth
        ),
        let parameters = try? RedisBucketParameters(policy: policy)
    else { return }
    let command = RedisBucketCommand(parameters: parameters, keyPrefix: "")

    inputs += 1
    let key = "fuzz:\(inputs)"
    let corruption = bytes[5] % 8
    switch corruption {
    case 4: _ = redis.command(["SET", key, "inf"])
    case 5: _ = redis.command(["SET", key, "nan:1"])
    case 6: _ = redis.command(["SET", key, "12:x"])
    case 7: _ = redis.command(["HSET", key, "a", "1"])
    default: break
    }

    let clock = ScriptedClock(nanoseconds: 0)
    let reference = try! MutexRateLimiter<Int>(policy: policy, maxKeys: 4, clock: clock)
    var microseconds: Int64 = 1_000_000_000
    var anchor: Int64 = 0 // the script's stored time: that of its last write
    var index = 6
    var first = true
    while index + 1 < bytes.count {
        // A signed step, scaled by its top bits: within a microsecond to across hours.
        let step = Int64(Int8(bitPattern: bytes[index]))
        let scale: Int64 = [1, 1_000, 1_000_000, 1_000_000_000][Int(bytes[index + 1] >> 6)]
        microseconds = max(0, microseconds + step * scale)
        let cost = Int(bytes[index + 1] & 0x3f) % (policy.capacity + 3)
        index += 2

        clock.set(nanoseconds: max(microseconds, anchor) * 1_000)
        let expected = reference.acquire(0, cost: cost)
        let reply = redis.command(
            command.arguments(redisKey: key, cost: cost, atMicroseconds: microseconds, invocation: .eval)
        )
        guard case .array(let values?) = reply, values.count == 7 else { preconditionFailure("reply: \(reply)") }
        let numbers = values.map(integer)
        let exceeds = numbers[4] == 1
        let actual = RateLimitDecision(
            isAllowed: numbers[0] == 1,
            remaining: Int(numbers[1]),
            limit: policy.capacity,
            retryAfterNanoseconds: exceeds ? .max : numbers[2],
            resetAfterNanoseconds: numbers[3],
            exceedsCapacity: exceeds
        )
        precondition(
            actual == expected, "\(policy), cost \(cost) at \(microseconds) µs: script \(actual), engine \(expected)")
        precondition(
            numbers[6] == (first && corruption >= 4 ? 1 : 0), "corrupt flag \(numbers[6]), planted \(corruption)")
        precondition(
            numbers[5] == max(microseconds, anchor),
            "decided at \(numbers[5]) µs, not at max(\(microseconds), \(anchor))")
        if actual.isAllowed, cost > 0 { anchor = max(microseconds, anchor) }
        first = false
    }
    _ = redis.command(["DEL", key])
}
