import Synchronization

/// A Boolean shared between tasks.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)

    func set() {
        self.value.store(true, ordering: .sequentiallyConsistent)
    }

    var isSet: Bool {
        self.value.load(ordering: .sequentiallyConsistent)
    }
}

/// A count shared between tasks.
final class SharedCount: Sendable {
    private let value = Atomic<Int>(0)

    func increment() {
        self.value.add(1, ordering: .relaxed)
    }

    var current: Int {
        self.value.load(ordering: .relaxed)
    }
}
