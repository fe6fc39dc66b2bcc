/// One value of the Redis serialization protocol, version 2 (RESP2): what a Redis server sends
/// back for each command.
///
/// RESP2 has five types, told apart by their first byte: `+` simple string, `-` error, `:`
/// integer, `$` bulk string and `*` array. Bulk strings and arrays can be null (`$-1`, `*-1`).
package enum RESPValue: Hashable, Sendable {
    /// A short, non-binary status such as `OK` or `PONG`.
    case simpleString(String)
    /// An error reply: the whole line, such as `NOSCRIPT No matching script. Please use EVAL.`
    case error(String)
    /// A signed 64-bit integer.
    case integer(Int64)
    /// Binary-safe bytes; `nil` is the null bulk string (`$-1`), for example a missing key.
    case bulkString([UInt8]?)
    /// Nested values; `nil` is the null array (`*-1`).
    case array([RESPValue]?)

    /// A bulk string holding `text` in UTF-8.
    package static func bulkString(_ text: String) -> RESPValue {
        .bulkString(Array(text.utf8))
    }

    /// The text of a simple or bulk string, decoded as UTF-8; `nil` for any other value.
    package var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes?): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    /// The error prefix (`NOSCRIPT`, `ERR`, `BUSY`, …): the first word of an error reply.
    package var errorCode: Substring? {
        guard case .error(let message) = self else { return nil }
        return message.prefix { $0 != " " }
    }
}

extension RESPValue: CustomStringConvertible {
    /// A compact, single-line rendering for logs and test failures; long bulk strings are cut.
    package var description: String {
        switch self {
        case .simpleString(let text): "+\(text)"
        case .error(let message): "-\(message)"
        case .integer(let value): ":\(value)"
        case .bulkString(nil): "(nil)"
        case .bulkString(let bytes?):
            bytes.count <= 64
                ? "\"\(String(decoding: bytes, as: UTF8.self))\""
                : "\"\(String(decoding: bytes.prefix(64), as: UTF8.self))…\" (\(bytes.count) bytes)"
        case .array(nil): "(nil array)"
        case .array(let values?): "[" + values.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
