import NIOCore

extension RedisConnectionPool {
    /// What the pool connects to and how.
    package struct Options: Sendable {
        package var host: String
        package var port: Int
        package var handshake: RedisConnection.Handshake
        package var size: Int
        package var connectTimeout: TimeAmount
        package var minimumReconnectDelay: TimeAmount
        package var maximumReconnectDelay: TimeAmount
        /// The fresh parser every connection's replies start from: the caps, and where work is
        /// counted.
        package var parser: RESPParser
        /// Timeouts in a row after which a connection is replaced.
        package var maximumConsecutiveTimeouts: Int
        /// What the pool's counter labels start with: `<prefix>_connections_opened_total`,
        /// `<prefix>_connection_failures_total`, `<prefix>_connections_recycled_total`.
        package var metricsLabelPrefix: String

        package init(
            host: String,
            port: Int,
            handshake: RedisConnection.Handshake,
            size: Int,
            connectTimeout: TimeAmount,
            minimumReconnectDelay: TimeAmount,
            maximumReconnectDelay: TimeAmount,
            parser: RESPParser = RESPParser(),
            maximumConsecutiveTimeouts: Int = 3,
            metricsLabelPrefix: String = "redis"
        ) {
            self.host = host
            self.port = port
            self.handshake = handshake
            self.size = size
            self.connectTimeout = connectTimeout
            self.minimumReconnectDelay = minimumReconnectDelay
            self.maximumReconnectDelay = maximumReconnectDelay
            self.parser = parser
            self.maximumConsecutiveTimeouts = maximumConsecutiveTimeouts
            self.metricsLabelPrefix = metricsLabelPrefix
        }

        var endpoint: String {
            RedisConnection.endpoint(host: self.host, port: self.port)
        }
    }
}
