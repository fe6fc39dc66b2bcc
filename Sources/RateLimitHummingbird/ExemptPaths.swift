import Hummingbird

/// The paths a ``RateLimitMiddleware`` never limits, looked up on every request.
///
/// A few paths (the usual `/health`, `/metrics`) are compared byte for byte after a length check,
/// which rejects almost every request path at once; hashing the path for a `Set` costs more than
/// that at this size. Larger lists use a `Set`.
struct ExemptPaths: Sendable {
    /// Up to this many paths are scanned rather than hashed.
    static let scanLimit = 8

    private let scanned: [Substring]
    private let hashed: Set<Substring>

    /// - Precondition: every path is valid (checked by the middleware's initializer).
    init(_ paths: Set<String>) {
        let paths = paths.map { $0[...] }
        if paths.count <= Self.scanLimit {
            self.scanned = paths
            self.hashed = []
        } else {
            self.scanned = []
            self.hashed = Set(paths)
        }
    }

    var isEmpty: Bool { self.scanned.isEmpty && self.hashed.isEmpty }

    /// Whether `request` is exempt: its path (less the query and one trailing slash) or the path
    /// of the route it matched is listed.
    ///
    /// - Complexity: O(*m*) in the length *m* of the request's path.
    func contains(_ request: Request, context: some RequestContext) -> Bool {
        guard !self.isEmpty else { return false }
        // The raw request target, less the query and one trailing slash: sliced on UTF-8
        // indices, without a copy or grapheme breaking.
        var path = request.head.path?[...] ?? "/"
        if let query = path.utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) {
            path = path[..<query]
        }
        if path.utf8.count > 1, path.utf8.last == UInt8(ascii: "/") {
            path = path[..<path.utf8.index(before: path.endIndex)]
        }
        if self.lists(path) { return true }
        return context.endpointPath.map { self.lists($0[...]) } ?? false
    }

    private func lists(_ path: Substring) -> Bool {
        guard self.hashed.isEmpty else { return self.hashed.contains(path) }
        let length = path.utf8.count
        for exempt in self.scanned where exempt.utf8.count == length && exempt == path {
            return true
        }
        return false
    }
}
