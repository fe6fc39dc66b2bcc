import CRateLimitShims
import Foundation
import RateLimit

/// The CPUs a run could use and how they share hardware: physical cores, SMT siblings, NUMA nodes
/// and the frequency governor. Recorded with every result (a figure measured on two SMT siblings
/// is not one measured on two cores), and the source of `--pin`'s CPU order.
package struct CPUTopology: Codable, Hashable, Sendable {
    /// CPUs this process may run on (its affinity mask), ascending.
    package var allowedCPUs: [Int]
    /// Distinct physical cores among them.
    package var physicalCores: Int
    /// Hardware threads per physical core among the allowed CPUs (1 without SMT); the largest
    /// where cores differ.
    package var threadsPerCore: Int
    /// Allowed CPUs grouped by physical core, where a core has more than one: `[[0, 8], [1, 9]]`.
    package var smtSiblings: [[Int]]
    /// NUMA nodes on the machine; `nil` where the kernel does not say.
    package var numaNodes: Int?
    /// The CPU frequency governor (`performance`, `powersave`, `schedutil`…); `nil` where cpufreq
    /// is not exposed, as on most virtual machines.
    package var frequencyGovernor: String?
    /// The order `--pin` assigns CPUs to worker threads: one CPU of each physical core first, SMT
    /// siblings only after every core has one thread.
    package var pinningOrder: [Int]

    /// The topology of this machine, as this process sees it.
    package static func current() -> CPUTopology {
        self.read(allowedCPUs: self.allowedCPUs(), sysfs: "/sys/devices/system")
    }

    /// Reads the topology of `allowedCPUs` from a sysfs tree rooted at `sysfs` (a parameter so
    /// that tests can describe machines this one is not).
    ///
    /// A CPU whose topology files cannot be read counts as a core of its own.
    package static func read(allowedCPUs: [Int], sysfs: String) -> CPUTopology {
        var cores: [String: [Int]] = [:]
        var coreOrder: [String] = []
        for cpu in allowedCPUs {
            let directory = "\(sysfs)/cpu/cpu\(cpu)/topology"
            let package = Self.contents(of: "\(directory)/physical_package_id") ?? "?"
            let core = Self.contents(of: "\(directory)/core_id") ?? "cpu\(cpu)"
            let id = "\(package)/\(core)"
            if cores[id] == nil { coreOrder.append(id) }
            cores[id, default: []].append(cpu)
        }
        let groups = coreOrder.map { cores[$0] ?? [] }
        // Round-robin over cores: every core's first CPU, then every core's second, and so on.
        var order: [Int] = []
        for rank in 0..<(groups.map(\.count).max() ?? 0) {
            order += groups.compactMap { $0.count > rank ? $0[rank] : nil }
        }
        let nodes = (try? FileManager.default.contentsOfDirectory(atPath: "\(sysfs)/node"))?
            .filter { name in name.hasPrefix("node") && name.dropFirst(4).allSatisfy(\.isNumber) && name.count > 4 }
        let governor = allowedCPUs.first.flatMap {
            Self.contents(of: "\(sysfs)/cpu/cpu\($0)/cpufreq/scaling_governor")
        }
        return CPUTopology(
            allowedCPUs: allowedCPUs,
            physicalCores: groups.count,
            threadsPerCore: groups.map(\.count).max() ?? 1,
            smtSiblings: groups.filter { $0.count > 1 },
            numaNodes: nodes.flatMap { $0.isEmpty ? nil : $0.count },
            frequencyGovernor: governor,
            pinningOrder: order
        )
    }

    /// One line for people: "2 CPUs (0-1), 2 cores, no SMT, 1 NUMA node, governor unknown".
    package var summary: String {
        let smt = self.threadsPerCore > 1 ? "\(self.threadsPerCore)-way SMT" : "no SMT"
        let nodes = self.numaNodes.map { "\($0) NUMA node\($0 == 1 ? "" : "s")" } ?? "NUMA nodes unknown"
        let cpus = self.allowedCPUs.count
        return
            "\(cpus) CPU\(cpus == 1 ? "" : "s") (\(CPUList.format(self.allowedCPUs))), \(self.physicalCores) physical core\(self.physicalCores == 1 ? "" : "s"), \(smt), \(nodes), governor \(self.frequencyGovernor ?? "not exposed")"
    }

    /// The CPUs this process may run on, ascending; CPU 0 alone where the mask cannot be read.
    static func allowedCPUs() -> [Int] {
        var buffer = [Int32](repeating: 0, count: 1024)
        let count = Int(crl_allowed_cpus(&buffer, Int32(buffer.count)))
        guard count > 0 else { return Array(0..<RateLimiterDefaults.activeProcessorCount) }
        return buffer.prefix(min(count, buffer.count)).map(Int.init)
    }

    private static func contents(of path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }
}

/// CPU lists in the kernel's notation: `0-3,8,10-11`.
package enum CPUList {
    /// `cpus` (ascending) with consecutive runs written as ranges.
    package static func format(_ cpus: [Int]) -> String {
        var parts: [String] = []
        var index = 0
        while index < cpus.count {
            var end = index
            while end + 1 < cpus.count && cpus[end + 1] == cpus[end] + 1 { end += 1 }
            if end > index {
                parts.append("\(cpus[index])-\(cpus[end])")
            } else {
                parts += cpus[index...end].map(String.init)
            }
            index = end + 1
        }
        return parts.joined(separator: ",")
    }
}

extension CPUTopology {
    /// The CPU order for `--pin` with cells of up to `threads.max()` threads: one CPU per worker,
    /// never two workers on one CPU.
    ///
    /// - Throws: ``ArgumentError`` naming the thread count and the CPUs there are, when a cell has
    ///   more threads than this process may run on.
    package func pinning(threads: [Int]) throws(ArgumentError) -> [Int] {
        let most = threads.max() ?? 1
        guard most <= self.pinningOrder.count else {
            throw ArgumentError(
                "--pin: --threads \(most) needs \(most) CPUs, one per thread, but this process may run on \(self.pinningOrder.count) (CPUs \(CPUList.format(self.allowedCPUs))); use --threads up to \(self.pinningOrder.count) with --pin"
            )
        }
        return self.pinningOrder
    }
}
