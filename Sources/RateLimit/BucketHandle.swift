/// A key prepared for repeated decisions on one engine: its hash, and where its bucket was.
///
/// Made by ``FastPathRateLimiter/handle(for:)``; a decision through it
/// (``FastPathRateLimiter/acquire(_:cost:at:)-(BucketHandle<Self.Key>,_,_)``) skips hashing the key and,
/// while the bucket stays where it was, the probe. It is always answered exactly like a decision
/// on its key: the engine checks that the slot it remembers still holds a bucket of that key
/// (compares the keys, as any lookup does) and otherwise looks the key up as usual. A handle
/// outlives its bucket safely — through eviction, reuse of the memory for another key, growth and
/// rebases — it only gets slower: make a new one when the key is likely to have moved.
///
/// A handle belongs to the engine that made it (it holds a strong reference to it). Using it
/// on another engine traps: the hash is seeded per engine.
public struct BucketHandle<Key: Hashable & Sendable>: Sendable {
    /// The key the handle decides for.
    public let key: Key
    /// The engine that made the handle, which hashed the key with its seed.
    @usableFromInline let owner: any AnyObject & Sendable
    @usableFromInline let hash: Int
    /// The slot of the key's bucket when the handle was made (the home slot if it had none): a
    /// hint, checked before use.
    @usableFromInline let slot: Int

    @inlinable
    init(key: Key, owner: any AnyObject & Sendable, hash: Int, slot: Int) {
        self.key = key
        self.owner = owner
        self.hash = hash
        self.slot = slot
    }

    /// Traps unless `engine` made this handle.
    @inlinable
    func check(owner engine: AnyObject) {
        if self.owner !== engine { foreignHandle(self.owner, engine) }
    }
}

@usableFromInline
@inline(never)
func foreignHandle(_ owner: AnyObject, _ engine: AnyObject) -> Never {
    preconditionFailure(
        "BucketHandle was made by another engine (\(type(of: owner)) at \(ObjectIdentifier(owner))) than the one "
            + "deciding (\(type(of: engine)) at \(ObjectIdentifier(engine))); keys are hashed with a seed per engine: "
            + "make the handle with this engine's handle(for:)")
}
