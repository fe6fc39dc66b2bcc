import RateLimit

extension RedisRateLimiter {
    /// Reads the script's reply: `[allowed, remaining, retry ns (-1: never), reset ns, exceeds,
    /// µs, corrupt]`, each checked against its range.
    func decision(from reply: RESPValue) throws(RedisClientError) -> (decision: RateLimitDecision, microseconds: Int64, corrupt: Bool) {
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
        let numbers = (try number(0), try number(1), try number(2), try number(3), try number(4), try number(5), try number(6))
        let capacity = Int64(self.policy.capacity)
        let exceeds = numbers.4 == 1
        guard (0...1).contains(numbers.0), (0...capacity).contains(numbers.1), numbers.2 >= (exceeds ? -1 : 0), numbers.3 >= 0,
            (0...1).contains(numbers.4), numbers.5 >= 0, (0...1).contains(numbers.6)
        else {
            throw RedisClientError(.protocol, "EVALSHA reply out of range: \(reply)")
        }
        let decision = RateLimitDecision(
            isAllowed: numbers.0 == 1,
            remaining: Int(numbers.1),
            limit: self.policy.capacity,
            retryAfterNanoseconds: exceeds ? .max : numbers.2,
            resetAfterNanoseconds: numbers.3,
            exceedsCapacity: exceeds
        )
        return (decision, numbers.5, numbers.6 == 1)
    }
}
