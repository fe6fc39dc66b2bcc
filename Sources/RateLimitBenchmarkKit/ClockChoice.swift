/// The clock the engines under test read.
package enum ClockChoice: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    /// `CLOCK_MONOTONIC`: precise.
    case precise
    /// `CLOCK_MONOTONIC_COARSE`: cheaper, with the kernel tick's resolution.
    case coarse

    package var description: String { self.rawValue }

    package static func parse(_ text: String) throws(ArgumentError) -> ClockChoice {
        guard let clock = ClockChoice(rawValue: text) else {
            throw .unknown("clock", text, allowed: Self.allCases.map(\.rawValue))
        }
        return clock
    }
}
