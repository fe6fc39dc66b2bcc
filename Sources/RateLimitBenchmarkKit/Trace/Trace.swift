import Foundation

/// Recorded traffic to replay (`--trace FILE`): one request per line, `key[,cost[,offset_ns]]`,
/// such as client addresses cut from an access log.
///
/// - `key`: 1 to 256 bytes, no comma, no surrounding spaces (the line's text up to the first
///   comma, trimmed);
/// - `cost`: tokens the request takes, a whole number in 0...1,000,000 (default 1);
/// - `offset_ns`: when the request arrived, in nanoseconds from the trace's start: a whole number,
///   never smaller than the line before's. Either every request line has one or none does.
///
/// Empty lines and lines starting with `#` are skipped; so is a first line `key,cost,offset_ns`
/// (or a prefix of it), the header the generator writes.
package final class Trace: Sendable {
    /// The distinct keys, in order of first appearance.
    package let keys: [String]
    /// The requests in order.
    package let requests: [Request]
    /// Whether the requests carry arrival offsets (`--trace-timing recorded` needs them).
    package let hasOffsets: Bool
    /// Where the trace was read from, for messages and result files.
    package let source: String

    /// One request: an index into ``keys``, its cost and its arrival offset (0 without offsets).
    package struct Request: Hashable, Sendable {
        package var key: Int32
        package var cost: Int32
        package var offsetNanoseconds: Int64
    }

    /// The largest cost a line may ask for.
    package static let maximumCost = 1_000_000
    /// The longest key, in UTF-8 bytes.
    package static let maximumKeyBytes = 256
    /// The most request lines a trace may have.
    package static let maximumRequests = 50_000_000

    init(keys: [String], requests: [Request], hasOffsets: Bool, source: String) {
        self.keys = keys
        self.requests = requests
        self.hasOffsets = hasOffsets
        self.source = source
    }

    /// Reads and parses the file at `path`.
    ///
    /// - Throws: ``ArgumentError`` naming the file and, for a malformed line, its number, its text
    ///   (cut to 80 characters) and what is allowed.
    package static func read(path: String) throws(ArgumentError) -> Trace {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .invalid("trace", path, mustBe: "a readable file (\(Self.reason(error)))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalid("trace", path, mustBe: "UTF-8 text")
        }
        return try self.parse(text, source: path)
    }

    /// Parses trace text.
    ///
    /// - Complexity: O(n) in the text's length.
    package static func parse(_ text: String, source: String) throws(ArgumentError) -> Trace {
        var keys: [String] = []
        var index: [String: Int32] = [:]
        var requests: [Request] = []
        var hasOffsets: Bool?
        var lastOffset: Int64 = 0
        var number = 0
        // `\r\n` is one Character in Swift, and a newline: CRLF files split like LF files.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if requests.isEmpty && hasOffsets == nil && "key,cost,offset_ns".hasPrefix(trimmed)
                && trimmed.hasPrefix("key")
            {
                continue
            }
            func bad(_ allowed: String) -> ArgumentError {
                let shown = line.count > 80 ? line.prefix(80) + "…" : line
                return ArgumentError("invalid trace line \(number) '\(shown)' in \(source): \(allowed)")
            }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard fields.count <= 3 else { throw bad("must be key[,cost[,offset_ns]], at most 3 fields") }
            let key = fields[0]
            guard !key.isEmpty, key.utf8.count <= Self.maximumKeyBytes else {
                throw bad("the key must be 1 to \(Self.maximumKeyBytes) bytes")
            }
            var cost = 1
            if fields.count >= 2 {
                guard let value = Int(fields[1]), (0...Self.maximumCost).contains(value) else {
                    throw bad("the cost must be a whole number in 0...\(Self.maximumCost)")
                }
                cost = value
            }
            let offset: Int64? = fields.count == 3 ? Int64(fields[2]) : nil
            if fields.count == 3 {
                guard let offset, offset >= 0 else {
                    throw bad("the offset must be a whole number of nanoseconds, 0 or more")
                }
                guard offset >= lastOffset else {
                    throw bad("offsets must not decrease (the line before had \(lastOffset))")
                }
                lastOffset = offset
            }
            if let expected = hasOffsets, expected != (offset != nil) {
                throw bad("either every line has an offset or none does")
            }
            hasOffsets = offset != nil
            guard requests.count < Self.maximumRequests else {
                throw bad("a trace may have at most \(Self.maximumRequests) requests")
            }
            let id: Int32
            if let known = index[key] {
                id = known
            } else {
                id = Int32(keys.count)
                index[key] = id
                keys.append(key)
            }
            requests.append(Request(key: id, cost: Int32(cost), offsetNanoseconds: offset ?? 0))
        }
        guard !requests.isEmpty else {
            throw .invalid("trace", source, mustBe: "a file with at least one request line (key[,cost[,offset_ns]])")
        }
        return Trace(keys: keys, requests: requests, hasOffsets: hasOffsets ?? false, source: source)
    }

    /// How long one pass of the recorded offsets lasts: the last offset plus one mean gap, so
    /// that a replay that wraps around keeps the trace's rate.
    package var spanNanoseconds: Int64 {
        let last = self.requests.last?.offsetNanoseconds ?? 0
        return last + max(last / Int64(max(self.requests.count - 1, 1)), 1)
    }

    /// Requests per second at the recorded offsets.
    package var recordedRate: Double {
        Double(self.requests.count) * 1e9 / Double(self.spanNanoseconds)
    }

    /// One line for people: requests, keys, costs and span.
    package var summary: String {
        let costs = self.requests.reduce(0) { $0 + Int($1.cost) }
        var text = "\(self.requests.count) requests over \(self.keys.count) keys, \(costs) tokens"
        if self.hasOffsets {
            text += ", \(decimal(Double(self.spanNanoseconds) / 1e9, digits: 2)) s recorded"
        }
        return text
    }

    private static func reason(_ error: any Error) -> String {
        let error = error as NSError
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }
}

extension Trace: Hashable {
    package static func == (lhs: Trace, rhs: Trace) -> Bool { lhs === rhs }
    package func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
