import NIOCore
import RateLimit
import RedisClient

/// One decision as Redis receives and answers it: the command that runs ``RedisBucketScript``
/// on a bucket, and the script's reply read back into a ``RateLimitDecision``.
///
/// A value, testable without a server. What every decision shares — the command's head and
/// the policy's arguments — is encoded once, here; a decision then writes only its key, cost
/// and time (``encode(keyName:cost:atMicroseconds:)``, the hot path).
/// ``arguments(redisKey:cost:atMicroseconds:invocation:)`` spells the same command as text, for
/// tools and tests.
///
/// `EVALSHA <sha1> 1 <prefix>{<name>} <ARGV 1…7: the policy> <cost> <time µs, or "" for TIME>`
struct RedisBucketCommand: Sendable {
    /// How the command names the script.
    enum Invocation: Sendable {
        /// `EVALSHA` with the script's SHA-1: what every decision sends.
        case evalsha
        /// `EVAL` with the script's source: needs no `SCRIPT LOAD` first.
        case eval
    }

    /// A decision read back from the script's reply.
    struct Reply: Hashable, Sendable {
        var decision: RateLimitDecision
        /// The Redis time the decision was made at, in microseconds: the bucket's anchor when
        /// `TIME` was behind it.
        var microseconds: Int64
        /// Whether the bucket held a value the script did not write (now replaced by a full one).
        var corrupt: Bool
    }

    /// The command's name, the script's SHA-1, the key count, the key, ARGV 1 to 9.
    static let argumentCount = 13

    /// `SCRIPT LOAD <source>`: sent ahead of a retried command after `NOSCRIPT`.
    static let scriptLoad: ByteBuffer = {
        var buffer = ByteBuffer()
        RESPEncoder.writeCommand(["SCRIPT", "LOAD", RedisBucketScript.source], into: &buffer)
        return buffer
    }()

    /// The policy as the script's integers.
    let parameters: RedisBucketParameters
    /// What every bucket's key starts with.
    let keyPrefix: String
    /// `*13`, `EVALSHA`, the SHA-1 and `1` (one key): the start of every command.
    private let head: ByteBuffer
    /// ARGV 1 to 7, the policy: the same for every command.
    private let policyArguments: ByteBuffer
    private let keyPrefixBytes: [UInt8]

    init(parameters: RedisBucketParameters, keyPrefix: String) {
        self.parameters = parameters
        self.keyPrefix = keyPrefix
        self.keyPrefixBytes = Array(keyPrefix.utf8)
        var head = ByteBuffer()
        RESPEncoder.writeArrayHeader(count: Self.argumentCount, into: &head)
        RESPEncoder.writeBulkString("EVALSHA", into: &head)
        RESPEncoder.writeBulkString(RedisBucketScript.sha1, into: &head)
        RESPEncoder.writeBulkString("1", into: &head)
        self.head = head
        var arguments = ByteBuffer()
        for argument in parameters.scriptArguments {
            RESPEncoder.writeBulkString(decimal: argument, into: &arguments)
        }
        self.policyArguments = arguments
    }

    /// The Redis key of the bucket named `keyName`: the prefix, then the name as a cluster hash
    /// tag.
    func redisKey(keyName: String) -> String {
        self.keyPrefix + "{" + keyName + "}"
    }

    /// The cost as sent (ARGV 8): any cost above the capacity gets the same answer, and
    /// capacity + 1 stays exact in Lua.
    func sentCost(_ cost: Int) -> Int {
        min(cost, Int(self.parameters.capacity) + 1)
    }

    /// The command as text, for `redis-cli`, `redis-benchmark` or an `EVAL` without a loaded
    /// script; `atMicroseconds` `nil` sends an empty last argument (the script reads `TIME`).
    func arguments(redisKey: String, cost: Int, atMicroseconds microseconds: Int64?, invocation: Invocation = .evalsha)
        -> [String]
    {
        let script =
            switch invocation {
            case .evalsha: ["EVALSHA", RedisBucketScript.sha1]
            case .eval: ["EVAL", RedisBucketScript.source]
            }
        return script + ["1", redisKey] + self.parameters.scriptArguments.map(String.init)
            + [String(self.sentCost(cost)), microseconds.map(String.init) ?? ""]
    }

    /// The `EVALSHA` command for the bucket named `keyName`, RESP-encoded: the same bytes as
    /// ``arguments(redisKey:cost:atMicroseconds:invocation:)`` with ``redisKey(keyName:)``
    /// would give, without building the key as a `String`.
    func encode(keyName: String, cost: Int, atMicroseconds microseconds: Int64?) -> ByteBuffer {
        let keyLength = self.keyPrefixBytes.count + keyName.utf8.count + 2
        var buffer = ByteBuffer()
        buffer.reserveCapacity(self.head.readableBytes + self.policyArguments.readableBytes + keyLength + 64)
        buffer.writeImmutableBuffer(self.head)
        buffer.writeInteger(UInt8(ascii: "$"))
        RESPEncoder.writeDecimal(keyLength, into: &buffer)
        buffer.writeStaticString("\r\n")
        buffer.writeBytes(self.keyPrefixBytes)
        buffer.writeInteger(UInt8(ascii: "{"))
        buffer.writeString(keyName)
        buffer.writeInteger(UInt8(ascii: "}"))
        buffer.writeStaticString("\r\n")
        buffer.writeImmutableBuffer(self.policyArguments)
        RESPEncoder.writeBulkString(decimal: self.sentCost(cost), into: &buffer)
        if let microseconds {
            RESPEncoder.writeBulkString(decimal: Int(microseconds), into: &buffer)
        } else {
            buffer.writeStaticString("$0\r\n\r\n")
        }
        return buffer
    }

    /// Reads the script's reply: `[allowed, remaining, retry ns (-1: never), reset ns, exceeds,
    /// µs, corrupt]`, each checked against its range.
    ///
    /// - Throws: ``RedisClientError`` `.server` for an error reply, `.protocol` for a reply of
    ///   another shape or out of range.
    func reply(from reply: RESPValue) throws(RedisClientError) -> Reply {
        if case .error(let message) = reply {
            throw RedisClientError(.server, message)
        }
        guard case .array(let values?) = reply, values.count == 7 else {
            throw RedisClientError(.protocol, "unexpected reply to EVALSHA: \(reply)")
        }
        func number(_ index: Int) throws(RedisClientError) -> Int64 {
            guard case .integer(let number) = values[index] else {
                throw RedisClientError(.protocol, "unexpected reply to EVALSHA: \(reply)")
            }
            return number
        }
        // A tuple, not an array: no allocation per decision.
        let numbers = (
            try number(0), try number(1), try number(2), try number(3), try number(4), try number(5), try number(6)
        )
        let capacity = self.parameters.capacity
        let exceeds = numbers.4 == 1
        guard (0...1).contains(numbers.0), (0...capacity).contains(numbers.1), numbers.2 >= (exceeds ? -1 : 0),
            numbers.3 >= 0, (0...1).contains(numbers.4), numbers.5 >= 0, (0...1).contains(numbers.6)
        else {
            throw RedisClientError(.protocol, "EVALSHA reply out of range: \(reply)")
        }
        let decision = RateLimitDecision(
            isAllowed: numbers.0 == 1,
            remaining: Int(numbers.1),
            limit: Int(capacity),
            retryAfterNanoseconds: exceeds ? .max : numbers.2,
            resetAfterNanoseconds: numbers.3,
            exceedsCapacity: exceeds
        )
        return Reply(decision: decision, microseconds: numbers.5, corrupt: numbers.6 == 1)
    }
}
