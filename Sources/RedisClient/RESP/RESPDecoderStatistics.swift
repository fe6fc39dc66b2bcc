import Synchronization

/// What RESP decoders did, counted so that tests can bound the work and the memory of decoding
/// instead of timing it. Shared by every connection it is given to.
///
/// Counters are updated once per parse call, not per byte. Relaxed ordering suffices: each
/// counter is a monotonic sum or maximum that no other memory depends on, and a test reads it
/// after awaiting the replies it counts, which already orders the reads after the updates.
package final class RESPDecoderStatistics: Sendable {
    private let examined = Atomic<Int>(0)
    private let calls = Atomic<Int>(0)
    private let peakBuffered = Atomic<Int>(0)

    package init() {}

    /// Bytes the parsers read: every byte scanned for a line's end, decoded into a value or
    /// copied out of a bulk string, counted each time it is read.
    package var bytesExamined: Int { self.examined.load(ordering: .relaxed) }

    /// How many times a parser was asked for a value.
    package var parseCalls: Int { self.calls.load(ordering: .relaxed) }

    /// The most bytes a decoder held unparsed while waiting for more.
    package var peakBufferedBytes: Int { self.peakBuffered.load(ordering: .relaxed) }

    func recordParse(examined: Int) {
        self.calls.add(1, ordering: .relaxed)
        self.examined.add(examined, ordering: .relaxed)
    }

    func recordBuffered(_ bytes: Int) {
        _ = self.peakBuffered.max(bytes, ordering: .relaxed)
    }
}
