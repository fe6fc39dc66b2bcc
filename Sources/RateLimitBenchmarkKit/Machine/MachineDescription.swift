import Foundation
import RateLimit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The machine a run was measured on, recorded with every result.
package struct MachineDescription: Codable, Hashable, Sendable {
    /// CPU model name from `/proc/cpuinfo`.
    package var cpu: String
    /// CPUs this process may run on.
    package var cores: Int
    /// Online CPUs on the machine.
    package var logicalProcessors: Int
    /// Physical memory in GiB.
    package var memoryGiB: Int
    /// Kernel release (`uname -r`).
    package var kernel: String
    /// Operating system (`PRETTY_NAME` from `/etc/os-release`).
    package var os: String
    /// The Swift compiler the harness was built with.
    package var swift: String
    /// CPU architecture.
    package var architecture: String
    /// A short, file-name-safe label: architecture, core count, CPU model.
    package var label: String
    /// Cores, SMT siblings, NUMA nodes and frequency governor; `nil` in files written before it
    /// was recorded.
    package var topology: CPUTopology?

    /// Describes the machine this process runs on.
    package static func current() -> MachineDescription {
        let cpu = Self.cpuModel()
        let cores = RateLimiterDefaults.activeProcessorCount
        var names = utsname()
        uname(&names)
        let kernel = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let architecture = withUnsafeBytes(of: &names.machine) {
            String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
        }
        let memory = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
        let slug = cpu.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
            .reduce(into: "") { text, character in
                if character != "-" || (text.last != "-" && !text.isEmpty) { text.append(character) }
            }
        let label = "\(architecture)-\(cores)c-\(slug.hasSuffix("-") ? String(slug.dropLast()) : slug)"
        return MachineDescription(
            cpu: cpu,
            cores: cores,
            logicalProcessors: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
            memoryGiB: Int((Double(memory) / 1_073_741_824).rounded()),
            kernel: kernel,
            os: Self.operatingSystem(),
            swift: Self.swiftVersion,
            architecture: architecture,
            label: String(label.prefix(64)),
            topology: CPUTopology.current()
        )
    }

    static var swiftVersion: String {
        #if compiler(>=6.4)
            "6.4 or later"
        #elseif compiler(>=6.3)
            "6.3"
        #elseif compiler(>=6.2)
            "6.2"
        #else
            "6.1"
        #endif
    }

    private static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown"
    }

    private static func operatingSystem() -> String {
        guard let text = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            return line.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return "unknown"
    }
}
