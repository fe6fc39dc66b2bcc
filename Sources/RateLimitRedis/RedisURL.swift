import RateLimit

extension RedisConfiguration {
    /// The URL forms ``init(url:)`` accepts, as shown in its error messages.
    public static let urlForm = "redis://[[username]:password@]host[:port][/database]"

    /// Reads the server, credentials and database from a `redis://` URL, with default settings
    /// for everything else.
    ///
    /// ```
    /// redis://127.0.0.1                      port 6379, database 0, no AUTH
    /// redis://redis.internal:6380/2          database 2
    /// redis://:s3cret@10.0.0.5               AUTH s3cret
    /// redis://limiter:s3cret@[::1]:6379/1    AUTH limiter s3cret (Redis 6 ACL), IPv6
    /// ```
    ///
    /// User name and password may be percent-encoded (`%40` for `@`). TLS (`rediss://`), Unix
    /// sockets and query parameters are not supported.
    ///
    /// - Throws: `RateLimitError.Code.invalidConfiguration` naming what is wrong and the
    ///   accepted form; the password is never echoed, whatever the URL's shape (see
    ///   `redacted(_:)`).
    public init(url: String) throws(RateLimitError) {
        self.init()
        guard let schemeEnd = url.firstRange(of: "://") else {
            throw Self.invalidURL(url, "no scheme")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let rest = url[schemeEnd.upperBound...]
        guard scheme == "redis" else {
            // The "scheme" of a garbled URL may hold anything, the password included.
            let hint =
                scheme == "rediss"
                ? "TLS (rediss://) is not supported" : "unsupported scheme \"\(Self.redacted(scheme))\""
            throw Self.invalidURL(url, hint)
        }
        // Credentials end at the last '@', so an unencoded '@' or '/' in a password still parses.
        var hostPart = rest
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            hostPart = rest[rest.index(after: at)...]
            guard let colon = userInfo.firstIndex(of: ":") else {
                throw Self.invalidURL(
                    url, "credentials without ':' (write redis://:password@host, or redis://username:password@host)")
            }
            let username = try Self.percentDecoded(userInfo[..<colon], what: "username", url: url)
            let password = try Self.percentDecoded(
                userInfo[userInfo.index(after: colon)...], what: "password", url: url)
            guard !password.isEmpty else {
                throw Self.invalidURL(url, "empty password")
            }
            self.username = username.isEmpty ? nil : username
            self.password = password
        }
        if hostPart.contains("?") || hostPart.contains("#") {
            throw Self.invalidURL(url, "query parameters and fragments are not supported")
        }
        var authority = hostPart
        var path: Substring = ""
        if let slash = hostPart.firstIndex(of: "/") {
            authority = hostPart[..<slash]
            path = hostPart[hostPart.index(after: slash)...]
        }
        // Host, with brackets around an IPv6 address, then an optional port.
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw Self.invalidURL(url, "'[' without ']' around an IPv6 address")
            }
            self.host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else {
                    throw Self.invalidURL(url, "unexpected \"\(after)\" after the IPv6 address")
                }
                portText = after.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: ":") {
            self.host = String(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
        } else {
            self.host = String(authority)
        }
        guard !self.host.isEmpty else {
            throw Self.invalidURL(url, "no host")
        }
        if let portText {
            guard let port = Self.decimal(portText), (1...65535).contains(port) else {
                // Digits are shown; anything else may be a password that lost its "@host".
                let shown =
                    portText.allSatisfy { $0.isASCII && $0.isNumber }
                    ? "\"\(portText)\"" : "that is not a decimal number (not shown)"
                throw Self.invalidURL(url, "port \(shown) is not in 1...65535")
            }
            self.port = port
        }
        if !path.isEmpty {
            guard let database = Self.decimal(path), database <= Int(Int32.max) else {
                // Shown only where the redacted URL shows it: after a port, anything but digits
                // may be the end of a password that lost its "@host" (`redis://u:1234/5678x`).
                let shown =
                    RedisConfiguration.redacted(url).hasSuffix("/" + path)
                    ? "\"\(path)\"" : "that is not a decimal number (not shown)"
                throw Self.invalidURL(url, "database \(shown) is not in 0...\(Int32.max)")
            }
            self.database = database
        }
        do {
            try self.validate()
        } catch {
            throw Self.invalidURL(url, error.message)
        }
    }

    private static func invalidURL(_ url: String, _ problem: String) -> RateLimitError {
        // Not `.invalidConfiguration`: the problem comes before the form it should have.
        RateLimitError(
            code: .invalidConfiguration,
            message: "invalid Redis URL \"\(Self.redacted(url))\": \(problem); expected \(Self.urlForm)"
        )
    }

    /// A non-negative decimal of at most 10 digits, or `nil`.
    private static func decimal(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 10, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    private static func percentDecoded(_ text: Substring, what: String, url: String) throws(RateLimitError) -> String {
        var bytes: [UInt8] = []
        var utf8 = text.utf8[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard utf8.count >= 2, let high = utf8.popFirst()!.asciiHexDigitValue,
                let low = utf8.popFirst()!.asciiHexDigitValue
            else {
                throw Self.invalidURL(url, "bad percent-encoding in the \(what) (use %XX with two hex digits)")
            }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
