import Logging
import NIOConcurrencyHelpers

/// Collects log messages so that tests can check what was logged, and keeps test output quiet.
final class CapturedLogs: Sendable {
    private let entries = NIOLockedValueBox<[(Logger.Level, String)]>([])

    /// A logger that records into this collection, at every level from debug up.
    var logger: Logger {
        var logger = Logger(label: "RateLimitRedisTests") { _ in Handler(logs: self) }
        logger.logLevel = .debug
        return logger
    }

    /// The messages logged at `level`.
    func messages(at level: Logger.Level) -> [String] {
        self.entries.withLockedValue { $0.filter { $0.0 == level }.map(\.1) }
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
            self.logs.entries.withLockedValue { $0.append((event.level, event.message.description)) }
        }
    }
}

/// A logger that drops everything: the limiter's warnings are expected in fault tests.
let quietLogger = Logger(label: "RateLimitRedisTests") { _ in SwiftLogNoOpLogHandler() }
