/// One result slot per thread: each thread writes only its own slot, and ``RealThreads/run(_:_:)``
/// joins the threads before anyone reads, so no slot is ever read while written.
public final class PerThreadResults<Value: Sendable>: @unchecked Sendable {
    // @unchecked: see above — disjoint writes, reads after join.
    private let slots: UnsafeMutableBufferPointer<Value>

    /// Creates `count` slots, each holding `initial`.
    public init(count: Int, initial: Value) {
        self.slots = .allocate(capacity: count)
        self.slots.initialize(repeating: initial)
    }

    deinit {
        self.slots.deinitialize()
        self.slots.deallocate()
    }

    /// Updates thread `index`'s slot; call only from that thread.
    public func update(_ index: Int, _ body: (inout Value) -> Void) {
        body(&self.slots[index])
    }

    /// Every slot, after the threads have been joined.
    public var all: [Value] {
        Array(self.slots)
    }
}
