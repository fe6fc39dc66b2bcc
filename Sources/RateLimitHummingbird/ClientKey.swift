/// What a rate limiter counts requests against: a client's IP address or network, a name such
/// as an API key or user id, or the one bucket shared by requests that identify no client.
///
/// An address key holds 16 bytes inline, so keying by IP allocates nothing per request. Keys of
/// different kinds never collide: the name `"192.0.2.7"` and the address `192.0.2.7` are two
/// clients. Names are equal when their UTF-8 bytes are (not under Unicode canonical equivalence),
/// as in Redis.
public struct ClientKey: Hashable, Sendable, CustomStringConvertible {
    private enum Storage: Hashable, Sendable {
        case address(IPAddress)
        case name(String)
        case unidentified

        /// Names compare as UTF-8 bytes, as Redis and every other store compares them — not by
        /// `String`'s canonical equivalence, under which `"caf\u{e9}"` and `"cafe\u{301}"` are one
        /// client in memory but two buckets in Redis. An API key is a byte string.
        static func == (lhs: Storage, rhs: Storage) -> Bool {
            switch (lhs, rhs) {
            case (.address(let left), .address(let right)): left == right
            case (.name(let left), .name(let right)): left.utf8.elementsEqual(right.utf8)
            case (.unidentified, .unidentified): true
            default: false
            }
        }

        func hash(into hasher: inout Hasher) {
            switch self {
            case .address(let address):
                hasher.combine(0 as UInt8)
                hasher.combine(address)
            case .name(let name):
                hasher.combine(1 as UInt8)
                hasher.combine(name.utf8.count)
                var name = name // native on Linux: withUTF8 does not copy
                name.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
            case .unidentified:
                hasher.combine(2 as UInt8)
            }
        }
    }

    private let storage: Storage

    private init(_ storage: Storage) {
        self.storage = storage
    }

    /// A key for an IP address, or for the network an address was masked to.
    public static func address(_ address: IPAddress) -> ClientKey {
        ClientKey(.address(address))
    }

    /// A key for a name: an API key, a user id, a tenant.
    public static func name(_ name: String) -> ClientKey {
        ClientKey(.name(name))
    }

    /// The single key of every request whose client cannot be identified, under
    /// ``UnidentifiedClientPolicy/sharedBucket``.
    public static let unidentified = ClientKey(.unidentified)

    /// The address, for an address key.
    public var address: IPAddress? {
        if case .address(let address) = self.storage { return address }
        return nil
    }

    /// The name, for a name key.
    public var name: String? {
        if case .name(let name) = self.storage { return name }
        return nil
    }

    /// A name that no other key has: `ip:192.0.2.7`, `ip:2001:db8:1:2::` (an IPv6 client's
    /// network), `name:` followed by the whole name, or `unidentified`.
    ///
    /// Use it wherever a key must be stored by name — above all as the bucket name in Redis
    /// (`RedisRateLimiter(…, keyName: \.stableName)`), where two clients that share a name share
    /// a bucket. It is injective: the kinds have distinct prefixes (`unidentified` has no colon,
    /// every other name has one after its kind), addresses print in their one canonical RFC 5952
    /// form, and names are never truncated. It is also a function of the key: keys are equal
    /// exactly when their names' UTF-8 bytes are. Unlike ``description``, it is not meant for logs: a
    /// name can be as long as the extractor allows.
    ///
    /// - Complexity: O(*n*) in the name's length.
    public var stableName: String {
        switch self.storage {
        case .address(let address): "ip:\(address)"
        case .name(let name): "name:" + name
        case .unidentified: "unidentified"
        }
    }

    /// The address or name, or `unidentified`. Suitable for logs; names are truncated to 64
    /// characters so that a long key cannot flood a log line — two long names can therefore
    /// print alike. To name a bucket, use ``stableName``.
    public var description: String {
        switch self.storage {
        case .address(let address): address.description
        case .name(let name): name.count > 64 ? String(name.prefix(64)) + "…" : name
        case .unidentified: "unidentified"
        }
    }
}
