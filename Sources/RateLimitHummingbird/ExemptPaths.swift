import Hummingbird

/// The paths a ``RateLimitMiddleware`` never limits, looked up on every request.
///
/// Paths are compared byte for byte (UTF-8), whatever the list's size: a request target is
/// ASCII, and Unicode canonical equivalence (`String`'s `==`) would make a path exempt or not
/// depending on how many others are listed. A few paths (the usual `/health`, `/metrics`) are
/// compared after a length check, which rejects almost every request path at once; hashing the
/// path costs more than that at this size. Larger lists are bucketed by a hash of the bytes.
struct ExemptPaths: Sendable {
    /// Up to this many paths are scanned rather than hashed.
    static let scanLimit = 8

    private let scanned: [Substring]
    /// Paths by ``byteHash(_:)``; several only when hashes collide.
    private let hashed: [Int: [Substring]]

    /// - Precondition: every path is valid (checked by the middleware's initializer).
    init(_ paths: Set<String>) {
        let paths = paths.map { $0[...] }
        if paths.count <= Self.scanLimit {
            self.scanned = paths
            self.hashed = [:]
        } else {
            self.scanned = []
            self.hashed = Dictionary(grouping: paths, by: Self.byteHash)
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
        let candidates = self.hashed.isEmpty ? self.scanned[...] : self.hashed[Self.byteHash(path)]?[...] ?? []
        let length = path.utf8.count
        return candidates.contains { $0.utf8.count == length && $0.utf8.elementsEqual(path.utf8) }
    }

    /// A hash of `path`'s UTF-8 bytes (not of its characters, which `Hasher` would normalise).
    private static func byteHash(_ path: Substring) -> Int {
        var hasher = Hasher()
        for byte in path.utf8 { hasher.combine(byte) }
        return hasher.finalize()
    }
}
