import CRateLimitShims
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One thread's read-section word, on a 128-byte block of its own (two cache lines: the adjacent
/// line prefetcher pairs them), so that entering and leaving a read section are plain stores to a
/// line no other thread writes.
///
/// Records form one process-wide registry, a list that only grows at its head: a thread takes a
/// free record (or adds one) at its first read section and frees it when it exits, so the list is
/// as long as the most threads that ever ran read sections at once. Writers of every
/// ``GracePeriodTracker`` walk the whole list; each record says which tracker it is reading.
///
/// Layout: `word` (`Atomic<UInt64>`) at 0, `inUse` (`Atomic<Int>`) at 8, `next` at 16, written
/// before the record is published and never again.
@usableFromInline
package struct ReaderRecord {
    @usableFromInline let base: UnsafeMutableRawPointer

    @inlinable
    init(_ base: UnsafeMutableRawPointer) {
        self.base = base
    }

    /// 0 outside read sections; inside one, the reading tracker's tag and phase.
    @inlinable
    package var word: UnsafeMutablePointer<Atomic<UInt64>> {
        self.base.assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    /// 1 while a thread owns the record, 0 once it is free for the next thread.
    var inUse: UnsafeMutablePointer<Atomic<Int>> {
        (self.base + 8).assumingMemoryBound(to: Atomic<Int>.self)
    }

    /// The record registered before this one.
    var next: ReaderRecord? {
        (self.base + 16).load(as: UnsafeMutableRawPointer?.self).map(ReaderRecord.init)
    }

    /// The calling thread's record: one thread-local load once the thread is registered.
    @inlinable
    static var current: ReaderRecord {
        if let base = crl_reader_record() {
            return ReaderRecord(base)
        }
        return self.registerCurrentThread()
    }

    /// The most recently registered record, from which writers walk every record.
    static var first: ReaderRecord? {
        // Sequentially consistent: a writer loads it after advancing its phase, and a thread
        // registers (a sequentially consistent exchange) before checking the phase. So a record
        // this load misses belongs to a reader that will see the new phase (GracePeriodTracker).
        readerRegistryHead.load(ordering: .sequentiallyConsistent).map(ReaderRecord.init)
    }

    /// Gives the calling thread a record: a free one from the list, or a new one pushed on it.
    @usableFromInline
    static func registerCurrentThread() -> ReaderRecord {
        var record: ReaderRecord?
        var candidate = self.first
        while let free = candidate {
            // A load first: a compare-and-swap would take the line of a record in use away from
            // its owner. Acquiring: the previous owner's last store happens before ours.
            if free.inUse.pointee.load(ordering: .relaxed) == 0
                && free.inUse.pointee.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged
            {
                record = free
                break
            }
            candidate = free.next
        }
        if record == nil {
            let base = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 128)
            base.bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(0))
            (base + 8).bindMemory(to: Atomic<Int>.self, capacity: 1).initialize(to: Atomic(1))
            var head = readerRegistryHead.load(ordering: .relaxed)
            while true {
                (base + 16).storeBytes(of: head, as: UnsafeMutableRawPointer?.self)
                // Sequentially consistent: publishes the record (releasing) and orders the
                // registration before this thread's first phase check (see `first`).
                let (pushed, current) = readerRegistryHead.compareExchange(
                    expected: head, desired: base, ordering: .sequentiallyConsistent)
                if pushed { break }
                head = current
            }
            record = ReaderRecord(base)
        }
        let registered = record!
        crl_set_reader_record(registered.base)
        // The key's destructor frees the record when the thread exits.
        pthread_setspecific(readerRecordKey, registered.base)
        return registered
    }
}

/// The registry's head: the most recently added record, or `nil`. `nonisolated(unsafe)` only
/// because raw pointers are not `Sendable`: every access is atomic.
nonisolated(unsafe) private let readerRegistryHead = Atomic<UnsafeMutableRawPointer?>(nil)

/// Frees a thread's record when the thread exits. A thread that exits inside a read section (from
/// a key's `==`) holds no pointer any more: its word is cleared so that no writer waits for it.
private let readerRecordKey: pthread_key_t = {
    var key = pthread_key_t()
    let created = pthread_key_create(&key) { base in
        guard let base else { return }
        crl_set_reader_record(nil)
        let record = ReaderRecord(base)
        record.word.pointee.store(0, ordering: .releasing)
        // Releasing: this thread's last word store happens before the next owner's first.
        record.inUse.pointee.store(0, ordering: .releasing)
    }
    precondition(created == 0, "pthread_key_create failed: \(created)")
    return key
}()
