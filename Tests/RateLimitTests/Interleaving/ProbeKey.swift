@testable import RateLimit

/// A key whose hash bits the scenario chooses, whatever the process's hash seed.
///
/// With keys hashed as they come, the layout of a scenario — which keys share a home slot or a
/// shard — changed with the seed of each test process, and so did the schedules explored: a seed
/// that made two keys collide by chance multiplied one scenario's schedules past the explorer's
/// cap. A key's hash input is therefore searched for so that the bits the engines read (see
/// `HashTag`) are fixed by `home`:
/// - the tag's low 8 bits are `home & 0xFF`: keys with equal low bytes share their home slot in
///   every table of up to 256 slots, keys with different ones do not;
/// - the hash's low 4 bits, the shard for up to 16 shards, are `home >> 8 & 0xF`.
///
/// Keys with equal `home` have equal hashes. Equality is by `id` and `home`.
struct ProbeKey: Hashable, Sendable {
    let id: Int
    let home: Int
    /// The hash input whose hash has the bits `home` asks for.
    private let input: Int

    /// - Complexity: A search over 4,096 hash inputs on average: make each key once per
    ///   exploration, not once per operation.
    init(id: Int, home: Int) {
        self.id = id
        self.home = home
        var input = 0
        while !Self.hasLayout(Self.hash(of: input), of: home) { input += 1 }
        self.input = input
        precondition(Self.hasLayout(self.hashValue, of: home), "a ProbeKey's hash is not its input's hash")
    }

    static func == (left: Self, right: Self) -> Bool {
        left.id == right.id && left.home == right.home
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(self.input)
    }

    private static func hash(of input: Int) -> Int {
        var hasher = Hasher()
        hasher.combine(input)
        return hasher.finalize()
    }

    private static func hasLayout(_ hash: Int, of home: Int) -> Bool {
        Int(HashTag.tag(hash) & 0xFF) == home & 0xFF && hash & 0xF == (home >> 8) & 0xF
    }
}
