extension RedisConfiguration {
    /// `text` — a Redis URL as given, however malformed, or any value that might hold one — with
    /// whatever could be a password replaced by `***`, for error messages and logs.
    ///
    /// - **With an '@'**, everything before the last '@' is credentials (a password may contain
    ///   '@', '/' or ':'): all masked, except a leading `scheme://` and, when the credentials
    ///   have a ':' after such a scheme, the user name before it. `redis:/:s3cret@host` (one
    ///   slash), `:s3cret@host` (no scheme) and `s3cret@host` all print as `***@host`.
    /// - **Without an '@'** a URL has no credentials, but a password may have lost its `@host`
    ///   (`redis://user:s3cret`): from the first run after a ':' that is not all digits (a
    ///   port), outside IPv6 brackets, everything is masked to the end.
    ///
    /// - Complexity: O(n) in the length of `text`.
    static func redacted(_ text: some StringProtocol) -> String {
        let text = Substring(text)
        let scheme = Self.schemePrefix(of: text)
        let rest = text[scheme.endIndex...]
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            var user: Substring = ""
            if !scheme.isEmpty, let colon = credentials.firstIndex(of: ":") {
                user = credentials[...colon]
            }
            return String(scheme) + String(user) + "***" + String(rest[at...])
        }
        return String(scheme) + Self.maskingNonNumericPorts(rest)
    }

    /// `scheme://` at the start of `text` (a letter, then letters, digits, `+`, `-` or `.`),
    /// or an empty prefix.
    private static func schemePrefix(of text: Substring) -> Substring {
        guard let separator = text.firstRange(of: "://") else { return text.prefix(0) }
        let name = text[..<separator.lowerBound]
        guard let first = name.first, first.isASCII, first.isLetter,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return text.prefix(0) }
        return text[..<separator.upperBound]
    }

    /// `text` with everything from the first run after a ':' that is not all digits (a port),
    /// or the first database after such a port that is not all digits, masked to the end,
    /// outside IPv6 brackets: a password that lost its `@host` may go on past any '/', '?' or
    /// '#' (`redis://user:s3/cret` prints as `redis://user:***`).
    private static func maskingNonNumericPorts(_ text: Substring) -> String {
        var result = ""
        var index = text.startIndex
        var inBrackets = false
        while index < text.endIndex {
            let character = text[index]
            result.append(character)
            index = text.index(after: index)
            if character == "[" { inBrackets = true }
            if character == "]" { inBrackets = false }
            guard character == ":", !inBrackets else { continue }
            let end = text[index...].firstIndex { "/?#:[]".contains($0) } ?? text.endIndex
            let run = text[index..<end]
            guard run.allSatisfy(Self.isDigit) else { return result + "***" }
            result += run
            index = end
            // After a port, a database: digits too (`redis://u:1234/s3cret` lost its "@host").
            if index < text.endIndex, text[index] == "/" {
                let database = text[text.index(after: index)...].prefix { !"?#".contains($0) }
                guard database.allSatisfy(Self.isDigit) else { return result + "/***" }
            }
        }
        return result
    }

    private static func isDigit(_ character: Character) -> Bool {
        character.isASCII && character.isNumber
    }
}
