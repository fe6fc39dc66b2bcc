import RateLimit

/// A command-line value that cannot be used, with a one-line message naming the value and what is
/// allowed.
package struct ArgumentError: Error, CustomStringConvertible, Sendable {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }

    /// `invalid <name> '<text>': must be <allowed>`: the wording of the package's configuration
    /// errors (``RateLimitError``), with the text quoted as typed.
    package static func invalid(_ name: String, _ text: String, mustBe allowed: String) -> ArgumentError {
        ArgumentError(RateLimitError.invalidConfiguration(name, "'\(text)'", allowed: allowed).message)
    }

    /// `unknown <name> '<text>': allowed values are a, b, c`.
    package static func unknown(_ name: String, _ text: String, allowed: [String]) -> ArgumentError {
        ArgumentError("unknown \(name) '\(text)': allowed values are \(allowed.joined(separator: ", "))")
    }
}
