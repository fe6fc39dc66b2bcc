import Foundation
import RateLimit
import RateLimitTesting

/// Bytes per tracked key, measured in a fresh child process (this executable's hidden `memory`
/// command), so that memory freed by earlier cells and kept by the allocator does not hide what a
/// limiter really costs.
package enum MemoryProbe {
    /// The measurement itself, run in the child: resident memory growth while `engine` tracks
    /// `keys` integer keys, divided by the keys it tracks.
    package static func measureInThisProcess(engine: BenchmarkEngine, keys: Int) -> Double? {
        let policy = Workload.neverDryPolicy()
        let before = ResidentMemory.bytes() ?? 0
        let limiter: any RateLimiter<Int>
        switch engine {
        case .engine(let kind):
            guard let made = try? kind.make(policy: policy, maxKeys: keys, keyType: Int.self) else { return nil }
            limiter = made
        case .tutorial:
            limiter = TutorialDesignLimiter<Int>(policy: policy)
        case .floor, .floorKeyed, .floorProbed, .custom:
            // A caller's engine lives only in the caller's process: no child can make it.
            return nil
        }
        for key in 0..<keys { _ = limiter.acquire(key, cost: 1) }
        let growth = (ResidentMemory.bytes() ?? 0) - before
        let tracked = (limiter as? any BoundedRateLimiter<Int>)?.statistics.trackedKeys ?? keys
        withExtendedLifetime(limiter) {}
        return tracked > 0 ? Double(growth) / Double(tracked) : nil
    }

    /// Runs `executable memory --engine <engine> --keys <keys>` and reads the figure it prints.
    package static func measureInChild(
        engine: BenchmarkEngine,
        keys: Int,
        executable: String = "/proc/self/exe"
    ) -> Double? {
        switch engine {
        case .floor, .floorKeyed, .floorProbed, .custom: return nil
        case .engine, .tutorial: break
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["memory", "--engine", engine.rawValue, "--keys", String(keys)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        return text.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }.last
    }
}
