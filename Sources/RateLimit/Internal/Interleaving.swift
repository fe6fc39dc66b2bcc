#if RATELIMIT_INTERLEAVING
    #if canImport(Glibc)
        import Glibc
    #elseif canImport(Musl)
        import Musl
    #elseif canImport(Darwin)
        import Darwin
    #endif
#endif

/// The places where a deterministic interleaving test may pause a thread inside an engine: every
/// point where another thread's step could change what this one sees.
///
/// Tests (`InterleavingExplorer` in `RateLimitTests`) run each caller on its own thread, let exactly
/// one run at a time, and at each point choose which runs next — every choice, in turn. The points
/// exist only in builds with `RATELIMIT_INTERLEAVING` (debug builds of this package); in release
/// builds every hook below is an empty inlined function, so the engines compile to what they were
/// without them (`.ci/run` checks that no hook symbol is left in the release benchmark binary).
@usableFromInline
package enum InterleavingPoint: String, Sendable, Hashable {
    /// A caller has read the clock and not yet looked at any bucket.
    case clockRead
    /// A reader has read the grace-period phase and not yet counted itself in its counter.
    case readerPhaseLoaded
    /// A reader has counted itself in a grace-period counter and not yet checked the phase.
    case readerCounted
    /// A reader has passed an index slot holding another key and not yet loaded the next slot.
    case probeStep
    /// A reader has found the key's entry in the index and not yet read its state.
    case probed
    /// A compare-and-swap on a bucket word (a decision's or a retirement's) is about to run.
    case beforeCompareExchange
    /// A thread is about to take an engine lock.
    case lock
    /// A writer is about to publish a new entry in an index slot.
    case beforePublish
    /// A writer has cleared a retired entry's slot; the rest of its probe run is not shifted yet.
    case unlinked
    /// A writer has copied an entry to an earlier slot and not yet cleared the later one.
    case shiftCopied
    /// A writer is about to publish a grown index.
    case beforeIndexSwap
    /// A writer has shut the lock-free path for a rebase.
    case fastPathShut
    /// A writer has advanced the grace-period phase and not yet waited for readers.
    case phaseAdvanced
    /// A writer waits for the readers of the previous phase to leave.
    case graceWait
}

/// What a table did to a bucket besides deciding, reported to an interleaving test so that its
/// sequential model can follow.
@usableFromInline
package enum InterleavingEvent: Hashable {
    /// A full bucket was dropped to make room or at a rebase.
    case expired(AnyHashable)
    /// A bucket that still owed tokens was evicted.
    case evicted(AnyHashable)
    /// The table moved its epoch to the reading of the decision that found it due.
    case rebased
    /// A read section began (its phase check passed) or ended.
    case readSection(entered: Bool)
    /// A writer started or finished waiting for a grace period.
    case gracePeriod(started: Bool)
}

#if RATELIMIT_INTERLEAVING
    /// Schedules the threads of an interleaving test. Installed per thread with
    /// ``Interleaving/install(_:)``; threads without one run freely.
    package protocol InterleavingController: AnyObject {
        /// The calling thread reached `point`; returns when the controller lets it continue.
        func reach(_ point: InterleavingPoint)
        /// The calling thread cannot continue until `ready()` holds; returns when the controller lets
        /// it try again. `ready` is evaluated by whichever thread is scheduling.
        func block(_ point: InterleavingPoint, until ready: () -> Bool)
        /// Reports what a table did.
        func record(_ event: InterleavingEvent)
    }
#endif

/// The hooks the engines call. Each is an empty `@inline(__always)` function unless the package is
/// built with `RATELIMIT_INTERLEAVING`.
@usableFromInline
package enum Interleaving {
    #if RATELIMIT_INTERLEAVING
        /// A thread-local slot: only the threads of a test see its controller, so tests running in
        /// parallel in the same process are not paused.
        private static let threadKey: pthread_key_t = {
            var key = pthread_key_t()
            let created = pthread_key_create(&key, nil)
            precondition(created == 0, "pthread_key_create failed: \(created)")
            return key
        }()

        private final class Box {
            let controller: any InterleavingController
            init(_ controller: any InterleavingController) { self.controller = controller }
        }

        /// Installs `controller` for the calling thread (`nil` removes it).
        package static func install(_ controller: (any InterleavingController)?) {
            if let old = pthread_getspecific(self.threadKey) {
                Unmanaged<Box>.fromOpaque(old).release()
            }
            let new = controller.map { Unmanaged.passRetained(Box($0)).toOpaque() }
            pthread_setspecific(self.threadKey, new)
        }

        /// The calling thread's controller.
        package static func controller() -> (any InterleavingController)? {
            guard let box = pthread_getspecific(self.threadKey) else { return nil }
            return Unmanaged<Box>.fromOpaque(box).takeUnretainedValue().controller
        }

        /// Whether a test controls the calling thread.
        @usableFromInline
        static func isControlled() -> Bool {
            pthread_getspecific(self.threadKey) != nil
        }

        @usableFromInline
        static func reachControlled(_ point: InterleavingPoint) {
            self.controller()?.reach(point)
        }

        @usableFromInline
        static func recordControlled(_ event: () -> InterleavingEvent) {
            self.controller()?.record(event())
        }

        @usableFromInline
        static func waitControlled(_ point: InterleavingPoint, until ready: () -> Bool) -> Bool {
            guard let controller = self.controller() else { return false }
            controller.block(point, until: ready)
            return true
        }
    #endif

    /// A pause point.
    @inlinable @inline(__always)
    static func reach(_ point: InterleavingPoint) {
        #if RATELIMIT_INTERLEAVING
            Self.reachControlled(point)
        #endif
    }

    /// Reports a table event.
    @inlinable @inline(__always)
    static func record(_ event: @autoclosure () -> InterleavingEvent) {
        #if RATELIMIT_INTERLEAVING
            Self.recordControlled(event)
        #endif
    }

    /// A blocking wait: returns `true` once a controller has let the thread try again, `false`
    /// (at once) when no controller is installed and the caller must wait its own way.
    @inlinable @inline(__always)
    static func wait(_ point: InterleavingPoint, until ready: () -> Bool) -> Bool {
        #if RATELIMIT_INTERLEAVING
            Self.waitControlled(point, until: ready)
        #else
            false
        #endif
    }
}
