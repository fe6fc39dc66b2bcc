/// Parses the harness's list, count and duration arguments; every rejection names the text and
/// what is allowed.
package enum ArgumentParsing {
    /// A comma-separated list of names, duplicates dropped, each turned into a value by `make`.
    package static func list<Value: Equatable>(
        _ text: String,
        allowed: [String],
        _ make: (String) -> Value?
    ) throws(ArgumentError) -> [Value] {
        var values: [Value] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = String(part).trimmingWhitespace()
            guard let value = make(name) else {
                throw .unknown("value", name, allowed: allowed)
            }
            if !values.contains(value) { values.append(value) }
        }
        guard !values.isEmpty else {
            throw ArgumentError("empty list: allowed values are \(allowed.joined(separator: ", "))")
        }
        return values
    }

    /// A comma-separated list of thread counts, each in `1...1024`.
    package static func threadCounts(_ text: String) throws(ArgumentError) -> [Int] {
        var counts: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = String(part).trimmingWhitespace()
            guard let count = Int(item), (1...1024).contains(count) else {
                throw .invalid("thread count", item, mustBe: "an integer in 1...1024, e.g. 1,2,4,8")
            }
            if !counts.contains(count) { counts.append(count) }
        }
        return counts
    }

    /// A positive integer in `range`, for a flag called `name`.
    package static func integer(_ text: String, name: String, in range: ClosedRange<Int>) throws(ArgumentError) -> Int {
        guard let value = Int(text.trimmingWhitespace()), range.contains(value) else {
            throw .invalid(name, text, mustBe: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// A count in `range`, written as an integer (`1000000`) or in powers of ten (`1e6`, `2.5e9`),
    /// for a flag called `name`.
    package static func count(_ text: String, name: String, in range: ClosedRange<Int>) throws(ArgumentError) -> Int {
        let trimmed = text.trimmingWhitespace()
        var value = Int(trimmed)
        if value == nil, trimmed.contains(where: { $0 == "e" || $0 == "E" }), let number = Double(trimmed),
            number.isFinite, number == number.rounded(),
            number >= Double(range.lowerBound), number <= Double(range.upperBound)
        {
            value = Int(number)
        }
        guard let value, range.contains(value) else {
            let bounds = "\(range.lowerBound)...\(range.upperBound)"
            throw .invalid(name, text, mustBe: "a whole number in \(bounds), such as 1000000 or 1e6")
        }
        return value
    }

    /// A fraction in `0...1`.
    package static func fraction(_ text: String, name: String) throws(ArgumentError) -> Double {
        guard let value = Double(text.trimmingWhitespace()), value >= 0, value <= 1 else {
            throw .invalid(name, text, mustBe: "a number in 0...1, e.g. 0.1")
        }
        return value
    }

    /// A share written as a percentage (`5%`) or a fraction (`0.05`), within `range` (fractions).
    package static func percentage(
        _ text: String, name: String, in range: ClosedRange<Double>
    ) throws(ArgumentError) -> Double {
        let trimmed = text.trimmingWhitespace()
        let value = trimmed.hasSuffix("%") ? Double(trimmed.dropLast()).map { $0 / 100 } : Double(trimmed)
        guard let value, value.isFinite, range.contains(value) else {
            throw .invalid(
                name, text,
                mustBe:
                    "a percentage in \(decimal(range.lowerBound * 100, digits: 1))%...\(decimal(range.upperBound * 100, digits: 1))%, such as 5% or 0.05"
            )
        }
        return value
    }

    /// A duration such as `2s`, `250ms`, `1.5s`, `1m` or `500us`, in `1 ms...1 h`.
    package static func duration(_ text: String) throws(ArgumentError) -> Duration {
        let trimmed = text.trimmingWhitespace()
        let units: [(String, Double)] = [
            ("ms", 1e6), ("us", 1e3), ("µs", 1e3), ("ns", 1), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
        ]
        for (suffix, nanosecondsPerUnit) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count)
            if let value = Double(number), value.isFinite {
                let nanoseconds = value * nanosecondsPerUnit
                if nanoseconds >= 1e6 && nanoseconds <= 3600e9 {
                    return .nanoseconds(Int64(nanoseconds.rounded()))
                }
            }
            break
        }
        let allowed = "a number with a unit (ns, us, ms, s, m, h) between 1ms and 1h, e.g. 2s or 250ms"
        throw .invalid("duration", text, mustBe: allowed)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(self.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
