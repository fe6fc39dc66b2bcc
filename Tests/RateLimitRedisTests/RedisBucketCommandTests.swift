import NIOCore
import RateLimit
import Testing

@testable import RateLimitRedis
@testable import RedisClient

/// The command a decision sends and the reply it reads, without a server.
@Suite("Redis bucket command: wire format")
struct RedisBucketCommandTests {
    let policy: BucketPolicy
    let command: RedisBucketCommand

    init() throws {
        self.policy = try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1))
        self.command = RedisBucketCommand(parameters: try RedisBucketParameters(policy: self.policy), keyPrefix: "rl:")
    }

    @Test("EVALSHA arguments: script, one key, the policy, the cost and the time")
    func arguments() throws {
        let parameters = try RedisBucketParameters(policy: self.policy)
        let policyArguments = parameters.scriptArguments.map(String.init)
        #expect(policyArguments == ["0", "10", "2", "1000000000", "1", "500000000", "5000000000"])
        #expect(
            self.command.arguments(redisKey: "rl:{client}", cost: 3, atMicroseconds: nil)
                == ["EVALSHA", RedisBucketScript.sha1, "1", "rl:{client}"] + policyArguments + ["3", ""]
        )
        #expect(
            self.command.arguments(redisKey: "k", cost: 0, atMicroseconds: 42, invocation: .eval)
                == ["EVAL", RedisBucketScript.source, "1", "k"] + policyArguments + ["0", "42"]
        )
        let count = self.command.arguments(redisKey: "k", cost: 1, atMicroseconds: nil).count
        #expect(count == RedisBucketCommand.argumentCount)
        #expect(self.command.redisKey(keyName: "203.0.113.7") == "rl:{203.0.113.7}")
    }

    @Test("a cost above the capacity is sent as capacity + 1")
    func costClamp() {
        #expect(self.command.sentCost(10) == 10)
        #expect(self.command.sentCost(11) == 11)
        #expect(self.command.sentCost(Int.max) == 11)
        #expect(self.command.arguments(redisKey: "k", cost: Int.max, atMicroseconds: nil).suffix(2) == ["11", ""])
    }

    @Test(
        "the encoded command is the arguments in RESP",
        arguments: [
            ("client", 1, nil), ("", 0, 0), ("ключ 🔑", Int.max, (1 << 53) - 1),
        ] as [(String, Int, Int64?)]
    )
    func encoding(name: String, cost: Int, microseconds: Int64?) {
        var expected = ByteBuffer()
        let redisKey = self.command.redisKey(keyName: name)
        RESPEncoder.writeCommand(
            self.command.arguments(redisKey: redisKey, cost: cost, atMicroseconds: microseconds),
            into: &expected
        )
        #expect(self.command.encode(keyName: name, cost: cost, atMicroseconds: microseconds) == expected)
    }

    @Test("evalshaArguments is the command as text")
    func evalshaArguments() throws {
        #expect(
            try RedisRateLimiter<String>.evalshaArguments(policy: self.policy, redisKey: "rl:{x}", cost: 2)
                == self.command.arguments(redisKey: "rl:{x}", cost: 2, atMicroseconds: nil)
        )
    }

    @Test("a reply becomes a decision, the time and the corrupt flag")
    func decodesReply() throws {
        let allowed = try self.command.reply(from: scriptReply(1, 7, 0, 1_500_000_000, 0, 123, 0))
        #expect(
            allowed
                == RedisBucketCommand.Reply(
                    decision: RateLimitDecision(
                        isAllowed: true,
                        remaining: 7,
                        limit: 10,
                        retryAfterNanoseconds: 0,
                        resetAfterNanoseconds: 1_500_000_000,
                        exceedsCapacity: false
                    ),
                    microseconds: 123,
                    corrupt: false
                )
        )
        let exceeds = try self.command.reply(from: scriptReply(0, 10, -1, 0, 1, 5, 1))
        #expect(!exceeds.decision.isAllowed && exceeds.decision.exceedsCapacity && exceeds.corrupt)
        #expect(exceeds.decision.retryAfterNanoseconds == .max)
    }

    @Test(
        "error replies, wrong shapes and out-of-range numbers are refused",
        arguments: [
            (.error("BUSY Redis is busy"), .server),
            (.integer(1), .protocol),
            (.array([.integer(1)]), .protocol),
            (.array(nil), .protocol),
            (scriptReply(1, 7, 0, 0, 0, 0, 0, bulkAt: 2), .protocol),
            (scriptReply(2, 7, 0, 0, 0, 0, 0), .protocol),
            (scriptReply(1, 11, 0, 0, 0, 0, 0), .protocol),
            (scriptReply(0, 7, -1, 0, 0, 0, 0), .protocol),
            (scriptReply(1, 7, 0, -1, 0, 0, 0), .protocol),
            (scriptReply(1, 7, 0, 0, 0, -5, 0), .protocol),
            (scriptReply(1, 7, 0, 0, 0, 0, 2), .protocol),
        ] as [(RESPValue, RedisClientError.Reason)]
    )
    func refused(reply: RESPValue, reason: RedisClientError.Reason) {
        #expect {
            _ = try self.command.reply(from: reply)
        } throws: { error in
            (error as? RedisClientError)?.reason == reason
        }
    }

    @Test("the script is named by its SHA-1, and SHA-1 matches the standard test vectors")
    func sha1() {
        #expect(RedisBucketScript.sha1 == SHA1.hexDigest(Array(RedisBucketScript.source.utf8)))
        #expect(SHA1.hexDigest(Array("".utf8)) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(SHA1.hexDigest(Array("abc".utf8)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(
            SHA1.hexDigest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        )
        #expect(
            SHA1.hexDigest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        )
    }
}

/// A seven-integer reply, with a bulk string in place of the integer at `bulkAt`.
private func scriptReply(_ numbers: Int64..., bulkAt: Int? = nil) -> RESPValue {
    .array(numbers.enumerated().map { index, number in index == bulkAt ? .bulkString("\(number)") : .integer(number) })
}
