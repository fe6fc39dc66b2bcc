import Logging
import RateLimit
import RateLimitHummingbird
import Testing

@testable import RateLimitDemo

@Suite("ratelimit-demo flags")
struct DemoConfigurationTests {
    func usage(_ arguments: [String]) -> String? {
        do {
            _ = try DemoConfiguration.parse(arguments)
            return nil
        } catch {
            guard case .usage(let message) = error else { return nil }
            return message
        }
    }

    @Test("Defaults are the tutorial's")
    func defaults() throws {
        let configuration = try DemoConfiguration.parse([])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.engine == .inMemory(.atomic))
        #expect(configuration.policy == (try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1))))
        #expect(configuration.headerStyle == .both)
        #expect(configuration.trustedProxies == .none)
        #expect(configuration.logLevel == .info)
        #expect(configuration.decisionTiming == .automatic)
        #expect(configuration.enforcement == .enforce)
        #expect(try DemoConfiguration.parse(["--shadow"]).enforcement == .shadow)
    }

    @Test("Every flag is read")
    func allFlags() throws {
        let configuration = try DemoConfiguration.parse([
            "--host", "0.0.0.0", "--port", "9000", "--engine", "sharded", "--capacity", "100", "--refill", "5",
            "--interval", "250ms", "--headers", "ietf", "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "::1",
            "--forwarding-header", "forwarded", "--log-level", "debug", "--decision-timing", "16",
        ])
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 9000)
        #expect(configuration.engine == .inMemory(.sharded))
        #expect(configuration.policy == (try BucketPolicy(capacity: 100, refill: 5, every: .milliseconds(250))))
        #expect(configuration.headerStyle == .ietf)
        #expect(configuration.trustedProxies == (try TrustedProxies(["10.0.0.0/8", "::1"], header: .forwarded)))
        #expect(configuration.logLevel == .debug)
        #expect(configuration.decisionTiming == (try DecisionTiming.oneIn(16)))
        #expect(try DemoConfiguration.parse(["--decision-timing", "all"]).decisionTiming == .all)
        #expect(try DemoConfiguration.parse(["--decision-timing", "off"]).decisionTiming == .off)
    }

    @Test("--engine none has no policy", arguments: ["mutex", "atomic", "sharded", "none"])
    func engines(engine: String) throws {
        let configuration = try DemoConfiguration.parse(["--engine", engine])
        #expect(configuration.engine.rawValue == engine)
        #expect((configuration.policy == nil) == (engine == "none"))
    }

    @Test(
        "Durations take a unit",
        arguments: [
            ("1ns", Duration.nanoseconds(1)), ("5us", .microseconds(5)), ("5µs", .microseconds(5)),
            ("20ms", .milliseconds(20)), ("2s", .seconds(2)), ("3m", .seconds(180)), ("1h", .seconds(3600)),
        ])
    func durations(text: String, duration: Duration) throws {
        #expect(try DemoCommand.duration(text, flag: "--interval") == duration)
    }

    @Test(
        "Bad flags fail with one line naming the flag, the value and what is accepted",
        arguments: [
            (["--capacity", "0"], #"invalid --capacity "0": must be a whole number in 1...9223372036854775807"#),
            (["--capacity", "ten"], #"invalid --capacity "ten": must be a whole number in 1...9223372036854775807"#),
            (["--refill", "4294967297"], #"invalid --refill "4294967297": must be a whole number in 1...4294967296"#),
            (["--port", "65536"], #"invalid --port "65536": must be a whole number in 0...65535"#),
            (
                ["--interval", "1"],
                #"invalid --interval "1": must be a whole number with a unit (ns, us, ms, s, m, h), such as 500ms or 1s"#
            ),
            (
                ["--interval", "1.5s"],
                #"invalid --interval "1.5s": must be a whole number with a unit (ns, us, ms, s, m, h), such as 500ms or 1s"#
            ),
            (
                ["--interval", "9999999999h"],
                #"invalid --interval "9999999999h": must be at most 9223372036854775807 ns"#
            ),
            (["--headers", "all"], #"invalid --headers "all": must be one of legacy, ietf, both, none"#),
            (
                ["--forwarding-header", "x-real-ip"],
                #"invalid --forwarding-header "x-real-ip": must be x-forwarded-for or forwarded"#
            ),
            (
                ["--log-level", "loud"],
                #"invalid --log-level "loud": must be one of trace, debug, info, notice, warning, error, critical"#
            ),
            (["--host", ""], #"invalid --host "": must be an IP address or host name, such as 127.0.0.1"#),
            (
                ["--decision-timing", "3"],
                #"invalid --decision-timing "3": must be automatic, all, off, or a power of two in 1...65536"#
            ),
            (
                ["--decision-timing", "sometimes"],
                #"invalid --decision-timing "sometimes": must be automatic, all, off, or a power of two in 1...65536"#
            ),
            (
                ["--engine", "redis"],
                "The value 'redis' is invalid for '--engine <engine>'. Please provide one of 'mutex', 'atomic', 'sharded' or 'none'."
            ),
            (["--verbose"], "Unknown option '--verbose'"),
            (["--port"], "Missing value for '--port <port>'"),
        ]
    )
    func badFlags(arguments: [String], message: String) {
        #expect(usage(arguments) == message)
    }

    @Test("An invalid trusted proxy names the value and the accepted forms")
    func badTrustedProxy() throws {
        let message = try #require(usage(["--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "192.168.1.1/16"]))
        #expect(
            message.hasPrefix(
                #"--trusted-proxy: invalid IP network "192.168.1.1/16": host bits are set beyond /16; did you mean 192.168.0.0/16?"#
            ))
        #expect(!message.contains("\n"))
    }

    @Test("A policy the engine cannot represent is rejected with its reason")
    func badPolicyCombination() throws {
        let message = try #require(usage(["--capacity", "9223372036854775807", "--refill", "1", "--interval", "1h"]))
        #expect(message.hasPrefix("invalid capacity 9223372036854775807"))
        #expect(message.hasSuffix("(set by --capacity, --refill and --interval)"))
    }

    @Test("--redis keeps the buckets in Redis, with a failure policy")
    func redis() throws {
        let configuration = try DemoConfiguration.parse([
            "--redis", "redis://127.0.0.1:6390/2", "--redis-failure", "closed",
        ])
        #expect(configuration.redisURL == "redis://127.0.0.1:6390/2")
        #expect(configuration.redisFailure == "closed")
        #expect(try DemoConfiguration.parse([]).redisURL == nil)
        #expect(try DemoConfiguration.parse([]).redisFailure == "fallback")
        #expect(
            self.usage(["--redis-failure", "maybe"])
                == "invalid --redis-failure \"maybe\": must be one of open, closed, fallback")
        #expect(
            self.usage(["--redis", "redis://127.0.0.1", "--engine", "none"])?.hasPrefix(
                "invalid --redis with --engine none") == true)
    }

    @Test("A malformed Redis URL is rejected when the application is built, naming it")
    func badRedisURL() throws {
        let configuration = try DemoConfiguration.parse(["--redis", "http://127.0.0.1:6379"])
        #expect {
            _ = try DemoApplication.build(
                configuration: configuration, registry: .init(), logger: Logger(label: "test"))
        } throws: { error in
            (error as? RateLimitError)?.message.contains("http://127.0.0.1:6379") == true
        }
    }

    @Test("--help is not an error")
    func help() {
        #expect(throws: DemoConfiguration.ParseError.self) { try DemoConfiguration.parse(["--help"]) }
        do {
            _ = try DemoConfiguration.parse(["--help"])
        } catch {
            guard case .help(let text) = error else {
                Issue.record("expected help, got \(error)")
                return
            }
            #expect(text.contains("--trusted-proxy <trusted-proxy>"))
            #expect(text.contains("USAGE: ratelimit-demo"))
            #expect(text.contains("values:\n                          mutex, atomic, sharded, none"))
        }
    }
}
