import Logging
import NIOConcurrencyHelpers

/// Collects log messages so that tests can check what was logged, and keeps test output quiet.
final class CapturedLogs: Sendable {
    private struct Entry {
        let level: Logger.Level
        let message: String
        /// The message with every metadata value and any attached error, as one text.
        let full: String
    }

    private let entries = NIOLockedValueBox<[Entry]>([])

    /// A logger that records into this collection, at every level from debug up.
    var logger: Logger {
        var logger = Logger(label: "RateLimitRedisTests") { _ in Handler(logs: self) }
        logger.logLevel = .debug
        return logger
    }

    /// The messages logged at `level`.
    func messages(at level: Logger.Level) -> [String] {
        self.entries.withLockedValue { $0.filter { $0.level == level }.map(\.message) }
    }

    /// Every entry at every level, message, metadata and error together: what a secret must
    /// never appear in.
    var everything: [String] {
        self.entries.withLockedValue { $0.map(\.full) }
    }

    private struct Handler: LogHandler {
        let logs: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let metadata = self.metadata.merging(event.metadata ?? [:]) { $1 }
            let full =
                ([event.message.description] + metadata.map { "\($0.key)=\($0.value)" } + [
                    event.error.map { "\($0)" } ?? ""
                ])
                .joined(separator: " ")
            self.logs.entries.withLockedValue {
                $0.append(Entry(level: event.level, message: event.message.description, full: full))
            }
        }
    }
}

/// A logger that drops everything: the limiter's warnings are expected in fault tests.
let quietLogger = Logger(label: "RateLimitRedisTests") { _ in SwiftLogNoOpLogHandler() }
